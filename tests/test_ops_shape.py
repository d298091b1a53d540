"""Gradients and values of the ops that move elements: reshape/view/flatten/squeeze/
unsqueeze, permute/transpose/T, expand/expand_as, repeat, cat/stack/split/chunk, pad."""
import numpy as np
import pytest

import memograd
from helpers import check_grad, leaf


@pytest.mark.parametrize("shape", [(12,), (3, 4), (2, -1), (2, 3, 2), (-1,), (1, 12, 1)], ids=str)
def test_reshape_and_view(shape):
    check_grad(lambda x: x.reshape(shape) * 2, (3, 4))
    check_grad(lambda x: x.view(*shape), (3, 4))
    check_grad(lambda x: memograd.reshape(x, shape), (2, 6))


def test_reshape_values_and_view_as():
    x = leaf(2, 3)
    np.testing.assert_array_equal(x.reshape(3, 2).detach().numpy(), x.detach().numpy().reshape(3, 2))
    assert x.view_as(leaf(6)).shape == (6,)
    assert x.reshape_as(leaf(3, 2)).shape == (3, 2)
    check_grad(lambda t: t.view_as(memograd.zeros(3, 2)) ** 2, (2, 3))


@pytest.mark.parametrize("start, end, out", [(0, -1, (24,)), (1, -1, (2, 12)), (0, 1, (6, 4)), (1, 2, (2, 12)),
                                             (-2, -1, (2, 12)), (2, 2, (2, 3, 4))])
def test_flatten(start, end, out):
    x = leaf(2, 3, 4)
    assert x.flatten(start, end).shape == out
    assert memograd.flatten(x, start_dim=start, end_dim=end).shape == out
    check_grad(lambda t: t.flatten(start, end), (2, 3, 4))


@pytest.mark.parametrize("dim, out", [(None, (3, 4)), (0, (3, 1, 4)), (2, (1, 3, 4)), (-2, (1, 3, 4)),
                                      ((0, 2), (3, 4)), (1, (1, 3, 1, 4))])
def test_squeeze(dim, out):
    x = leaf(1, 3, 1, 4)
    y = x.squeeze() if dim is None else x.squeeze(dim)
    assert y.shape == out
    check_grad(lambda t: (t.squeeze() if dim is None else t.squeeze(dim)) * 3, (1, 3, 1, 4))


@pytest.mark.parametrize("dim, out", [(0, (1, 3, 4)), (1, (3, 1, 4)), (2, (3, 4, 1)), (-1, (3, 4, 1)), (-3, (1, 3, 4))])
def test_unsqueeze(dim, out):
    assert leaf(3, 4).unsqueeze(dim).shape == out
    assert memograd.unsqueeze(leaf(3, 4), dim).shape == out
    check_grad(lambda t: t.unsqueeze(dim), (3, 4))


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (1, 2, 0), (-1, 0, -2)], ids=str)
def test_permute(dims):
    x = leaf(2, 3, 4)
    np.testing.assert_array_equal(x.permute(*dims).detach().numpy(), x.detach().numpy().transpose(dims))
    assert x.permute(dims).shape == x.permute(*dims).shape
    check_grad(lambda t: t.permute(*dims), (2, 3, 4))


@pytest.mark.parametrize("d0, d1", [(0, 1), (1, 2), (0, -1), (-1, -2)])
def test_transpose(d0, d1):
    x = leaf(2, 3, 4)
    np.testing.assert_array_equal(x.transpose(d0, d1).detach().numpy(), np.swapaxes(x.detach().numpy(), d0, d1))
    check_grad(lambda t: t.transpose(d0, d1), (2, 3, 4))
    check_grad(lambda t: memograd.transpose(t, d0, d1) * t.transpose(d0, d1), (2, 3, 4))


def test_T_and_mT():
    check_grad(lambda t: t.T, (3, 4))
    check_grad(lambda t: t.T, (2, 3, 4))
    check_grad(lambda t: t @ t.T, (3, 2))
    check_grad(lambda t: t.mT @ t, (2, 3, 4))
    assert leaf(2, 3, 4).T.shape == (4, 3, 2)
    assert leaf(2, 3, 4).mT.shape == (2, 4, 3)


@pytest.mark.parametrize("src, target", [((3, 1), (3, 4)), ((1, 4), (3, 4)), ((4,), (2, 3, 4)), ((1,), (5,)),
                                          ((), (2, 2)), ((3, 1), (2, 3, -1))], ids=str)
def test_expand(src, target):
    check_grad(lambda t: t.expand(*target), src)
    check_grad(lambda t: t.expand(target) * 2, src)


