"""memograd.blockwise: slicing elementwise work, and sharing it among threads, never changes a
value (the fused GELU and attention use it)."""
import numpy as np
import pytest

import memograd
from memograd import blockwise, settings
from memograd.ops.attention import ScaledDotProductAttention
from memograd.ops.gelu import FusedGelu


@pytest.fixture(params=[1, 2, 3])
def threads(request, monkeypatch):
    monkeypatch.setitem(settings._state, "threads", request.param)
    monkeypatch.setattr(blockwise, "MIN_PARALLEL", 100)  # small arrays still get shared
    monkeypatch.setattr(blockwise, "BLOCK", 777)  # slices that do not divide the size
    monkeypatch.setattr(blockwise, "SHARED_BLOCK", 1001)
    return request.param


def test_blockwise_equals_the_whole_array_call(threads):
    rng = np.random.default_rng(threads)
    x, y = rng.standard_normal((37, 129)).astype(np.float32), rng.standard_normal((37, 129)).astype(np.float32)
    out = np.empty_like(x)

    def kernel(x, y, out):
        np.multiply(x, y, out=out)
        np.exp(out, out=out)
        out += x

    blockwise.blockwise(kernel, x, y, out)
    assert np.array_equal(out, np.exp(x * y) + x)


def test_by_rows_gives_each_row_to_one_call(threads):
    x = np.arange(50 * 40, dtype=np.float64).reshape(50, 40)
    out = np.zeros_like(x)
    calls = []

    def kernel(x, out):
        calls.append(len(x))
        np.cumsum(x, axis=1, out=out)

    blockwise.by_rows(kernel, x, out)
    assert np.array_equal(out, np.cumsum(x, axis=1))
    assert sum(calls) == 50 and len(calls) == min(threads, 50)


def _run(op, arrays, **params):
    tensors = [memograd.tensor(a, requires_grad=True) for a in arrays]
    out = op.apply(*tensors, **params)
    out.backward(memograd.tensor(np.cos(out.detach().numpy())))
    return [out.detach().numpy()] + [t.grad.numpy() for t in tensors]


@pytest.mark.parametrize("case", ["gelu", "attention"])
def test_fused_ops_give_the_same_bits_on_any_number_of_threads(case, monkeypatch):
    rng = np.random.default_rng(0)
    if case == "gelu":
        op, arrays, params = FusedGelu, [rng.standard_normal((33, 65)).astype(np.float32)], {}
    else:
        op, arrays, params = ScaledDotProductAttention, [rng.standard_normal((5, 3, 7, 4)).astype(np.float32)
                                                         for _ in range(3)], {"causal": True, "scale": 0.5}
    monkeypatch.setattr(blockwise, "MIN_PARALLEL", 10)
    results = []
    for threads in (1, 2, 4):
        monkeypatch.setitem(settings._state, "threads", threads)
        results.append(_run(op, arrays, **params))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_makes_its_own_threads(monkeypatch):
    """A DataLoader worker forked after the pool started must not wait on its parent's threads."""
    import os

    monkeypatch.setattr(blockwise, "MIN_PARALLEL", 100)
    monkeypatch.setattr(blockwise, "SHARED_BLOCK", 1000)
    monkeypatch.setitem(settings._state, "threads", 2)
    x = np.arange(10_000, dtype=np.float32)
    out = np.empty_like(x)
    blockwise.blockwise(lambda x, out: np.multiply(x, 2, out=out), x, out)  # the parent's pool starts
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the work completes and is right
        try:
            blockwise.blockwise(lambda x, out: np.multiply(x, 3, out=out), x, out)
            os._exit(0 if np.array_equal(out, x * 3) else 1)
        except BaseException:
            os._exit(2)
    waited, status = 0.0, None
    import time

    while waited < 20:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
        waited += 0.05
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung on its parent's thread pool")
    assert os.waitstatus_to_exitcode(status) == 0
