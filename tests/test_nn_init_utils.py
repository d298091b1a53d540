"""nn.init (formulas, in place, seeded) and nn.utils (gradient clipping)."""
import math

import numpy as np
import pytest

import memograd as mg
from memograd import nn
from memograd.nn import init

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("conv2d") == 1.0
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


@pytest.mark.parametrize("fn, kwargs, bound_or_std, kind", [
    (init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(6 / 200), "bound"),
    (init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(6 / 400), "bound"),
    (init.kaiming_normal_, {"nonlinearity": "relu"}, math.sqrt(2 / 200), "std"),
    (init.xavier_uniform_, {}, math.sqrt(6 / 600), "bound"),
    (init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / 600), "std"),
    (init.uniform_, {"a": -0.3, "b": 0.3}, 0.3, "bound"),
    (init.normal_, {"std": 0.02}, 0.02, "std"),
])
def test_init_distributions(fn, kwargs, bound_or_std, kind):
    w = nn.Parameter(mg.empty(400, 200))  # fan_in 200, fan_out 400
    out = fn(w, **kwargs)
    assert out is w and w.requires_grad and w.is_leaf and w.grad_fn is None
    values = w.detach().numpy()
    if kind == "bound":
        assert np.abs(values).max() <= bound_or_std and np.abs(values).max() > 0.99 * bound_or_std
    else:
        assert values.std() == pytest.approx(bound_or_std, rel=0.02)


def test_constant_inits_and_seeding():
    w = nn.Parameter(mg.empty(3, 2))
    assert np.all(init.zeros_(w).detach().numpy() == 0)
    assert np.all(init.ones_(w).detach().numpy() == 1)
    assert np.all(init.constant_(w, 0.5).detach().numpy() == 0.5)
    mg.manual_seed(5)
    a = init.normal_(mg.empty(4)).numpy().copy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(a, init.normal_(mg.empty(4)).numpy())
    g = mg.Generator(9)
    b = init.uniform_(mg.empty(3), generator=g).numpy().copy()
    np.testing.assert_array_equal(b, init.uniform_(mg.empty(3), generator=mg.Generator(9)).numpy())
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(mg.empty(3))


def test_init_inside_a_graph_does_not_record():
    w = nn.Parameter(mg.ones(2))
    init.normal_(w)
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2, 2])


def _params_with_grads(*grads):
    params = []
    for g in grads:
        p = nn.Parameter(mg.zeros(len(g)))
        p.grad = mg.tensor(g)
        params.append(p)
    return params


def test_clip_grad_norm_scales_together_and_returns_total():
    params = _params_with_grads([3.0, 0.0], [0.0, 4.0])
    total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(params[0].grad.numpy(), [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(params[1].grad.numpy(), [0.0, 0.8], rtol=1e-5)
    small = _params_with_grads([0.1, 0.1])
    nn.utils.clip_grad_norm_(small, 10.0)
    np.testing.assert_allclose(small[0].grad.numpy(), [0.1, 0.1])  # never scaled up
    inf = _params_with_grads([1.0, -6.0])
    assert nn.utils.clip_grad_norm_(inf, 3.0, norm_type="inf").item() == 6.0
    np.testing.assert_allclose(inf[0].grad.numpy(), [0.5, -3.0], rtol=1e-5)
    assert nn.utils.clip_grad_norm_([nn.Parameter(mg.zeros(1))], 1.0).item() == 0.0  # no grads at all
    bad = _params_with_grads([float("nan")])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vector_round_trip():
    params = _params_with_grads([3.0, -0.5, -7.0])
    nn.utils.clip_grad_value_(params, 1.0)
    np.testing.assert_array_equal(params[0].grad.numpy(), [1.0, -0.5, -1.0])
    net = nn.Linear(2, 2)
    vec = nn.utils.parameters_to_vector(net.parameters())
    assert vec.shape == (6,)
    nn.utils.vector_to_parameters(mg.zeros(6), net.parameters())
    assert np.all(net.weight.detach().numpy() == 0)


@pytest.mark.skipif(torch is None, reason="torch is not installed")
def test_clip_grad_norm_matches_torch():
    grads = [np.random.default_rng(i).standard_normal(5) for i in range(3)]
    ours = _params_with_grads(*grads)
    theirs = [torch.zeros(5, requires_grad=True) for _ in grads]
    for p, g in zip(theirs, grads):
        p.grad = torch.tensor(g, dtype=torch.float32)
    for norm_type in (2.0, 1.0):
        a = nn.utils.clip_grad_norm_(ours, 0.5, norm_type)
        b = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type)
        assert a.item() == pytest.approx(b.item(), rel=1e-5)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5)
