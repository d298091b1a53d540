"""Rearranging functions (flip roll narrow t tril triu, the stackers, meshgrid, outer) and
einsum: against PyTorch (values, gradients, dtypes, errors), finite differences, views."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, check_gradgrad
from surface_helpers import assert_both_raise, assert_parity, assert_same

CASES = [
    ("flip", [(3, 4)], lambda lib, a: lib.flip(a, [0, 1]) * a),
    ("flip_method_varargs", [(2, 3, 4)], lambda lib, a: a.flip(0, 2) ** 2),
    ("fliplr_flipud", [(3, 4)], lambda lib, a: lib.fliplr(a) * lib.flipud(a)),
    ("roll_flat", [(3, 4)], lambda lib, a: lib.roll(a, 5) * a),
    ("roll_dims", [(3, 4)], lambda lib, a: a.roll((1, -2), (0, 1)) * a),
    ("narrow", [(4, 5)], lambda lib, a: a.narrow(1, 1, 3) ** 2),
    ("narrow_negative_start", [(4, 5)], lambda lib, a: lib.narrow(a, 0, -2, 2) ** 2),
    ("t", [(3, 4)], lambda lib, a: a.t() @ a),
    ("t_function_vector", [(4,)], lambda lib, a: lib.t(a) * a),
    ("tril", [(4, 4)], lambda lib, a: lib.tril(a) ** 2),
    ("tril_diagonal", [(2, 3, 4)], lambda lib, a: a.tril(diagonal=-1) ** 2),
    ("triu", [(4, 3)], lambda lib, a: lib.triu(a, 1) ** 2),
    ("hstack", [(2, 3), (2, 1)], lambda lib, a, b: lib.hstack([a, b]) ** 2),
    ("hstack_vectors", [(3,), (2,)], lambda lib, a, b: lib.hstack((a, b)) ** 2),
    ("vstack", [(3,), (3,)], lambda lib, a, b: lib.vstack([a, b]) ** 2),
    ("dstack", [(2, 3), (2, 3)], lambda lib, a, b: lib.dstack([a, b]) ** 2),
    ("column_stack", [(3,), (3, 2)], lambda lib, a, b: lib.column_stack([a, b]) ** 2),
    ("meshgrid_ij", [(2,), (3,)], lambda lib, a, b: (lambda g: g[0] * g[1] ** 2)(lib.meshgrid(a, b, indexing="ij"))),
    ("meshgrid_xy", [(2,), (3,), (4,)],
     lambda lib, a, b, c: (lambda g: g[0] * g[1] ** 2 + g[2])(lib.meshgrid([a, b, c], indexing="xy"))),
    ("outer", [(3,), (4,)], lambda lib, a, b: lib.outer(a, b) ** 2),
    ("ger_method", [(3,), (2,)], lambda lib, a, b: a.outer(b) + a.ger(b)),
    ("einsum_matmul", [(2, 3), (3, 4)], lambda lib, a, b: lib.einsum("ij,jk->ik", a, b)),
    ("einsum_implicit", [(2, 3), (3, 4)], lambda lib, a, b: lib.einsum("ij,jk", a, b)),
    ("einsum_batched", [(2, 3, 4), (2, 4, 5)], lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b)),
    ("einsum_attention", [(2, 3, 4, 5), (2, 3, 6, 5)], lambda lib, q, k: lib.einsum("bhqd,bhkd->bhqk", q, k)),
    ("einsum_transposed", [(3, 4), (5, 4)], lambda lib, a, b: lib.einsum("ik,jk->ij", a, b)),
    ("einsum_dot", [(4,), (4,)], lambda lib, a, b: lib.einsum("i,i->", a, b)),
    ("einsum_outer", [(3,), (4,)], lambda lib, a, b: lib.einsum("i,j->ij", a, b)),
    ("einsum_trace", [(3, 3)], lambda lib, a: lib.einsum("ii", a)),
    ("einsum_diagonal", [(3, 3)], lambda lib, a: lib.einsum("ii->i", a) ** 2),
    ("einsum_sum_transpose", [(2, 3, 4)], lambda lib, a: lib.einsum("ijk->kj", a)),
    ("einsum_ellipsis", [(5, 2, 3), (3, 4)], lambda lib, a, b: lib.einsum("...ij,...jk->...ik", a, b)),
    ("einsum_three", [(2, 3), (3, 4), (4, 2)], lambda lib, a, b, c: lib.einsum("ij,jk,kl->il", a, b, c)),
    ("einsum_broadcast_batch", [(1, 2, 3), (4, 3, 5)], lambda lib, a, b: lib.einsum("bij,bjk->bik", a, b)),
    ("einsum_list", [(2, 3), (2, 3)], lambda lib, a, b: lib.einsum("ij,ij->i", [a, b])),
    ("einsum_bilinear", [(2, 3), (4, 3, 5), (2, 5)], lambda lib, x, w, y: lib.einsum("bi,oij,bj->bo", x, w, y)),
]


@pytest.mark.parametrize("name, shapes, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, shapes, fn):
    assert_parity(fn, shapes)


@pytest.mark.parametrize("name, shapes, fn", CASES, ids=[c[0] for c in CASES])
def test_finite_differences(name, shapes, fn):
    check_grad(lambda *xs: fn(memograd, *xs), *shapes)


@pytest.mark.parametrize("name", ["roll_dims", "tril", "einsum_batched", "einsum_trace", "meshgrid_ij"])
def test_second_derivatives(name):
    _, shapes, fn = next(c for c in CASES if c[0] == name)
    check_gradgrad(lambda *xs: fn(memograd, *xs) ** 2, *shapes)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tril(lib.tensor([[1.0, float("inf")], [2.0, 3.0]])),    # inf outside the triangle is 0
    lambda lib: lib.triu(lib.arange(12).reshape(3, 4), diagonal=-1),        # integers keep their dtype
    lambda lib: lib.tril(lib.ones(3, 3, dtype=lib.bool)),
    lambda lib: lib.arange(3).t(),
    lambda lib: lib.hstack([lib.tensor([1, 2]), lib.tensor([3])]),
    lambda lib: lib.vstack([lib.tensor([1, 2]), lib.tensor([3, 4])]),
    lambda lib: lib.dstack([lib.tensor([1, 2]), lib.tensor([3, 4])]),
    lambda lib: lib.column_stack([lib.tensor(1), lib.tensor(3)]),
    lambda lib: lib.atleast_2d(lib.tensor(1.0)),
    lambda lib: lib.atleast_3d([lib.tensor([1, 2]), lib.ones(2, 2)]),
    lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3), indexing="ij"),
    lambda lib: lib.meshgrid(lib.arange(2), lib.arange(3), indexing="xy"),
    lambda lib: lib.outer(lib.tensor([1, 2]), lib.tensor([1.0, 2.0])),
    lambda lib: lib.roll(lib.arange(6).reshape(2, 3), 1, 1),
    lambda lib: lib.flip(lib.arange(6).reshape(2, 3), (0,)),
    lambda lib: lib.arange(6).reshape(2, 3).narrow(1, 3, 0),
    lambda lib: lib.einsum("ij,jk->ik", lib.arange(6).reshape(2, 3), lib.arange(12).reshape(3, 4)),
], ids=lambda f: "")
def test_values_and_dtypes_match_torch(make):
    assert_same(make)


def test_narrow_is_a_view_and_flip_a_copy():
    x = memograd.zeros(3, 4)
    view = x.narrow(1, 1, 2)
    x[0, 1] = 5.0
    assert view[0, 0].item() == 5.0  # narrow shares memory, as PyTorch's
    flipped = x.flip(0)
    x[2, 0] = 7.0
    assert flipped[0, 0].item() == 0.0  # flip copies, as PyTorch's


def test_which_calls_raise():
    assert_both_raise(lambda lib: lib.zeros(2, 3, 4).t(), RuntimeError)
    assert_both_raise(lambda lib: lib.zeros(2, 3).narrow(1, 2, 2), RuntimeError)
    assert_both_raise(lambda lib: lib.zeros(2, 3).narrow(1, 4, 0), IndexError)
    assert_both_raise(lambda lib: lib.tril(lib.ones(3)), RuntimeError)
    assert_both_raise(lambda lib: lib.roll(lib.ones(2, 2), (1, 1), 0), RuntimeError)
    assert_both_raise(lambda lib: lib.meshgrid(lib.arange(2), indexing="foo"), RuntimeError)
    assert_both_raise(lambda lib: lib.outer(lib.ones(2, 2), lib.ones(2)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij,jk->iz", lib.ones(2, 3), lib.ones(3, 4)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(2, 4)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ijk->", lib.ones(2, 3)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij->jii", lib.ones(2, 3)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij,kk->ij", lib.ones(2, 3), lib.ones(3, 4)), RuntimeError)
    assert_both_raise(lambda lib: lib.einsum("ij,jk->ik", lib.ones(2, 3), lib.ones(3, 4, dtype=lib.float64)),
                      RuntimeError)


def test_einsum_spaces_in_the_equation():
    a, b = memograd.ones(2, 3), memograd.ones(3, 4)
    np.testing.assert_array_equal(memograd.einsum("i j , j k -> i k", a, b).numpy(), np.full((2, 4), 3.0))


def test_einsum_sublist_format_names_itself():
    with pytest.raises(NotImplementedError, match="sublist"):
        memograd.einsum(memograd.ones(2, 3), [0, 1], memograd.ones(3, 4), [1, 2])
