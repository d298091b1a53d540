"""Running sums and products, differences, sorting and top-k, and the counting functions
(all/any over dims, histc, histogram, bincount): against PyTorch and finite differences."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, check_gradgrad
from surface_helpers import assert_both_raise, assert_parity, assert_same

CASES = [
    ("cumsum", [(3, 4)], "real", lambda lib, a: lib.cumsum(a, 1)),
    ("cumsum_dim0_method", [(3, 4, 2)], "real", lambda lib, a: a.cumsum(0) * a),
    ("cumsum_negative_dim", [(5,)], "real", lambda lib, a: a.cumsum(dim=-1)),
    ("cumprod", [(3, 4)], "real", lambda lib, a: lib.cumprod(a, 1)),
    ("cumprod_dim0", [(4, 3)], "real", lambda lib, a: a.cumprod(0)),
    ("diff", [(3, 5)], "real", lambda lib, a: lib.diff(a)),
    ("diff_n2_dim0", [(5, 3)], "real", lambda lib, a: a.diff(n=2, dim=0)),
    ("diff_prepend_append", [(4,), (2,), (1,)], "real", lambda lib, a, p, q: lib.diff(a, prepend=p, append=q)),
    ("sort", [(3, 5)], "real", lambda lib, a: lib.sort(a).values),
    ("sort_descending_dim0", [(4, 3)], "real", lambda lib, a: a.sort(dim=0, descending=True)[0]),
    ("topk", [(3, 6)], "real", lambda lib, a: lib.topk(a, 3).values),
    ("topk_smallest_dim0", [(6, 2)], "real", lambda lib, a: a.topk(2, dim=0, largest=False)[0]),
    ("median_all", [(3, 5)], "real", lambda lib, a: lib.median(a)),
    ("median_dim", [(3, 4)], "real", lambda lib, a: a.median(1).values),
    ("kthvalue", [(3, 5)], "real", lambda lib, a: lib.kthvalue(a, 2, 1, keepdim=True).values),
]


@pytest.mark.parametrize("name, shapes, domain, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, shapes, domain, fn):
    assert_parity(fn, shapes, domain)


@pytest.mark.parametrize("name, shapes, domain, fn", CASES, ids=[c[0] for c in CASES])
def test_finite_differences(name, shapes, domain, fn):
    check_grad(lambda *xs: fn(memograd, *xs), *shapes, domain=domain)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "diff", "sort", "topk", "median_dim"])
def test_second_derivatives(name):
    # Squared, so that the first derivative still depends on the input (these ops are linear
    # or multilinear): the gradient taken with create_graph=True is differentiated again.
    _, shapes, domain, fn = next(c for c in CASES if c[0] == name)
    check_gradgrad(lambda *xs: fn(memograd, *xs) ** 2, *shapes, domain=domain)


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 4.0], [0.0, 2.0, 0.0, 3.0], [2.0, 3.0, 4.0, 0.0], [0.0] * 4])
def test_cumprod_gradient_with_zeros_matches_torch(values):
    def grads(lib):
        x = lib.tensor([values, values[::-1]], dtype=lib.float64, requires_grad=True)
        weights = lib.tensor(np.arange(8.0).reshape(2, 4) - 3.0, dtype=lib.float64)
        (x.cumprod(1) * weights).sum().backward()
        return x.grad.numpy()

    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(grads(memograd), grads(torch), rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda lib: lib.cumsum(lib.tensor([1, 2, 3]), 0),
    lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32).cumsum(0),       # int32 accumulates in int64
    lambda lib: lib.tensor([True, True, False]).cumsum(0),
    lambda lib: lib.tensor([1.0, 2.0, 3.0]).cumsum(dim=0, dtype=lib.float64),
    lambda lib: lib.tensor(5).cumsum(0),
    lambda lib: lib.tensor([1, 2, 3]).cumprod(0),
    lambda lib: lib.diff(lib.tensor([1, 3, 6]), n=2),
    lambda lib: lib.diff(lib.tensor([True, False, False])),
    lambda lib: lib.sort(lib.tensor([3, 1, 2, 1])),
    lambda lib: lib.sort(lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]]), descending=True, stable=True),
    lambda lib: lib.sort(lib.tensor([1.0, float("nan"), 0.0])),
    lambda lib: lib.sort(lib.tensor([1.0, float("nan"), 0.0]), descending=True),
    lambda lib: lib.argsort(lib.tensor([3.0, 1.0, 2.0]), descending=True),
    lambda lib: lib.tensor([[3, 1], [2, 4]]).argsort(dim=0),
    lambda lib: lib.topk(lib.tensor([1.0, 5.0, 3.0, 4.0]), 2),
    lambda lib: lib.topk(lib.tensor([[1, 5], [3, 4]]), 1, dim=0, largest=False),
    lambda lib: lib.topk(lib.tensor(2.0), 1),
    lambda lib: lib.median(lib.tensor([3.0, 1.0, 2.0, 4.0])),
    lambda lib: lib.median(lib.tensor([[3.0, 1.0], [2.0, 4.0]]), 1),
    lambda lib: lib.kthvalue(lib.tensor([3.0, 1.0, 2.0]), 3),
    lambda lib: lib.msort(lib.tensor([[3, 1], [2, 4]])),
    lambda lib: lib.all(lib.tensor([[1, 0], [1, 1]]), dim=1),
    lambda lib: lib.tensor([[1, 0], [1, 1]]).all(1, keepdim=True),
    lambda lib: lib.any(lib.tensor([[1, 0], [0, 0]]), dim=(0, 1)),
    lambda lib: lib.tensor([[1.0, 0.0], [1.0, 1.0]]).all(),
    lambda lib: lib.tensor([[1, 0], [1, 1]], dtype=lib.uint8).all(0),
    lambda lib: lib.tensor([0.0, 0.0]).any(-1),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3),
    lambda lib: lib.histc(lib.tensor([1.0, 2.0, 1.0, 7.0]), bins=4),
    lambda lib: lib.histc(lib.tensor([1.0, 1.0, 1.0]), bins=4),
    lambda lib: lib.tensor([0.5, 2.5, -1.0], dtype=lib.float64).histc(3, min=0, max=3),
    lambda lib: tuple(lib.histogram(lib.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))),
    lambda lib: tuple(lib.histogram(lib.tensor([1.0, 2.0, 1.0]), lib.tensor([0.0, 1.0, 2.5]))),
    lambda lib: tuple(lib.histogram(lib.tensor([1.0, 2.0, 1.0]), bins=4, weight=lib.tensor([1.0, 2.0, 3.0]),
                                    density=True)),
    lambda lib: tuple(lib.histogram(lib.tensor([1.0, 1.0]), bins=2)),
    lambda lib: lib.bincount(lib.tensor([0, 1, 1, 3])),
    lambda lib: lib.bincount(lib.tensor([0, 1, 1]), weights=lib.tensor([0.5, 1.0, 2.0]), minlength=4),
], ids=lambda f: "")
def test_values_and_dtypes_match_torch(make):
    assert_same(make)


def test_sort_returns_values_and_indices_by_name():
    result = memograd.sort(memograd.tensor([3.0, 1.0, 2.0]))
    values, indices = result
    assert result.values is values and result.indices is indices
    assert indices.dtype == memograd.int64 and values.tolist() == [1.0, 2.0, 3.0]
    hist = memograd.histogram(memograd.tensor([1.0, 2.0]), bins=2)
    assert hist.hist.tolist() == [1.0, 1.0] and hist.bin_edges.tolist() == [1.0, 1.5, 2.0]


def test_which_calls_raise():
    assert_both_raise(lambda lib: lib.topk(lib.tensor([1.0, 2.0]), 3), RuntimeError)
    assert_both_raise(lambda lib: lib.kthvalue(lib.tensor([1.0, 2.0]), 0), RuntimeError)
    assert_both_raise(lambda lib: lib.sort(lib.zeros(2, 3), dim=2), IndexError)
    assert_both_raise(lambda lib: lib.cumsum(lib.zeros(2, 3), 2), IndexError)
    assert_both_raise(lambda lib: lib.diff(lib.tensor(1.0)), RuntimeError)
    assert_both_raise(lambda lib: lib.histc(lib.tensor([1, 2]), bins=4), NotImplementedError, NotImplementedError)
    assert_both_raise(lambda lib: lib.histogram(lib.tensor([1, 2]), bins=4), NotImplementedError, NotImplementedError)
    assert_both_raise(lambda lib: lib.histc(lib.tensor([1.0]), bins=2, min=3, max=1), RuntimeError)
    assert_both_raise(lambda lib: lib.bincount(lib.tensor([-1, 2])), RuntimeError)
    assert_both_raise(lambda lib: lib.all(lib.zeros(2), dim=1), IndexError)


def test_median_propagates_nan_as_torch():
    assert_same(lambda lib: lib.median(lib.tensor([1.0, float("nan"), 0.0])))
    assert_same(lambda lib: tuple(lib.median(lib.tensor([[1.0, float("nan"), 0.0], [3.0, 1.0, 2.0]]), 1)))


@pytest.mark.parametrize("make", [
    lambda lib: lib.sort(lib.tensor([3.0, 1.0, 2.0])),
    lambda lib: lib.topk(lib.tensor([3.0, 1.0, 2.0]), 2),
    lambda lib: lib.tensor([[1.0, 5.0], [3.0, 2.0]]).max(1),
    lambda lib: lib.tensor([[1.0, 5.0], [3.0, 2.0]]).min(0, keepdim=True),
    lambda lib: lib.median(lib.tensor([[1.0, 5.0], [3.0, 2.0]]), 1),
    lambda lib: lib.kthvalue(lib.tensor([3.0, 1.0, 2.0]), 2),
    lambda lib: lib.histogram(lib.tensor([1.0, 2.0]), bins=2),
], ids=lambda f: "")
def test_named_results_print_as_torch(make):
    torch = pytest.importorskip("torch")
    assert repr(make(memograd)) == repr(make(torch))
