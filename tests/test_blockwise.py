"""memograd.blockwise: slicing elementwise work, and sharing it among threads, never changes a
value (the fused GELU and attention use it)."""
import numpy as np
import pytest

import memograd
from memograd import blockwise
from memograd.ops.attention import ScaledDotProductAttention
from memograd.ops.gelu import FusedGelu


@pytest.fixture(params=[1, 2, 3])
def threads(request, monkeypatch):
    before = memograd.get_num_threads()
    memograd.set_num_threads(request.param)
    monkeypatch.setattr(blockwise, "MIN_PARALLEL", 100)  # small arrays still get shared
    monkeypatch.setattr(blockwise, "BLOCK", 777)  # slices that do not divide the size
    monkeypatch.setattr(blockwise, "SHARED_BLOCK", 1001)
    yield request.param
    memograd.set_num_threads(before)


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
        memograd.set_num_threads(threads)
        results.append(_run(op, arrays, **params))
    memograd.set_num_threads(2)
    for other in results[1:]:
        for a, b in zip(results[0], other):
            assert np.array_equal(a, b)
