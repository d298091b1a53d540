"""softmax and log_softmax: values, stability and gradients along every dim."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf


def np_softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((2, 3, 4), 1),
                                        ((2, 3, 4), -3)], ids=str)
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_family(shape, dim, fn):
    x = leaf(*shape)
    expected = np_softmax(x.detach().numpy(), dim)
    expected = np.log(expected) if fn == "log_softmax" else expected
    np.testing.assert_allclose(getattr(x, fn)(dim).detach().numpy(), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(getattr(memograd, fn)(x, dim=dim).detach().numpy(), expected, rtol=1e-12, atol=1e-15)
    check_grad(lambda t: getattr(t, fn)(dim), shape)
    check_grad(lambda t: getattr(t * t, fn)(dim) * t, shape)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_inputs(fn):
    x = memograd.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    y = getattr(x, fn)(1)
    assert np.all(np.isfinite(y.detach().numpy()[:, :2]))
    (y[:, 0]).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_softmax_rows_sum_to_one_and_keep_float32():
    x = memograd.randn(4, 5)
    y = x.softmax(-1)
    assert y.dtype == memograd.float32
    np.testing.assert_allclose(y.sum(-1).numpy(), np.ones(4), rtol=1e-6)
