"""Values and gradients against PyTorch, one table row per expression (skipped without torch).
Each row is run with `lib` = memograd and `lib` = torch on the same float64 inputs."""
import numpy as np
import pytest
from helpers import check_parity

import memograd

torch = pytest.importorskip("torch")

# (id, input shapes, domain, fn(lib, *inputs))
CASES = [
    ("add_bcast", [(3, 4), (4,)], "real", lambda lib, a, b: a + b),
    ("sub_scalar", [(3, 4)], "real", lambda lib, a: 2.0 - a),
    ("mul_self", [(3, 4)], "real", lambda lib, a: a * a),
    ("div_bcast", [(3, 1), (1, 4)], "real", lambda lib, a, b: a / b),
    ("pow_tensor", [(3, 4), (3, 4)], "positive", lambda lib, a, b: a**b),
    ("pow_const", [(5,)], "real", lambda lib, a: a**3),
    ("rpow", [(5,)], "real", lambda lib, a: 2.0**a),
    ("neg", [(5,)], "real", lambda lib, a: -a),
    ("matmul_2d", [(3, 4), (4, 5)], "real", lambda lib, a, b: a @ b),
    ("matmul_batched", [(2, 1, 3, 4), (5, 4, 2)], "real", lambda lib, a, b: a @ b),
    ("matmul_vec", [(4,), (2, 4, 3)], "real", lambda lib, a, b: a @ b),
    ("dot", [(4,), (4,)], "real", lambda lib, a, b: a @ b),
    ("exp", [(3, 4)], "real", lambda lib, a: a.exp()),
    ("log", [(3, 4)], "positive", lambda lib, a: a.log()),
    ("log1p", [(3, 4)], "unit", lambda lib, a: a.log1p()),
    ("sqrt", [(3, 4)], "positive", lambda lib, a: a.sqrt()),
    ("rsqrt", [(3, 4)], "positive", lambda lib, a: a.rsqrt()),
    ("reciprocal", [(3, 4)], "real", lambda lib, a: a.reciprocal()),
    ("sin_cos", [(3, 4)], "real", lambda lib, a: a.sin() * a.cos()),
    ("tanh", [(3, 4)], "real", lambda lib, a: a.tanh()),
    ("sigmoid", [(3, 4)], "real", lambda lib, a: a.sigmoid()),
    ("relu", [(3, 4)], "real", lambda lib, a: a.relu()),
    ("abs", [(3, 4)], "real", lambda lib, a: a.abs()),
    ("sign", [(3, 4)], "real", lambda lib, a: a.sign() * a),
    ("clamp", [(3, 4)], "real", lambda lib, a: a.clamp(-0.5, 1.0)),
    ("clamp_min", [(3, 4)], "real", lambda lib, a: a.clamp(min=0.1)),
    ("maximum", [(3, 4), (4,)], "real", lambda lib, a, b: lib.maximum(a, b)),
    ("minimum", [(3, 4), (3, 1)], "real", lambda lib, a, b: lib.minimum(a, b)),
    ("sum_all", [(2, 3, 4)], "real", lambda lib, a: a.sum()),
    ("sum_dims", [(2, 3, 4)], "real", lambda lib, a: a.sum((0, -1), keepdim=True)),
    ("mean", [(2, 3, 4)], "real", lambda lib, a: a.mean(1)),
    ("prod", [(3, 4)], "real", lambda lib, a: a.prod(-1)),
    ("amax", [(3, 4)], "real", lambda lib, a: a.amax(0)),
    ("amin", [(2, 3, 4)], "real", lambda lib, a: a.amin((1, 2))),
    ("max_dim", [(3, 4)], "real", lambda lib, a: a.max(1)[0]),
    ("min_dim_keep", [(3, 4)], "real", lambda lib, a: a.min(0, keepdim=True).values),
    ("max_all", [(3, 4)], "real", lambda lib, a: a.max()),
    ("var", [(3, 4)], "real", lambda lib, a: a.var(1)),
    ("var_biased", [(3, 4)], "real", lambda lib, a: a.var(0, unbiased=False)),
    ("std", [(3, 4)], "real", lambda lib, a: a.std()),
    ("std_correction", [(3, 5)], "real", lambda lib, a: a.std(1, correction=2, keepdim=True)),
    ("logsumexp", [(3, 4)], "real", lambda lib, a: a.logsumexp(1)),
    ("norm", [(3, 4)], "real", lambda lib, a: a.norm()),
    ("norm_dim", [(3, 4)], "real", lambda lib, a: a.norm(dim=1)),
    ("norm_p1", [(3, 4)], "real", lambda lib, a: a.norm(p=1, dim=0)),
    ("reshape_view", [(3, 4)], "real", lambda lib, a: a.reshape(2, 6).view(12) * a.flatten()),
    ("flatten", [(2, 3, 4)], "real", lambda lib, a: a.flatten(1) ** 2),
    ("squeeze", [(1, 3, 1)], "real", lambda lib, a: a.squeeze(0).unsqueeze(-1) ** 2),
    ("permute", [(2, 3, 4)], "real", lambda lib, a: a.permute(2, 0, 1) ** 2),
    ("transpose_T", [(3, 4)], "real", lambda lib, a: a.transpose(0, 1) @ a + a.T @ a),
    ("expand", [(3, 1)], "real", lambda lib, a: a.expand(3, 4) ** 2),
    ("repeat", [(2, 3)], "real", lambda lib, a: a.repeat(2, 2) ** 2),
    ("getitem", [(4, 5)], "real", lambda lib, a: a[1:, ::2] ** 2),
    ("getitem_adv", [(4, 5)], "real", lambda lib, a: a[[0, 0, 3]] ** 2),
    ("getitem_none_ellipsis", [(2, 3, 4)], "real", lambda lib, a: a[..., None, 1] ** 2),
    ("mask", [(4, 5)], "real", lambda lib, a: a[a > 0] ** 2),
    ("cat", [(2, 3), (1, 3)], "real", lambda lib, a, b: lib.cat([a, b, a], 0) ** 2),
    ("stack", [(2, 3), (2, 3)], "real", lambda lib, a, b: lib.stack([a, b], 1) ** 2),
    ("split", [(5, 3)], "real", lambda lib, a: a.split(2)[1] ** 2),
    ("chunk", [(3, 5)], "real", lambda lib, a: a.chunk(2, 1)[0] ** 2),
    ("where", [(3, 4), (3, 4)], "real", lambda lib, a, b: lib.where(a > 0, a, b) ** 2),
    ("softmax", [(3, 4)], "real", lambda lib, a: a.softmax(1)),
    ("log_softmax", [(3, 4)], "real", lambda lib, a: a.log_softmax(0)),
    ("clone", [(3,)], "real", lambda lib, a: a.clone() * a),
    ("mlp", [(5, 4), (4, 3), (3,)], "real", lambda lib, x, w, b: ((x @ w + b).tanh() ** 2).mean(0)),
]


@pytest.mark.parametrize("name, shapes, domain, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, shapes, domain, fn):
    check_parity(torch, shapes, domain, fn)


def test_dtype_rules_match_torch():
    for make in (lambda lib: lib.tensor([1.0, 2.0]) * 2.0, lambda lib: lib.tensor([1, 2]) * 2.5,
                 lambda lib: lib.tensor([1, 2]) / 2, lambda lib: lib.ones(2) * lib.tensor([1, 2]),
                 lambda lib: lib.arange(3), lambda lib: lib.arange(0.0, 1.0, 0.5), lambda lib: lib.tensor(3),
                 lambda lib: lib.zeros(2, dtype=lib.float64) + lib.ones(2)):
        assert str(make(memograd).dtype) == str(make(torch).dtype).replace("torch.", "")


def test_second_derivative_matches_torch():
    def second(lib):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((x.tanh() * x.sin()).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        return h.numpy()

    np.testing.assert_allclose(second(memograd), second(torch), rtol=1e-10)
