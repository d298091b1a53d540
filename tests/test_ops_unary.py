"""Gradients and values of the elementwise functions of one tensor."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf

SHAPES = [(), (5,), (3, 4), (2, 3, 4)]

# (name, function, NumPy reference, input domain)
UNARY = [
    ("exp", memograd.exp, np.exp, "real"),
    ("log", memograd.log, np.log, "positive"),
    ("log1p", memograd.log1p, np.log1p, "unit"),
    ("sqrt", memograd.sqrt, np.sqrt, "positive"),
    ("rsqrt", memograd.rsqrt, lambda a: 1 / np.sqrt(a), "positive"),
    ("reciprocal", memograd.reciprocal, np.reciprocal, "real"),
    ("sin", memograd.sin, np.sin, "real"),
    ("cos", memograd.cos, np.cos, "real"),
    ("tanh", memograd.tanh, np.tanh, "real"),
    ("sigmoid", memograd.sigmoid, lambda a: 1 / (1 + np.exp(-a)), "real"),
    ("relu", memograd.relu, lambda a: np.maximum(a, 0), "real"),
    ("abs", memograd.abs, np.abs, "real"),
    ("sign", memograd.sign, np.sign, "real"),
    ("neg", lambda t: -t, np.negative, "real"),
]


@pytest.mark.parametrize("name, fn, reference, domain", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_gradient(name, fn, reference, domain, shape):
    check_grad(fn, shape, domain=domain)


@pytest.mark.parametrize("name, fn, reference, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_method_form(name, fn, reference, domain):
    x = leaf(3, 4, domain=domain)
    expected = reference(x.detach().numpy())
    np.testing.assert_allclose(fn(x).detach().numpy(), expected, rtol=1e-12)
    if name != "neg":
        np.testing.assert_allclose(getattr(x, name)().detach().numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name, fn, reference, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_keeps_float32(name, fn, reference, domain):
    x = leaf(3, domain=domain, dtype=memograd.float32)
    y = fn(x)
    assert y.dtype == memograd.float32
    y.sum().backward()
    assert x.grad.dtype == memograd.float32


def test_unary_of_shared_input():
    check_grad(lambda x: x.exp() * x.sin() + x.tanh() * x, (3, 4))
    check_grad(lambda x: (x * x).sqrt() * x.sigmoid(), (4,))


def test_sign_gradient_is_zero():
    x = leaf(4)
    x.sign().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_relu_and_abs_gradients_are_masks():
    x = memograd.tensor([-2.0, -0.5, 0.5, 3.0], requires_grad=True)
    x.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0, 1.0])
    x.grad = None
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, -1.0, 1.0, 1.0])


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (None, 0.4), (-0.4, None), (-1.0, 1.5)], ids=str)
@pytest.mark.parametrize("shape", [(5,), (3, 4)], ids=str)
def test_clamp(low, high, shape):
    # Inputs are |x| >= 0.3 and the bounds are away from every input value.
    check_grad(lambda x: x.clamp(low, high), shape, seed=2)
    check_grad(lambda x: memograd.clamp(x, min=low, max=high) * x, shape, seed=3)


def test_clamp_values_and_gradient_mask():
    x = memograd.tensor([-2.0, -0.5, 0.0, 0.5, 2.0], requires_grad=True)
    y = x.clamp(-1.0, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), [-1.0, -0.5, 0.0, 0.5, 1.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp"):
        leaf(3).clamp()


def test_sigmoid_is_stable_for_large_inputs():
    x = memograd.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 0.5, 1.0])
    y.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_log_of_zero_follows_numpy():
    with np.errstate(divide="ignore"):
        y = memograd.tensor([0.0, 1.0]).log()
    assert y.numpy()[0] == -np.inf
    assert y.numpy()[1] == 0.0
