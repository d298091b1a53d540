"""`inplace=True` of the activation and dropout layers is honoured, as in PyTorch: the result
is written over the input, which is returned, and the graph stays correct (or refuses, when
the overwritten value was saved for backward). Values and gradients against torch.nn."""
import numpy as np
import pytest

import memograd as mg
import memograd.nn.functional as F
from memograd import nn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

X = np.random.default_rng(0).standard_normal((4, 5))
WEIGHTS = np.random.default_rng(1).standard_normal((4, 5))


def through(lib, layer_or_fn, x_array=X):
    """x (a leaf) -> h = 2x (not a leaf) -> the in-place layer on h: returns whether the layer
    returned h itself, the output's values, and x's gradient of sum(out * WEIGHTS)."""
    x = lib.tensor(x_array, dtype=lib.float64, requires_grad=True)
    h = x * 2
    out = layer_or_fn(h)
    (out * lib.tensor(WEIGHTS)).sum().backward()
    return out is h, out.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.ReLU(inplace=True),
    lambda lib: (lambda h: lib.nn.functional.relu(h, inplace=True)),
    lambda lib: lib.nn.functional.relu_,
    lambda lib: lib.nn.LeakyReLU(0.2, inplace=True),
    lambda lib: (lambda h: lib.nn.functional.leaky_relu(h, 0.2, inplace=True)),
    lambda lib: lib.nn.functional.leaky_relu_,
], ids=["ReLU", "relu", "relu_", "LeakyReLU", "leaky_relu", "leaky_relu_"])
@needs_torch
def test_inplace_activation_returns_its_input_with_torchs_values_and_gradients(make):
    same, out, grad = through(mg, make(mg))
    same_t, out_t, grad_t = through(torch, make(torch))
    assert same and same_t
    np.testing.assert_allclose(out, out_t, rtol=1e-12)
    np.testing.assert_allclose(grad, grad_t, rtol=1e-12)


def test_inplace_relu_changes_the_memory_every_view_sees():
    base = mg.tensor([-1.0, 2.0, -3.0, 4.0])
    view = base[1:]
    with mg.no_grad():
        nn.ReLU(inplace=True)(view)
    np.testing.assert_array_equal(base.numpy(), [-1.0, 2.0, 0.0, 4.0])
    F.relu(base, inplace=True)
    np.testing.assert_array_equal(base.numpy(), [0.0, 2.0, 0.0, 4.0])


@pytest.mark.parametrize("layer", [nn.ReLU(inplace=True), nn.LeakyReLU(inplace=True)], ids=["ReLU", "LeakyReLU"])
def test_inplace_on_a_leaf_that_requires_grad_raises(layer):
    with pytest.raises(RuntimeError, match="leaf"):
        layer(mg.randn(3, requires_grad=True))


def test_inplace_relu_over_a_value_saved_for_backward_is_refused():
    """sigmoid saves its output for its backward; overwriting it must not go unnoticed (PyTorch
    raises the same way)."""
    x = mg.randn(5, requires_grad=True)
    h = x.sigmoid()
    nn.ReLU(inplace=True)(h)
    with pytest.raises(RuntimeError, match="in-?place"):
        h.sum().backward()


@needs_torch
def test_sequential_with_inplace_relus_matches_torch():
    def run(lib):
        lib.manual_seed(0)
        net = lib.nn.Sequential(lib.nn.Linear(5, 6), lib.nn.ReLU(inplace=True), lib.nn.Linear(6, 6),
                                lib.nn.ReLU(inplace=True), lib.nn.Linear(6, 3)).double()
        with lib.no_grad():
            for i, p in enumerate(net.parameters()):
                p.copy_(lib.tensor(np.random.default_rng(i).standard_normal(tuple(p.shape))))
        out = net(lib.tensor(X, dtype=lib.float64))
        lib.nn.functional.cross_entropy(out, lib.tensor([0, 2, 1, 1])).backward()
        return out.detach().numpy(), [p.grad.numpy() for p in net.parameters()]

    out, grads = run(mg)
    out_t, grads_t = run(torch)
    np.testing.assert_allclose(out, out_t, rtol=1e-10)
    for g, g_t in zip(grads, grads_t):
        np.testing.assert_allclose(g, g_t, rtol=1e-10, atol=1e-12)


def test_inplace_dropout_multiplies_its_input():
    mg.manual_seed(3)
    expected = F.dropout(mg.tensor(X), 0.4)
    mg.manual_seed(3)
    x = mg.tensor(X, requires_grad=True)
    h = x * 1
    layer = nn.Dropout(0.4, inplace=True)
    out = layer(h)
    assert out is h
    np.testing.assert_array_equal(out.detach().numpy(), expected.numpy())
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (expected.numpy() != 0) / 0.6)
    layer.eval()
    assert layer(h) is h


def test_train_models_use_inplace_relus():
    from memograd.training.config import TrainConfig
    from memograd.training.models import build_model

    for model in ("mlp", "cnn"):
        net = build_model(TrainConfig(model=model, hidden=(8,)), (1, 4, 4), 3)
        relus = [m for m in net if isinstance(m, nn.ReLU)]
        assert relus and all(m.inplace for m in relus)
        net(mg.randn(2, 1, 4, 4)).sum().backward()
