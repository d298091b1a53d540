"""Second derivatives: each op's backward, recorded under create_graph=True, is itself
differentiated correctly (checked against finite differences of first derivatives)."""
import operator

import pytest

import memograd
from helpers import check_gradgrad

NONLINEAR = [
    ("mul", lambda x, y: x * y, [(3, 4), (4,)], "real"),
    ("div", lambda x, y: x / y, [(3, 4), (3, 1)], "real"),
    ("pow_const", lambda x: x**3, [(3, 4)], "real"),
    ("pow_tensor", lambda x, y: x**y, [(3, 4), (3, 4)], "positive"),
    ("matmul", operator.matmul, [(2, 3, 4), (4, 5)], "real"),
    ("matmul_self_T", lambda x: x @ x.T, [(3, 4)], "real"),
    ("matmul_vec", operator.matmul, [(4,), (4, 2)], "real"),
    ("exp", memograd.exp, [(3, 4)], "real"),
    ("log", memograd.log, [(3, 4)], "positive"),
    ("log1p", memograd.log1p, [(3, 4)], "unit"),
    ("sqrt", memograd.sqrt, [(3, 4)], "positive"),
    ("rsqrt", memograd.rsqrt, [(3, 4)], "positive"),
    ("reciprocal", memograd.reciprocal, [(3, 4)], "real"),
    ("sin", memograd.sin, [(3, 4)], "real"),
    ("cos", memograd.cos, [(3, 4)], "real"),
    ("tanh", memograd.tanh, [(3, 4)], "real"),
    ("sigmoid", memograd.sigmoid, [(3, 4)], "real"),
    ("relu_sq", lambda x: x.relu() * x, [(3, 4)], "real"),
    ("abs_sq", lambda x: x.abs() * x, [(3, 4)], "real"),
    ("prod", lambda x: x.prod(1), [(3, 4)], "real"),
    ("prod_all", lambda x: x.prod(), [(2, 3)], "real"),
    ("var", lambda x: x.var(1), [(3, 4)], "real"),
    ("std", lambda x: x.std(1), [(3, 4)], "real"),
    ("std_keep", lambda x: x.std((0, 1), keepdim=True), [(3, 4)], "real"),
    ("logsumexp", lambda x: x.logsumexp(1), [(3, 4)], "real"),
    ("logsumexp_keep", lambda x: x.logsumexp(-1, keepdim=True), [(3, 4)], "real"),
    ("norm", lambda x: x.norm(dim=1), [(3, 4)], "real"),
    ("norm_all", lambda x: x.norm(), [(3, 4)], "real"),
    ("norm_p3", lambda x: x.norm(p=3, dim=0), [(3, 4)], "real"),
    ("softmax", lambda x: x.softmax(1), [(3, 4)], "real"),
    ("log_softmax", lambda x: x.log_softmax(0), [(3, 4)], "real"),
    ("max_dim_sq", lambda x: x.max(1).values ** 2, [(3, 4)], "real"),
    ("amax_sq", lambda x: x.amax(0) ** 2, [(3, 4)], "real"),
    ("maximum_sq", lambda x, y: memograd.maximum(x, y) ** 2, [(3, 4), (4,)], "real"),
    ("clamp_sq", lambda x: x.clamp(-0.5, 0.5) * x, [(3, 4)], "real"),
    ("getitem_sq", lambda x: x[[0, 0, 2], 1:] ** 2, [(3, 4)], "real"),
    ("mask_sq", lambda x: x[x > 0] ** 2, [(3, 4)], "real"),
    ("where_sq", lambda x: memograd.where(x > 0, x * x, x**3), [(3, 4)], "real"),
    ("shape_sq", lambda x: x.permute(1, 0).reshape(2, 6).repeat(2, 1) ** 2, [(3, 4)], "real"),
    ("cat_stack_sq", lambda x, y: memograd.stack([memograd.cat([x, y], 0), y.expand(3, 4)]) ** 2,
     [(2, 4), (1, 4)], "real"),
    ("pad_sq", lambda x: memograd.pad(x, (1, 2)) ** 3, [(3, 4)], "real"),
    ("mean_sum_sq", lambda x: x.mean(0) ** 2 + x.sum(1, keepdim=True) ** 2, [(3, 4)], "real"),
    ("cast_sq", lambda x: x.double().clone() ** 2, [(3, 4)], "real"),
]


@pytest.mark.parametrize("name, fn, shapes, domain", NONLINEAR, ids=[n[0] for n in NONLINEAR])
def test_second_derivative(name, fn, shapes, domain):
    check_gradgrad(fn, *shapes, domain=domain)


def test_detached_operand_stays_constant_under_create_graph():
    # x.detach() shares x's array: the backward rule must still see it as a constant.
    x = memograd.tensor([1.0, 2.0, 3.0], dtype=memograd.float64, requires_grad=True)
    for y in (x.detach() * x, x * x.detach()):
        (g,) = memograd.autograd.grad(y.sum(), x, create_graph=True)
        assert not g.requires_grad  # d/dx (c * x) = c, which does not depend on x