def test_expand_as_and_function():
    check_grad(lambda t: t.expand_as(memograd.zeros(2, 3, 4)), (3, 1))
    check_grad(lambda t: memograd.expand(t, 3, 4), (1, 4))


@pytest.mark.parametrize("src, reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2, 3), (1, 3)), ((2, 3), (2, 2, 2)),
                                        ((3,), (2, 3))], ids=str)
def test_repeat(src, reps):
    x = leaf(*src)
    np.testing.assert_array_equal(x.repeat(*reps).detach().numpy(), np.tile(x.detach().numpy(), reps))
    check_grad(lambda t: t.repeat(*reps), src)
    check_grad(lambda t: t.repeat(reps) ** 2, src)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    shapes = [(2, 3), (2, 3), (2, 3)]
    if dim == 0:
        shapes = [(1, 3), (2, 3), (4, 3)]
    check_grad(lambda a, b, c: memograd.cat([a, b, c], dim), *shapes)
    xs = [leaf(*s, seed=i) for i, s in enumerate(shapes)]
    expected = np.concatenate([x.detach().numpy() for x in xs], axis=dim)
    np.testing.assert_array_equal(memograd.cat(xs, dim=dim).detach().numpy(), expected)


def test_cat_repeated_and_constant_inputs():
    check_grad(lambda a: memograd.cat([a, a * 2, a], 0), (2, 3))
    check_grad(lambda a: memograd.cat([a, memograd.zeros(1, 3, dtype=memograd.float64)], 0), (2, 3))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(dim):
    check_grad(lambda a, b: memograd.stack([a, b, a], dim), (2, 3), (2, 3))
    xs = [leaf(2, 3, seed=i) for i in range(3)]
    expected = np.stack([x.detach().numpy() for x in xs], axis=dim)
    np.testing.assert_array_equal(memograd.stack(xs, dim).detach().numpy(), expected)


@pytest.mark.parametrize("arg, sizes", [(2, [2, 2, 1]), (5, [5]), ([1, 4], [1, 4]), ([2, 0, 3], [2, 0, 3])], ids=str)
def test_split(arg, sizes):
    x = leaf(5, 3)
    pieces = x.split(arg)
    assert [p.shape[0] for p in pieces] == sizes
    check_grad(lambda t: memograd.cat([p * (i + 1) for i, p in enumerate(t.split(arg))], 0), (5, 3))
    check_grad(lambda t: memograd.split(t.T, arg, dim=1)[0], (5, 3))


@pytest.mark.parametrize("n, sizes", [(2, [3, 2]), (3, [2, 2, 1]), (5, [1] * 5), (1, [5])])
def test_chunk(n, sizes):
    x = leaf(3, 5)
    assert [p.shape[1] for p in x.chunk(n, dim=1)] == sizes
    assert [p.shape[1] for p in memograd.chunk(x, n, -1)] == sizes
    check_grad(lambda t: t.chunk(n, 1)[-1] * 2 + t.chunk(n, 1)[0].sum(), (3, 5))


def test_split_sections_must_add_up():
    with pytest.raises(ValueError, match="split"):
        leaf(5).split([2, 2])


@pytest.mark.parametrize("pad", [(1, 1), (0, 2), (1, 2, 3, 0), (0, 0, 0, 0, 1, 1)], ids=str)
def test_pad(pad):
    x = leaf(2, 3, 4)
    widths = [(0, 0)] * 3
    for i in range(len(pad) // 2):
        widths[2 - i] = (pad[2 * i], pad[2 * i + 1])
    np.testing.assert_array_equal(memograd.pad(x, pad).detach().numpy(), np.pad(x.detach().numpy(), widths))
    check_grad(lambda t: memograd.pad(t, pad, value=1.5), (2, 3, 4))


def test_unbind():
    x = leaf(3, 2)
    parts = x.unbind(0)
    assert len(parts) == 3 and parts[0].shape == (2,)
    check_grad(lambda t: memograd.stack(list(t.unbind(1))[::-1], 1), (3, 2))


def test_shape_errors_name_the_op_and_shapes():
    x = leaf(2, 3)
    with pytest.raises(ValueError, match=r"reshape.*\(4, 2\).*(\(2, 3\)|Size\(\[2, 3\]\))"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="expand"):
        x.expand(3)
    with pytest.raises(ValueError, match="Expand"):
        x.expand(4, 3)
    with pytest.raises(ValueError, match="Cat"):
        memograd.cat([x, leaf(2, 4)], 0)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(4)
