"""Layer-by-layer derivatives: the output layer needs the loss derivative, each hidden layer
reuses the stored gradient of the layer after it."""
import numpy as np
import pytest
from test_explain_graph import check_dot

import memograd as mg
from memograd.explain import layer_derivatives
from memograd.explain.demo import Activation, Affine, mlp, mse, regression_batch


def test_plain_list_of_callables():
    rng = np.random.default_rng(0)
    layers = [Affine(3, 5, rng), lambda h: h.tanh(), Affine(5, 2, rng)]
    x, y = regression_batch(4, 3, n_out=2)
    report = layer_derivatives(layers, x, y, mse)
    rows = report.rows
    assert [r.grad_shape for r in rows] == [(4, 5), (4, 5), (4, 2)]
    assert rows[-1].needs == "the loss derivative" and rows[-1].reuses == ["loss"]
    assert rows[0].reuses == ["out 1"] and rows[1].reuses == ["out 2"]
    assert rows[0].needs == "loss + layers 1..2"
    assert rows[1].name == "<lambda>"
    # with the stored gradient of the Tanh output, layer 0's output needs one more VJP (Tanh's)
    assert rows[0].new_vjps == 1
    assert rows[0].vjps_from_loss > rows[1].vjps_from_loss > rows[2].vjps_from_loss
    assert set(rows[0].param_grad_norms) == {"weight", "bias"}


def test_gradients_match_retain_grad():
    model = mlp([4, 6, 6, 1])
    x, y = regression_batch(5, 4)
    report = layer_derivatives(model, x, y, mse)
    # recompute with retain_grad as an independent oracle
    outs, h = [], x
    for layer in model:
        h = layer(h)
        h.retain_grad()
        outs.append(h)
    mse(h, y).backward()
    for row, out in zip(report.rows, outs):
        assert row.grad_norm == pytest.approx(float(np.linalg.norm(out.grad._data)))


def test_sequential_like_object_and_drawing_emphasis():
    class Sequential:  # what memograd.nn.Sequential offers, duck-typed
        def __init__(self, *layers):
            self.layers = layers

        def __iter__(self):
            return iter(self.layers)

        def named_parameters(self):
            for i, layer in enumerate(self.layers):
                for name, t in getattr(layer, "named_parameters", lambda: iter(()))():
                    yield f"{i}.{name}", t

    rng = np.random.default_rng(1)
    model = Sequential(Affine(3, 4, rng), Activation("relu"), Affine(4, 1, rng))
    x, y = regression_batch(6, 3)
    report = layer_derivatives(model, x, y, mse)
    text = report.to_dot()
    check_dot(text)
    assert text.count("stored: dL/d(out") == 3
    assert "cluster_0" in text and "layer 2: Affine(4, 1)" in text and "0.weight" in text
    assert "Tanh" not in report.format() and "Relu" in report.format()


def test_skip_connections_reuse_the_next_block():
    model = mlp([4, 4, 4, 4, 1], skip=True)
    x, y = regression_batch(3, 4)
    rows = layer_derivatives(model, x, y, mse).rows
    assert rows[0].reuses == ["out 1"] and rows[0].new_vjps == 4  # Add, Tanh, Add, MatMul of block 1
    assert rows[0].vjps_from_loss > 4 * rows[2].vjps_from_loss


def test_bad_models_are_clear_errors():
    x, y = regression_batch(2, 3)
    with pytest.raises(TypeError, match="iterable of callable layers"):
        layer_derivatives(42, x, y, mse)
    with pytest.raises(TypeError, match="not callable"):
        layer_derivatives([mg.ones(3)], x, y, mse)
