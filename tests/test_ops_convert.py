"""clone and dtype conversions: gradients flow through and arrive in the input's dtype."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf


def test_clone_is_a_copy_with_gradient():
    x = leaf(3)
    y = x.clone()
    assert y.grad_fn is not None and y._data is not x._data
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    check_grad(lambda t: t.clone() * t, (3, 4))
    check_grad(lambda t: memograd.clone(t), (2,))


@pytest.mark.parametrize("target", ["float32", "float64"])
def test_to_dtype_gradient_has_input_dtype(target):
    x = memograd.tensor([1.0, 2.0], dtype=memograd.float64, requires_grad=True)
    y = x.to(getattr(memograd, target))
    assert y.dtype == getattr(memograd, target)
    (y * y).sum().backward()
    assert x.grad.dtype == memograd.float64
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_float_double_roundtrip_gradient():
    x = memograd.tensor([1.5, -2.0], requires_grad=True)  # float32
    y = x.double()
    assert y.dtype == memograd.float64 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == memograd.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    check_grad(lambda t: t.to(memograd.float64) * t.double(), (3,))


def test_to_same_dtype_and_device_returns_self():
    x = leaf(3)
    assert x.to(memograd.float64) is x
    assert x.to("cpu") is x
    assert x.to(memograd.device("cpu"), memograd.float64) is x
    assert x.to(leaf(2, dtype=memograd.float32)).dtype == memograd.float32


def test_to_integer_dtype_is_not_differentiable():
    x = memograd.tensor([1.7, -2.2], requires_grad=True)
    y = x.long()
    assert y.dtype == memograd.int64
    assert not y.requires_grad and y.grad_fn is None
    assert y.tolist() == [1, -2]


def test_to_unknown_device_is_a_clear_error():
    with pytest.raises(RuntimeError, match="cuda"):
        leaf(2).to("cuda")
