"""The workspace pool (memograd/ops/workspace.py): an array is handed out again only once
nothing refers to it, and the LSTM op that draws from the pool computes what it did before."""
import numpy as np
import pytest

import memograd as mg
from memograd.ops import workspace

BIG = (512, 256)  # 512 KiB of float32: pooled
pytestmark = pytest.mark.skipif(not workspace.ENABLED, reason="the pool is off outside CPython with a GIL")


@pytest.fixture(autouse=True)
def fresh_pool():
    workspace.release()
    yield
    workspace.release()


def test_a_freed_array_is_handed_out_again_and_one_in_use_is_not():
    a = workspace.empty(BIG, np.float32)
    base = id(a.base)  # not the base itself: holding it would keep it in use
    b = workspace.empty(BIG, np.float32)
    assert id(b.base) != base  # `a` is still in use
    del a
    c = workspace.empty((256, 512), np.float32)  # the same element count, another shape
    assert id(c.base) == base and c.shape == (256, 512)


@pytest.mark.parametrize("keep", [
    lambda a: a[3:],  # a view of a view: its base is the pooled array
    lambda a: a.T,
    lambda a: mg.from_numpy(a),  # a tensor on the memory
    lambda a: memoryview(a),
])
def test_anything_still_reading_the_memory_keeps_it_out_of_the_pool(keep):
    a = workspace.empty(BIG, np.float32)
    base = id(a.base)
    holder = keep(a)
    del a
    b = workspace.empty(BIG, np.float32)
    assert id(b.base) != base
    del holder, b
    assert id(workspace.empty(BIG, np.float32).base) == base


def test_small_arrays_other_dtypes_and_the_limit_bypass_the_pool(monkeypatch):
    small = workspace.empty((8, 8), np.float32)
    assert small.base is None  # a plain array
    a = workspace.empty(BIG, np.float32)
    base = id(a.base)
    del a
    assert id(workspace.empty(BIG, np.float64).base) != base  # another dtype, another key
    monkeypatch.setattr(workspace, "limit", 0)
    workspace.release()
    made = workspace.empty(BIG, np.float32)
    assert workspace._pool == {} and made.shape == BIG


def test_a_full_pool_drops_its_unused_arrays_before_it_stops_pooling(monkeypatch):
    """Sizes no longer asked for (a sequence length that changed) make room for new ones."""
    monkeypatch.setattr(workspace, "limit", 3 * 512 * 257 * 4)  # room for three arrays of about BIG
    old_sizes = [workspace.empty((512, 256 + k), np.float32) for k in range(2)]
    in_use = workspace.empty(BIG, np.float32)
    del old_sizes  # unused now
    new = workspace.empty((600, 256), np.float32)  # would not fit beside the three
    assert sorted(key[0] for key in workspace._pool) == [512 * 256, 600 * 256]
    assert workspace._held == (512 + 600) * 256 * 4
    del new
    assert id(workspace.empty((300, 512), np.float32).base) == id(workspace._pool[(600 * 256, np.dtype(np.float32))][0])
    assert in_use.shape == BIG


def test_release_gives_back_only_what_is_unused():
    in_use = workspace.empty(BIG, np.float32)
    unused = workspace.empty(BIG, np.float32)
    del unused
    assert workspace.release() == 512 * 256 * 4
    assert workspace.empty(BIG, np.float32).base is not in_use.base


def test_workspace_matmul_is_numpys_product():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 256)).astype(np.float32)
    b = rng.standard_normal((256, 400)).astype(np.float32)
    np.testing.assert_array_equal(workspace.matmul(a, b), a @ b)


def test_lstm_steps_drawing_from_the_pool_keep_their_values_and_gradients():
    """Two training steps of one LSTM: the second reuses the first's freed arrays; what the first
    returned (output, gradients) stays as it was, and the second equals a fresh model's."""
    rng = np.random.default_rng(1)
    x = mg.from_numpy(rng.standard_normal((35, 20, 64)).astype(np.float32))

    def run(lstm):
        lstm.zero_grad()
        out, _ = lstm(x)
        (out * out).sum().backward()
        return out.detach().numpy().copy(), [p.grad.numpy().copy() for p in lstm.parameters()], out

    mg.manual_seed(0)
    first = mg.nn.LSTM(64, 128)
    out1, grads1, kept = run(first)
    snapshot = kept.detach().numpy().copy()
    out2, grads2, _ = run(first)  # the same weights: the same results, from reused arrays
    np.testing.assert_array_equal(kept.detach().numpy(), snapshot)  # still referenced: not reused
    np.testing.assert_array_equal(out2, out1)
    for g1, g2 in zip(grads1, grads2):
        np.testing.assert_array_equal(g2, g1)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_starts_with_an_empty_pool():
    import os

    kept = workspace.empty(BIG, np.float32)
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if its pool is empty and still works
        ok = workspace._pool == {} and workspace.empty(BIG, np.float32).shape == BIG
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert kept.shape == BIG
