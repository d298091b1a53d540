"""Randomness with PyTorch's signatures and rules: randint's overloads, multinomial, and a
global generator seeded from the OS in a fresh process (manual_seed still repeatable)."""
import subprocess
import sys

import numpy as np
import pytest

import memograd
from surface_helpers import assert_both_raise, dtype_name

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda lib: lib.randint(10, (3,)),
    lambda lib: lib.randint(5, 10, (2, 3)),
    lambda lib: lib.randint(10, size=(3,)),
    lambda lib: lib.randint(low=2, high=10, size=(3,)),
    lambda lib: lib.randint(high=10, size=(4,)),
    lambda lib: lib.randint(3, 10, size=(3,)),
    lambda lib: lib.randint(10, [2]),
    lambda lib: lib.randint(10, lib.Size([2, 2])),
    lambda lib: lib.randint(10, (2, 2), dtype=lib.float32),
    lambda lib: lib.randint(10, (2,), dtype=lib.float32, requires_grad=True),
    lambda lib: lib.randint(-3, 0, (5,), generator=lib.Generator().manual_seed(1)),
], ids=lambda f: "")
def test_randint_overloads_as_torch(call):
    ours, theirs = call(memograd), call(torch)
    assert tuple(ours.shape) == tuple(theirs.shape) and dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.requires_grad == theirs.requires_grad


def test_randint_draws_from_low_to_high():
    memograd.manual_seed(0)
    values = memograd.randint(10, (2000,)).numpy()
    assert values.min() == 0 and values.max() == 9  # randint(high, size): low is 0, not 10
    values = memograd.randint(5, 8, (2000,)).numpy()
    assert set(values.tolist()) == {5, 6, 7}


def test_randint_calls_that_raise():
    assert_both_raise(lambda lib: lib.randint(10), TypeError)
    assert_both_raise(lambda lib: lib.randint(10, 3), TypeError)
    assert_both_raise(lambda lib: lib.randint(0.5, 10.5, (3,)), TypeError)
    assert_both_raise(lambda lib: lib.randint(5, 5, (2,)), RuntimeError)
    assert_both_raise(lambda lib: lib.randint(10, (2,), requires_grad=True), RuntimeError)


def test_multinomial_shapes_dtypes_and_rules():
    w = memograd.tensor([0.1, 0.2, 0.7])
    drawn = memograd.multinomial(w, 2)
    assert drawn.shape == (2,) and drawn.dtype == memograd.int64 and len(set(drawn.tolist())) == 2
    many = w.multinomial(50, replacement=True)
    assert many.shape == (50,) and set(many.tolist()) <= {0, 1, 2}
    rows = memograd.multinomial(memograd.tensor([[0.0, 1.0], [1.0, 0.0]]), 1, replacement=True)
    assert rows.tolist() == [[1], [0]]  # zero weight is never drawn with replacement
    # Without replacement, zero-weight categories come last, once the others are used up (as PyTorch).
    assert memograd.multinomial(memograd.tensor([0.0, 0.0, 1.0]), 2).tolist()[0] == 2
    assert sorted(memograd.multinomial(memograd.tensor([1.0, 2.0, 3.0]), 3).tolist()) == [0, 1, 2]
    assert memograd.multinomial(memograd.tensor([1.0, 2.0], dtype=memograd.float64), 1).shape == (1,)


def test_multinomial_frequencies_follow_the_weights():
    memograd.manual_seed(0)
    w = memograd.tensor([1.0, 2.0, 7.0])
    counts = np.bincount(memograd.multinomial(w, 20000, replacement=True).numpy(), minlength=3) / 20000
    np.testing.assert_allclose(counts, [0.1, 0.2, 0.7], atol=0.015)
    # Without replacement, the first draw still follows the weights.
    firsts = np.bincount(memograd.multinomial(w.expand(4000, 3), 2)[:, 0].numpy(), minlength=3) / 4000
    np.testing.assert_allclose(firsts, [0.1, 0.2, 0.7], atol=0.03)


def test_multinomial_with_a_generator_is_repeatable():
    w = memograd.tensor([1.0, 1.0, 1.0, 1.0])
    a = memograd.multinomial(w, 4, generator=memograd.Generator().manual_seed(5))
    b = memograd.multinomial(w, 4, generator=memograd.Generator().manual_seed(5))
    assert a.tolist() == b.tolist()


def test_multinomial_calls_that_raise():
    w = lambda lib: lib.tensor([0.1, 0.2, 0.7])  # noqa: E731
    assert_both_raise(lambda lib: lib.multinomial(w(lib), 4), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(w(lib), 0), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.tensor([-1.0, 0.0, 1.0]), 1), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.tensor([1.0, float("inf")]), 1), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.ones(2, 2, 2), 1), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.tensor([1, 2]), 1), RuntimeError)
    assert_both_raise(lambda lib: lib.multinomial(lib.tensor(1.0), 1), RuntimeError)


FRESH = "import memograd; print(memograd.initial_seed(), memograd.rand(3).tolist())"


def test_a_fresh_process_seeds_from_the_os():
    runs = [subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    assert runs[0] != runs[1]  # as PyTorch 2.13: each process starts from a new OS seed
    seed = int(runs[0].split()[0])
    assert 0 <= seed < 2**64


def test_manual_seed_repeats_and_initial_seed_reports_it():
    memograd.manual_seed(123)
    a = memograd.randn(4).tolist()
    assert memograd.initial_seed() == 123
    memograd.manual_seed(123)
    assert memograd.randn(4).tolist() == a
    memograd.manual_seed(-1)
    torch.manual_seed(-1)
    assert memograd.initial_seed() == torch.initial_seed() == 2**64 - 1
    new_seed = memograd.seed()
    assert memograd.initial_seed() == new_seed


def test_generator_as_torch():
    g = memograd.Generator(device="cpu")
    assert g.initial_seed() >= 0 and g.manual_seed(7) is g and g.initial_seed() == 7
    fresh = g.seed()
    assert isinstance(fresh, int) and g.initial_seed() == fresh
    assert memograd.Generator(3).initial_seed() == 3  # memograd's shorthand for Generator().manual_seed(3)
    assert memograd.default_generator.initial_seed() == memograd.initial_seed()
    with pytest.raises(RuntimeError):
        memograd.Generator(device="cuda")
