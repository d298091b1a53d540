"""create_graph=True: the backward pass is itself recorded, so gradients of gradients work."""
import numpy as np

import memograd
from memograd.autograd import grad


def f64(values, requires_grad=True):
    return memograd.tensor(values, dtype=memograd.float64, requires_grad=requires_grad)


def test_second_and_third_derivative_of_tanh():
    x = f64([-1.0, 0.3, 2.0])
    (d1,) = grad(x.tanh().sum(), x, create_graph=True)
    (d2,) = grad(d1.sum(), x, create_graph=True)
    (d3,) = grad(d2.sum(), x)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(d1.detach().numpy(), 1 - t**2)
    np.testing.assert_allclose(d2.detach().numpy(), -2 * t * (1 - t**2))
    np.testing.assert_allclose(d3.detach().numpy(), (6 * t**2 - 2) * (1 - t**2))


def test_cubic_through_backward_with_create_graph():
    x = f64(3.0)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 27.0
    g = x.grad
    x.grad = None
    g.backward()
    assert x.grad.item() == 18.0


def test_hessian_vector_product():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    a = a + a.T
    x = f64(rng.standard_normal(4))
    v = f64(rng.standard_normal(4), requires_grad=False)
    loss = 0.5 * (x @ memograd.tensor(a) @ x) + x.sin().sum()
    (g,) = grad(loss, x, create_graph=True)
    (hv,) = grad((g * v).sum(), x)
    hessian = a - np.diag(np.sin(x.detach().numpy()))
    np.testing.assert_allclose(hv.numpy(), hessian @ v.numpy(), rtol=1e-10)


def test_gradient_of_a_gradient_norm():
    # d/dw ||d loss/dw||^2 for loss = sum(tanh(X w)): the gradient-penalty pattern.
    rng = np.random.default_rng(1)
    xs = memograd.tensor(rng.standard_normal((5, 3)))
    w = f64(rng.standard_normal(3))

    def penalty(weights):
        (g,) = grad((xs @ weights).tanh().sum(), weights, create_graph=True)
        return (g * g).sum()

    p = penalty(w)
    p.backward()
    analytic = w.grad.numpy().copy()
    numeric = np.zeros(3)
    for i in range(3):
        for sign in (1, -1):
            shifted = w.detach().numpy().copy()
            shifted[i] += sign * 1e-6
            numeric[i] += sign * penalty(f64(shifted)).item() / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_create_graph_keeps_the_graph_for_another_backward():
    x = f64([1.0, 2.0])
    y = (x**2).sum()
    (g,) = grad(y, x, create_graph=True)
    (g2,) = grad(y, x)  # the first graph was retained
    np.testing.assert_allclose(g.detach().numpy(), g2.numpy())


def test_gradient_without_create_graph_is_constant():
    x = f64([1.0, 2.0])
    (g,) = grad((x**3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
