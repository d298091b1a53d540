"""create_graph=True: the backward pass is itself recorded, so gradients of gradients work."""
import numpy as np
import pytest

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


class Doubled(memograd.autograd.function.Op):
    """An op with a plain rule and no graph rule (graph_backward)."""

    __slots__ = ()
    backward_flops_per_element = 1

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 2


def test_an_op_without_a_graph_rule_refuses_create_graph_naming_itself():
    x = f64([1.0, 2.0])
    (g,) = grad((Doubled.apply(x) ** 2).sum(), x)  # plain backprop runs its array rule
    np.testing.assert_allclose(g.numpy(), [8.0, 16.0])
    with pytest.raises(NotImplementedError, match="Doubled"):
        grad((Doubled.apply(x) ** 2).sum(), x, create_graph=True)


def in_place_through_views(lib, x, write):
    """`write` changes a chain of views of h in place while recording (CopySlices), then the
    gradient is taken with create_graph=True and differentiated twice more."""
    h = x * 3
    write(h, x)
    y = (h * h.exp()).sum()
    (g,) = lib.autograd.grad(y, x, create_graph=True)
    (gg,) = lib.autograd.grad((g * g.sin()).sum(), x, create_graph=True)
    (ggg,) = lib.autograd.grad(gg.sum(), x)
    return [t.detach().numpy() for t in (g, gg, ggg)]


def add_through_a_view(h, x):
    h[:2].add_(x[2:] ** 2)


def copy_and_zero_through_chains(h, x):
    h.view(2, 2)[1].copy_(x[:2].sin() * x[2:])
    h.view(2, 2).t()[0].zero_()


def mul_through_a_view(h, x):
    h[:2].mul_(x[:2])


def div_on_a_base_then_a_view(h, x):
    h.div_(x.cos() + 2)
    h[1:3].mul_(h[:2].detach() + x[:2])


@pytest.mark.parametrize("write", [
    add_through_a_view,
    copy_and_zero_through_chains,
    mul_through_a_view,
    div_on_a_base_then_a_view,
])
def test_higher_order_through_in_place_on_views_matches_torch(write):
    torch = pytest.importorskip("torch")
    x0 = np.array([0.3, -0.7, 1.1, 0.5])
    ours = in_place_through_views(memograd, f64(x0), write)
    theirs = in_place_through_views(torch, torch.tensor(x0, requires_grad=True), write)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)
