"""The backward pass: every leaf gets its gradient, gradients accumulate until zeroed,
retain_grad, deep and wide graphs, retain_graph, autograd.grad and backward's arguments."""
import numpy as np
import pytest

import memograd
from memograd.autograd import grad


def test_backward_fills_every_leaf():
    a = memograd.tensor([1.0, 2.0], requires_grad=True)
    b = memograd.tensor([3.0, 4.0], requires_grad=True)
    c = memograd.tensor(2.0, requires_grad=True)
    unused = memograd.tensor(1.0, requires_grad=True)
    loss = ((a * b).sum() * c + a.sum()) ** 2  # = (2*(3+8) + 3)^2 = 625
    loss.backward()
    outer = 2 * 25.0
    np.testing.assert_allclose(a.grad.numpy(), outer * (b.detach().numpy() * 2 + 1))
    np.testing.assert_allclose(b.grad.numpy(), outer * a.detach().numpy() * 2)
    np.testing.assert_allclose(c.grad.numpy(), outer * 11.0)
    assert unused.grad is None
    assert c.grad.shape == () and a.grad.shape == (2,)


def test_gradients_accumulate_until_zeroed():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    for expected in ([2.0, 4.0], [4.0, 8.0], [6.0, 12.0]):
        (x * x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), expected)
    x.grad.zero_()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    x.grad = None
    (3 * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_grads_of_different_leaves_never_alias():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    y = memograd.tensor([1.0, 2.0], requires_grad=True)
    (x + y).sum().backward()  # both receive the same incoming gradient
    x.grad.add_(10.0)
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])


def test_non_leaf_grad_is_kept_only_with_retain_grad():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    k = h * 2
    h.retain_grad()
    assert h.retains_grad and not k.retains_grad
    (k * k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * k.detach().numpy() * 2)
    assert k.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 2 * k.detach().numpy() * 6)
    h.grad.add_(1.0)  # the retained gradient is its own array
    np.testing.assert_allclose(x.grad.numpy(), 2 * k.detach().numpy() * 6)


def test_deep_chain_backpropagates_without_recursion():
    x = memograd.tensor(1.0, dtype=memograd.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_wide_graph():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    branches = [x * float(i) for i in range(3000)]
    total = memograd.stack(branches).sum()
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), [sum(range(3000))] * 2)


def test_shared_subgraph_runs_once_and_sums_paths():
    x = memograd.tensor(2.0, dtype=memograd.float64, requires_grad=True)
    h = x.exp()
    y = h * h + h.sin() + h  # three paths into h
    y.backward()
    e = np.exp(2.0)
    np.testing.assert_allclose(x.grad.item(), (2 * e + np.cos(e) + 1) * e)


def test_second_backward_without_retain_graph_is_a_clear_error():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_with_gradient_argument():
    x = memograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(memograd.tensor([1.0, 0.0, -1.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, -6.0])
    x.grad = None
    (x * 2).backward(gradient=np.ones(3))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_backward_of_several_outputs():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    memograd.autograd.backward([(x * x).sum(), (3 * x).sum()])
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0])


def test_backward_inputs_argument_limits_the_leaves():
    a = memograd.tensor(1.0, requires_grad=True)
    b = memograd.tensor(2.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_autograd_grad_returns_gradients_without_touching_grad():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    w = memograd.tensor([3.0, 4.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gw.numpy(), [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_autograd_grad_options():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    unused = memograd.tensor(1.0, requires_grad=True)
    y = x * x
    (g,) = grad(y, x, grad_outputs=memograd.tensor([1.0, -1.0]), retain_graph=True)
    np.testing.assert_allclose(g.numpy(), [2.0, -4.0])
    (g,) = grad([y.sum()], [x], retain_graph=True)  # the graph is still there
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad(y.sum(), [x, unused], retain_graph=True)
    gx, gu = grad(y.sum(), [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0])


def test_autograd_grad_with_respect_to_an_intermediate():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    (gh,) = grad(y, h)
    np.testing.assert_allclose(gh.numpy(), 2 * h.detach().numpy())
    assert x.grad is None


def test_backward_from_a_leaf():
    x = memograd.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_gradient_flows_through_integer_index_and_constant_branches():
    x = memograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    idx = x.detach().argmax(1)
    y = x[memograd.arange(2), idx].sum() + (x > 2).float().sum()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 1.0], [0.0, 1.0]])


def test_wide_graph_runs_each_node_once():
    """Linear cost: with n parallel branches the engine runs n + constant local rules,
    each exactly once (a quadratic walk would revisit the shared input per branch)."""
    from memograd.autograd.engine import Observer, run_backward

    class Runs(Observer):
        def node_ran(self, node, grad, grads_in):
            runs.append(node)

    for width in (500, 1000):
        x = memograd.tensor([1.0, 2.0], requires_grad=True)
        total = memograd.stack([(x * float(i)).sin() for i in range(width)]).sum()
        runs = []
        run_backward([total.grad_fn], [np.ones((), np.float32)], observers=[Runs()])
        assert len(runs) == len(set(map(id, runs))) == 2 * width + 3  # sin and mul per branch; stack, sum, leaf
