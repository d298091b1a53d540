"""x[index] with ints, slices (with steps), None, Ellipsis, integer arrays/tensors and
boolean masks, and where(): values match NumPy and repeated indices accumulate gradient."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf

INDICES = [
    1,
    -1,
    (1, 2),
    (-2, slice(None)),
    slice(1, 3),
    slice(None, None, 2),
    slice(None, None, -1),
    (slice(None), slice(1, None, 2)),
    (slice(3, 0, -2), 0),
    None,
    (None, 1, None),
    Ellipsis,
    (Ellipsis, 1),
    (0, Ellipsis, None),
    np.array([0, 2, 2, 1]),
    (np.array([0, 0, 3]), np.array([1, 1, 2])),
    (slice(None), np.array([2, 0, 2])),
    np.array([[0, 1], [1, 1]]),
    [3, 3, 0],
    np.array([True, False, True, True]),
]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem_gradient(index):
    check_grad(lambda t: t[index], (4, 3))
    check_grad(lambda t: t[index] * t[index], (4, 3))


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem_value_matches_numpy(index):
    x = leaf(4, 3)
    np.testing.assert_array_equal(x[index].detach().numpy(), x.detach().numpy()[index])


def test_getitem_3d_mixed():
    for index in [(1, slice(None), np.array([0, 3])), (Ellipsis, np.array([1, 1])), (slice(None, None, 2), None, 1)]:
        check_grad(lambda t: t[index], (2, 3, 4))


def test_repeated_indices_accumulate_gradient():
    x = memograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    x.grad = None
    x[memograd.tensor([1, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])


def test_index_with_integer_tensor():
    idx = memograd.tensor([2, 0, 2])
    check_grad(lambda t: t[idx], (3, 4))
    check_grad(lambda t: t[:, idx], (3, 4))
    check_grad(lambda t: t[idx, idx], (3, 4))


def test_index_with_boolean_mask_tensor():
    x = leaf(3, 4)
    mask = x > 0
    assert mask.dtype == memograd.bool
    np.testing.assert_array_equal(x[mask].detach().numpy(), x.detach().numpy()[x.detach().numpy() > 0])
    check_grad(lambda t: t[mask], (3, 4))
    check_grad(lambda t: t[mask[:, 0]], (3, 4))
    check_grad(lambda t: t[t > 0] ** 2, (3, 4))


def test_mask_gradient_is_zero_outside():
    x = memograd.tensor([1.0, -1.0, 2.0], requires_grad=True)
    x[x > 0].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0, 1.0])


def test_basic_index_is_a_view():
    x = memograd.zeros(3, 4)
    row = x[1]
    row += 1.0  # in place on a view: no grad involved
    assert x.numpy()[1].tolist() == [1.0] * 4


@pytest.mark.parametrize("index", [5, (0, 4), -6, np.array([0, 7]), (slice(None), 9)], ids=repr)
def test_index_out_of_range_names_index_and_shape(index):
    x = leaf(4, 3)
    with pytest.raises(IndexError, match=r"\(4, 3\)"):
        x[index]
    assert x.grad is None


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3, 4))], ids=str)
def test_where(shapes):
    cond = np.random.default_rng(5).random((3, 4)) > 0.5
    check_grad(lambda a, b: memograd.where(cond, a, b), *shapes)
    check_grad(lambda a: memograd.where(memograd.tensor(cond), a, 0.0), shapes[0])
    check_grad(lambda b: memograd.where(cond, 1.5, b), shapes[1])


def test_where_values_method_and_masked_fill():
    a = memograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = memograd.tensor([-1.0, -2.0, -3.0], requires_grad=True)
    cond = memograd.tensor([True, False, True])
    y = memograd.where(cond, a, b)
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, -2.0, 3.0])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(a.where(cond, b).detach().numpy(), [1.0, -2.0, 3.0])
    np.testing.assert_array_equal(a.masked_fill(cond, 0.0).detach().numpy(), [0.0, 2.0, 0.0])
    check_grad(lambda t: t.masked_fill(t > 0, -1.0) * t, (3, 4))
