"""User-defined autograd.Function with ctx.save_for_backward / saved_tensors / needs_input_grad."""
import numpy as np
import pytest

import memograd
from memograd.autograd import Function, gradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_out


class ScaledMul(Function):
    """a * b * scale; records which inputs needed a gradient."""

    seen = None

    @staticmethod
    def forward(ctx, a, b, scale=1.0):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        ScaledMul.seen = ctx.needs_input_grad
        grad_a = grad_out * b * ctx.scale if ctx.needs_input_grad[0] else None
        grad_b = grad_out * a * ctx.scale if ctx.needs_input_grad[1] else None
        return grad_a, grad_b


def f64(*shape, requires_grad=True, seed=0):
    data = np.random.default_rng(seed).uniform(0.5, 2.0, size=shape)
    return memograd.tensor(data, dtype=memograd.float64, requires_grad=requires_grad)


def test_custom_function_gradient_reaches_the_leaf():
    x = f64(3)
    y = Cube.apply(x)
    assert y.grad_fn is not None and "Cube" in y.grad_fn.name
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)


def test_custom_function_inside_a_larger_graph():
    assert gradcheck(lambda t: (Cube.apply(t * 2).exp() * t).sum(), [f64(4) * 0.3])  # a non-leaf input
    x = f64(2, 3)
    assert gradcheck(lambda t: Cube.apply(t).sum(0) + t.sum(0), [x])


def test_needs_input_grad_and_none_gradients():
    a, b = f64(3), f64(3, requires_grad=False, seed=1)
    ScaledMul.apply(a, b, scale=2.0).sum().backward()
    assert ScaledMul.seen == (True, False)
    np.testing.assert_allclose(a.grad.numpy(), 2 * b.numpy())
    assert b.grad is None
    assert gradcheck(lambda p, q: ScaledMul.apply(p, q, scale=0.5), [f64(3), f64(3, seed=2)])


def test_custom_function_without_grad_inputs_records_nothing():
    y = Cube.apply(memograd.ones(2))
    assert y.grad_fn is None
    with memograd.no_grad():
        assert Cube.apply(f64(2)).grad_fn is None


def test_custom_function_second_backward_needs_retain_graph():
    x = f64(3)
    y = Cube.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_custom_function_detects_modified_saved_input():
    x = f64(3)
    h = x * 1.0
    y = Cube.apply(h).sum()
    with memograd.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_custom_function_under_create_graph():
    x = f64(3)
    (g,) = memograd.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (g2,) = memograd.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g2.numpy(), 6 * x.detach().numpy())


def test_gradcheck_reports_where_backprop_is_wrong():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return grad_out * x  # should be 2x

    x = f64(2, 3)
    with pytest.raises(AssertionError, match=r"input 0 \(shape (\(2, 3\)|torch.Size\(\[2, 3\]\))\) differs at index \(0, 0\).*backprop.*finite"):
        gradcheck(Wrong.apply, [x])
    assert gradcheck(Wrong.apply, [x], raise_exception=False) is False
    assert gradcheck(lambda t: t * t, [x]) is True


def test_gradcheck_wants_float64():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, [memograd.ones(2, requires_grad=True)])


def test_gradcheck_leaves_grad_untouched():
    x = f64(3)
    x.grad = memograd.ones(3, dtype=memograd.float64)
    assert gradcheck(lambda t: t.exp(), [x])
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))
