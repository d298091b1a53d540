"""The naive differentiator: same gradients as backprop, exactly the predicted cost, and a
refusal (not a hang) above its limit."""
from itertools import pairwise

import numpy as np
import pytest

import memograd as mg
from memograd.explain import NaiveTooExpensive, backprop_gradients, naive_gradients, naive_vs_backprop, predict
from memograd.explain.demo import mlp, mlp_loss, mse, regression_batch
from memograd.explain.naive import gradients_agree


def leaf(values):
    return mg.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def check(loss, expected_vjps=None):
    """Both methods agree, and the naive run cost exactly what path counting predicted."""
    prediction = predict(loss)
    naive, naive_cost = naive_gradients(loss)
    backprop, backprop_cost = backprop_gradients(loss)
    assert gradients_agree(naive, backprop, rtol=1e-10, atol=1e-12)
    assert naive_cost.vjps == prediction.naive.vjps
    assert naive_cost.flops == prediction.naive.flops
    assert backprop_cost.vjps == prediction.backprop.vjps
    assert backprop_cost.flops == prediction.backprop.flops
    if expected_vjps is not None:
        assert naive_cost.vjps == expected_vjps
    return naive, backprop


def test_fan_out_x_times_x_plus_x_times_w():
    x, w = leaf([1.0, -2.0, 0.5]), leaf([0.3, 0.7, -1.1])
    loss = (x * x + x * w).sum()
    naive, _ = check(loss, expected_vjps=3 * 3 + 3)  # x: 3 paths of 3 VJPs; w: 1 path of 3
    np.testing.assert_allclose(naive[x._node], 2 * x._data + w._data)
    np.testing.assert_allclose(naive[w._node], x._data)


def test_shared_subexpression_used_three_times():
    x, w = leaf(2.0), leaf(3.0)
    a = x * w
    b = a + a
    c = b * a  # c = 2 (xw)^2
    naive, _ = check(c)
    assert float(naive[x._node]) == pytest.approx(4 * 2.0 * 9.0)
    assert float(naive[w._node]) == pytest.approx(4 * 3.0 * 4.0)
    assert predict(c).paths[x._node] == 3


def test_broadcast_and_matmul_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    loss, model = mlp_loss(3, width=5, batch=4)
    naive, _ = check(loss)
    x, y = regression_batch(4, 5)
    params = [torch.tensor(t._data, requires_grad=True) for t in model.parameters()]
    h = torch.tensor(x._data)
    for i in range(0, len(params) - 2, 2):
        h = torch.tanh(h @ params[i] + params[i + 1])
    out = h @ params[-2] + params[-1]
    ((out - torch.tensor(y._data)) ** 2).mean().backward()
    for tensor, reference in zip(model.parameters(), params):
        np.testing.assert_allclose(naive[tensor._node], reference.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_skip_connections_agree(activation):
    loss, _ = mlp_loss(4, width=6, batch=3, skip=True, activation=activation)
    check(loss)


def test_reductions_views_and_division():
    x = leaf(np.linspace(0.5, 2.0, 6).reshape(2, 3))
    y = (x / x.sum(1, keepdim=True)).exp().reshape(3, 2).T
    loss = (y.log() * y).mean() + x.max()
    check(loss)


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_plain_chain_counts_are_quadratic_and_backprop_linear(depth):
    # Per hidden layer: MatMul, Add, Tanh; head: MatMul, Add; loss: Sub, Pow, Mean.
    # Layer k from the top has bias 7+3k and weight 8+3k VJPs from the loss; the head 4 and 5.
    loss, _ = mlp_loss(depth, width=4, batch=2)
    prediction = predict(loss)
    assert prediction.backprop.vjps == 3 * depth + 5
    assert prediction.naive.vjps == 3 * (depth + 1) * (depth + 3)
    check(loss, expected_vjps=3 * (depth + 1) * (depth + 3))


def test_skip_counts_grow_exponentially():
    counts = [predict(mlp_loss(d, width=4, batch=2, skip=True)[0]).naive.vjps for d in range(1, 10)]
    backprop = [predict(mlp_loss(d, width=4, batch=2, skip=True)[0]).backprop.vjps for d in range(1, 10)]
    ratios = [b / a for a, b in pairwise(counts[3:])]
    assert all(2.0 < r < 2.6 for r in ratios), ratios           # paths double at every block
    assert len({b - a for a, b in pairwise(backprop)}) == 1  # backprop: +4 per block


def test_refusal_states_the_predicted_cost_before_doing_work():
    loss, _ = mlp_loss(14, width=4, batch=2, skip=True)
    expected = predict(loss).naive.vjps
    assert expected > 1_000_000
    with pytest.raises(NaiveTooExpensive) as info:
        naive_gradients(loss, max_vjps=200_000)
    assert f"{expected:,}" in str(info.value)
    assert "max_vjps=200,000" in str(info.value)
    assert info.value.prediction.naive.vjps == expected


def test_leaves_grad_untouched_and_graph_retained():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (x * w).sum()
    comparison = naive_vs_backprop(loss, names={x: "x", w: "w"})
    assert comparison.agree and x.grad is None and w.grad is None
    assert set(comparison.naive_grads) == {"x", "w"}
    loss.backward()  # the graph is still usable
    np.testing.assert_allclose(x.grad._data, w._data)
    assert "naive (per path)" in comparison.format()


def test_freed_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        naive_gradients(loss)


def test_custom_function_in_the_graph():
    class Cube(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_out):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad_out

    x = leaf([1.0, -2.0])
    naive, _ = check((Cube.apply(x) + x).sum())
    np.testing.assert_allclose(naive[x._node], 3 * x._data ** 2 + 1)


def test_float32_model_agrees_within_float32_tolerance():
    x, y = regression_batch(4, 6, dtype=np.float32)
    model = mlp([6, 6, 6, 1], skip=True, dtype=np.float32)
    loss = mse(model(x), y)
    naive, _ = naive_gradients(loss)
    backprop, _ = backprop_gradients(loss)
    assert gradients_agree(naive, backprop, rtol=1e-4, atol=1e-6)


def test_small_cnn_naive_equals_backprop():
    """Convolution, pooling and the fused cross-entropy: the naive walk calls the same local
    rules along every path and lands on backprop's gradients, at the predicted cost."""
    nn = mg.nn
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(2 * 2 * 2, 3)).to(mg.float64)
    x = mg.randn(2, 1, 4, 4, dtype=mg.float64)
    loss = nn.functional.cross_entropy(model(x), mg.tensor([0, 2]))
    naive, backprop = check(loss)
    assert len(naive) == 4  # conv weight and bias, linear weight and bias
    report = naive_vs_backprop(loss, names=dict((p, n) for n, p in model.named_parameters()))
    assert report.agree and report.naive.vjps > report.backprop.vjps
