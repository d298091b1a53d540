"""GradientMonitor: a deep sigmoid MLP with PyTorch's default init is flagged as vanishing;
a ReLU MLP with He init is not."""
from pathlib import Path

import numpy as np
import pytest

from memograd.explain import GradientMonitor
from memograd.explain.demo import mlp, mse, regression_batch


def monitored(activation, init, depth=10, width=32, lr=0.01):
    model = mlp([width] * depth + [1], activation=activation, init=init)
    x, y = regression_batch(64, width)
    monitor = GradientMonitor(model)
    mse(model(x), y).backward()
    monitor.step()
    for p in model.parameters():
        p._data -= lr * p.grad._data
    monitor.after_update()
    return monitor


def test_sigmoid_with_default_init_is_flagged_as_vanishing():
    monitor = monitored("sigmoid", "uniform")
    warnings = monitor.diagnose()
    assert any(w.startswith("vanishing gradients: layer 0's gradient is") for w in warnings), warnings
    assert "ReLU with He init" in "\n".join(warnings)
    norms = [s.grad_norm for s in monitor.history[-1].values()]
    assert norms[0] / norms[-1] < 1e-3


def test_relu_with_he_init_is_healthy():
    monitor = monitored("relu", "he", lr=1e-3)
    assert monitor.diagnose() == []
    assert "no problems found" in monitor.report()
    ratios = [s.update_ratio for s in monitor.history[-1].values()]
    assert all(r is not None and 0 < r < 0.1 for r in ratios)


def test_exploding_and_large_updates():
    monitor = monitored("relu", "he", lr=10.0)
    model = monitor.model
    for name, t in model.named_parameters():
        if name.startswith("0."):
            t.grad._data *= 1e6
    monitor.step()
    assert any(w.startswith("exploding gradients") for w in monitor.diagnose())
    assert any(w.startswith("large updates") for w in monitored("relu", "he", lr=50.0).diagnose())


def test_dead_relus_are_counted():
    monitor = monitored("relu", "he")
    activation = np.maximum(np.random.default_rng(0).normal(size=(8, 10)), 0)
    activation[:, :7] = 0
    monitor.watch("hidden", activation)
    monitor.step()
    assert monitor.dead[-1]["hidden"] == pytest.approx(0.7)
    assert any(w.startswith("dead ReLUs: 70%") for w in monitor.diagnose())


def test_plot_and_errors(tmp_path):
    monitor = monitored("tanh", "uniform", depth=4, width=8)
    path = monitor.plot(tmp_path / "gradflow.png")
    assert Path(path).read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="named_parameters"):
        GradientMonitor(object())
    with pytest.raises(RuntimeError, match="step"):
        GradientMonitor(mlp([2, 1])).after_update()
