"""The Tensor API: attributes, conversions to Python and NumPy, repr, operators with
Python scalars and NumPy arrays on both sides, comparisons."""
import operator

import numpy as np
import pytest

import memograd


def test_attributes():
    x = memograd.zeros(2, 3, requires_grad=True)
    assert x.shape == (2, 3) and x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and memograd.numel(x) == 6
    assert x.dtype == memograd.float32
    assert x.grad is None and x.requires_grad and x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None and y.grad_fn.name == "Mul"
    z = memograd.zeros(2)
    assert not z.requires_grad and z.is_leaf and (z * 2).grad_fn is None
    assert x.device == memograd.device("cpu") and str(x.device) == "cpu"


def test_python_conversions():
    x = memograd.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert memograd.tensor([7]).item() == 7 and isinstance(memograd.tensor([7]).item(), int)
    assert float(memograd.tensor(2.5)) == 2.5 and int(memograd.tensor(3)) == 3
    with pytest.raises(RuntimeError, match="4 elements"):
        x.item()
    assert [1, 2, 3][memograd.tensor(1)] == 2  # __index__


def test_numpy_and_array_protocol():
    x = memograd.tensor([1.0, 2.0])
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    w = memograd.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        w.numpy()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(w), [1.0, 2.0])


def test_len_iter_bool():
    x = memograd.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]
    with pytest.raises(TypeError):
        len(memograd.tensor(1.0))
    with pytest.raises(TypeError):
        iter(memograd.tensor(1.0))
    assert bool(memograd.tensor([1.0])) and not bool(memograd.tensor(0.0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(memograd.tensor([1.0, 2.0]))


def test_iteration_keeps_gradient():
    x = memograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row.sum() * (i + 1) for i, row in enumerate(x))
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0], [2.0, 2.0]])


def test_repr_shows_values_and_autograd_state():
    assert repr(memograd.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(memograd.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(memograd.tensor([1.0], requires_grad=True) * 2) == "tensor([2.], grad_fn=<MulBackward0>)"
    assert "dtype=torch.float64" in repr(memograd.tensor([1.0], dtype=memograd.float64))
    assert repr(memograd.tensor([1, 2])) == "tensor([1, 2])"
    assert "..." in repr(memograd.zeros(5000))


def test_detach_shares_data_and_cuts_the_graph():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    d = x.detach()
    with memograd.no_grad():
        d += 1
    assert x.tolist() == [2.0, 3.0]  # shared memory


def test_clone_copies():
    x = memograd.tensor([1.0, 2.0])
    y = x.clone()
    y += 1
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [2.0, 3.0]


def test_requires_grad_setters():
    x = memograd.zeros(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = memograd.zeros(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]


@pytest.mark.parametrize("op", OPS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [2, 1.5, np.array([1.0, 2.0, 4.0]), np.float64(3.0)], ids=repr)
def test_operators_with_scalars_and_arrays_on_both_sides(op, other):
    x = memograd.tensor([1.0, 2.0, 3.0], dtype=memograd.float64, requires_grad=True)
    a = x.detach().numpy()
    for result, expected in ((op(x, other), op(a, other)), (op(other, x), op(other, a))):
        assert isinstance(result, memograd.Tensor)
        assert result.requires_grad and result.grad_fn is not None
        np.testing.assert_allclose(result.detach().numpy(), expected)


def test_ndarray_times_tensor_records_gradient():
    x = memograd.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, memograd.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0])


def test_method_aliases():
    x = memograd.tensor([1.0, 2.0])
    assert x.add(1).tolist() == [2.0, 3.0] and x.sub(1).tolist() == [0.0, 1.0]
    assert x.add(x, alpha=2).tolist() == [3.0, 6.0] and x.sub(x, alpha=2).tolist() == [-1.0, -2.0]
    assert x.mul(3).tolist() == [3.0, 6.0] and x.div(2).tolist() == [0.5, 1.0]
    assert x.neg().tolist() == [-1.0, -2.0] and (+x) is x
    assert x.square().tolist() == [1.0, 4.0] and memograd.square(x).tolist() == [1.0, 4.0]
    assert (x // 2).tolist() == [0.0, 1.0] and (x % 2).tolist() == [1.0, 0.0]


@pytest.mark.parametrize("op, np_op", [(operator.eq, np.equal), (operator.ne, np.not_equal), (operator.lt, np.less),
                                       (operator.le, np.less_equal), (operator.gt, np.greater),
                                       (operator.ge, np.greater_equal)])
def test_comparisons_give_bool_without_gradient(op, np_op):
    x = memograd.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for other in (2.0, memograd.tensor([3.0, 2.0, 1.0]), np.array([0.0, 2.0, 5.0])):
        result = op(x, other)
        assert isinstance(result, memograd.Tensor)
        assert result.dtype == memograd.bool and not result.requires_grad and result.grad_fn is None
        np.testing.assert_array_equal(result.numpy(), np_op(x.detach().numpy(), np.asarray(other)))
    reflected = op(np.array([2.0, 2.0, 2.0]), x)
    assert isinstance(reflected, memograd.Tensor) and not reflected.requires_grad


def test_logical_operators_and_checks():
    a = memograd.tensor([True, False, True])
    b = memograd.tensor([True, True, False])
    assert (a & b).tolist() == [True, False, False]
    assert (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True]
    assert (~a).tolist() == [False, True, False]
    assert a.any().item() and not a.all().item()
    x = memograd.tensor([1.0, float("nan")])
    assert x.isnan().tolist() == [False, True] and memograd.isnan(x).tolist() == [False, True]
    assert x.isfinite().tolist() == [True, False]
    assert memograd.tensor([1.0, 2.0]).allclose(memograd.tensor([1.0, 2.0 + 1e-9]))
    assert memograd.allclose(memograd.tensor([1.0]), np.array([1.0]))


def test_tensors_are_hashable_by_identity():
    a, b = memograd.zeros(1), memograd.zeros(1)
    assert len({a, b}) == 2 and {a: 1}[a] == 1
