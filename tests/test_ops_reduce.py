"""Gradients and values of the reductions, over every form of `dim` and `keepdim`."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf

# dim forms: everything, positive, negative, tuples (mixed signs), with and without keepdim.
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]
KEEP = [False, True]


REDUCTIONS = [
    ("sum", lambda x, d, k: x.sum(d, k), lambda a, d, k: a.sum(axis=d, keepdims=k)),
    ("mean", lambda x, d, k: x.mean(d, k), lambda a, d, k: a.mean(axis=d, keepdims=k)),
    ("prod", lambda x, d, k: x.prod(d, k), lambda a, d, k: a.prod(axis=d, keepdims=k)),
    ("amax", lambda x, d, k: x.amax(d, k), lambda a, d, k: a.max(axis=d, keepdims=k)),
    ("amin", lambda x, d, k: x.amin(d, k), lambda a, d, k: a.min(axis=d, keepdims=k)),
    ("var", lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: a.var(axis=d, ddof=1, keepdims=k)),
    ("std", lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: a.std(axis=d, ddof=1, keepdims=k)),
    ("logsumexp", lambda x, d, k: x.logsumexp(d, k),
     lambda a, d, k: np.log(np.exp(a).sum(axis=d, keepdims=k))),
    ("norm", lambda x, d, k: x.norm(dim=d, keepdim=k),
     lambda a, d, k: np.sqrt((a * a).sum(axis=d, keepdims=k))),
]
IDS = [r[0] for r in REDUCTIONS]


@pytest.mark.parametrize("name, fn, reference", REDUCTIONS, ids=IDS)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", KEEP, ids=["drop", "keep"])
def test_reduction_gradient(name, fn, reference, dim, keepdim):
    check_grad(lambda x: fn(x, dim, keepdim), (2, 3, 4))


@pytest.mark.parametrize("name, fn, reference", REDUCTIONS, ids=IDS)
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("keepdim", KEEP, ids=["drop", "keep"])
def test_reduction_value(name, fn, reference, dim, keepdim):
    x = leaf(2, 3, 4)
    a = x.detach().numpy()
    axis = tuple(np.atleast_1d(dim)) if dim is not None else None
    out = fn(x, dim, keepdim)
    expected = reference(a, axis, keepdim)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("name, fn, reference", REDUCTIONS, ids=IDS)
@pytest.mark.parametrize("shape", [(5,), (1,), (4, 1)], ids=str)
def test_reduction_other_shapes(name, fn, reference, shape):
    if name in ("var", "std") and np.prod(shape) == 1:
        pytest.skip("unbiased variance of one element is undefined")
    check_grad(lambda x: fn(x, None, False), shape)
    check_grad(lambda x: fn(x, 0, True), shape)


def test_reduction_of_shared_input():
    check_grad(lambda x: x.sum(0) * x.mean(1, keepdim=True), (3, 3))
    check_grad(lambda x: (x * x).prod(-1) + x.amax(), (2, 3))


def test_sum_and_mean_accept_numpy_spelling():
    check_grad(lambda x: x.sum(axis=1, keepdims=True), (3, 4))
    check_grad(lambda x: x.mean(axis=(0, 1)), (3, 4))
    check_grad(lambda x: memograd.sum(x, 1) + memograd.mean(x, 1), (3, 4))


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_correction(correction, op):
    check_grad(lambda x: getattr(x, op)(1, correction=correction), (3, 5))
    x = leaf(3, 5)
    expected = getattr(x.detach().numpy(), op)(axis=1, ddof=correction)
    np.testing.assert_allclose(getattr(x, op)(1, correction=correction).detach().numpy(), expected)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_unbiased_flag(op):
    x = leaf(4, 3)
    a = x.detach().numpy()
    np.testing.assert_allclose(getattr(x, op)().detach().numpy(), getattr(a, op)(ddof=1))
    np.testing.assert_allclose(getattr(x, op)(unbiased=False).detach().numpy(), getattr(a, op)(ddof=0))
    np.testing.assert_allclose(getattr(x, op)(0, True).detach().numpy(), getattr(a, op)(axis=0, ddof=1))
    check_grad(lambda t: getattr(t, op)(0, False), (4, 3))


def test_prod_with_a_zero_has_the_right_gradient():
    x = memograd.tensor([2.0, 0.0, 3.0], dtype=memograd.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 0.0])


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, float("inf"), "fro"])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)], ids=str)
def test_norm_p(p, dim):
    check_grad(lambda x: x.norm(p=p, dim=dim), (3, 4))
    x = leaf(3, 4)
    a = x.detach().numpy()
    axis = dim if dim is None or isinstance(dim, tuple) else (dim,)
    q = 2 if p == "fro" else float(p)
    expected = np.abs(a).max(axis=axis) if q == np.inf else (np.abs(a) ** q).sum(axis=axis) ** (1 / q)
    np.testing.assert_allclose(x.norm(p=p, dim=dim).detach().numpy(), expected, rtol=1e-10)


def test_norm_of_zero_vector_has_zero_gradient():
    x = memograd.zeros(3, dtype=memograd.float64, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_logsumexp_is_stable():
    x = memograd.tensor([1000.0, 1000.0], dtype=memograd.float64, requires_grad=True)
    y = x.logsumexp(0)
    np.testing.assert_allclose(y.item(), 1000.0 + np.log(2.0))
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.5])


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdim", KEEP, ids=["drop", "keep"])
@pytest.mark.parametrize("pick", ["max", "min"])
def test_max_min_with_dim_return_values_and_indices(dim, keepdim, pick):
    x = leaf(3, 4)
    a = x.detach().numpy()
    result = getattr(x, pick)(dim, keepdim)
    values, indices = result
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(values.detach().numpy(), getattr(a, pick)(axis=dim, keepdims=keepdim))
    np.testing.assert_array_equal(indices.numpy(), getattr(a, "arg" + pick)(axis=dim, keepdims=keepdim))
    assert indices.dtype == memograd.int64 and not indices.requires_grad
    check_grad(lambda t: getattr(t, pick)(dim, keepdim)[0], (3, 4))
    check_grad(lambda t: getattr(memograd, pick)(t, dim, keepdim).values * 2, (2, 3, 4))


@pytest.mark.parametrize("pick", ["max", "min"])
def test_max_min_without_dim_and_with_tensor(pick):
    check_grad(lambda t: getattr(t, pick)(), (3, 4))
    check_grad(lambda t: getattr(memograd, pick)(t), (5,))
    check_grad(lambda a, b: getattr(a, pick)(b), (3, 4), (4,))
    x = leaf(3, 4)
    assert getattr(x, pick)().item() == getattr(x.detach().numpy(), pick)()


def test_max_ties_share_the_gradient_and_dim_picks_one():
    x = memograd.tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5]])
    x.grad = None
    x.max(1).values.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(), 1.0)
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 1.0, 0.0]])


def test_argmax_argmin():
    x = memograd.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    assert x.argmax().item() == 3
    np.testing.assert_array_equal(x.argmax(1).numpy(), [1, 0])
    np.testing.assert_array_equal(x.argmin(0, keepdim=True).numpy(), [[0, 1, 0]])
    assert memograd.argmax(x, dim=-1).dtype == memograd.int64


@pytest.mark.parametrize("op", ["sum", "mean", "amax", "var"])
def test_reduction_dim_out_of_range(op):
    with pytest.raises(IndexError, match="out of range"):
        getattr(leaf(2, 3), op)(2)
    with pytest.raises(IndexError, match="out of range"):
        getattr(leaf(2, 3), op)(-3)
