"""Bad input gives errors that name the op and the shapes or dtypes involved, and a failed
op or backward leaves the graph and every .grad as they were."""
import numpy as np
import pytest

import memograd


def test_shapes_that_do_not_broadcast():
    a = memograd.ones(2, 3, requires_grad=True)
    for op, name in ((lambda: a + memograd.ones(4), "Add"), (lambda: a * np.ones((3, 2)), "Mul"),
                     (lambda: a - memograd.ones(2, 2), "Sub"), (lambda: a / memograd.ones(5), "Div")):
        with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\)") as info:
            op()
        assert isinstance(info.value, RuntimeError)  # PyTorch raises RuntimeError


@pytest.mark.parametrize("left, right", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 2, 3), (2, 4, 1)), ((3, 4), (3,))],
                         ids=str)
def test_matmul_with_mismatched_inner_dims(left, right):
    with pytest.raises(ValueError, match=r"MatMul.*inner dimensions") as info:
        memograd.ones(*left, requires_grad=True) @ memograd.ones(*right)
    assert str(left) in str(info.value) and str(right) in str(info.value)


def test_matmul_of_a_scalar():
    with pytest.raises(ValueError, match="MatMul"):
        memograd.tensor(2.0) @ memograd.ones(2)


def test_backward_on_non_scalar_without_gradient():
    y = memograd.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar.*(\(2, 3\)|Size\(\[2, 3\]\))"):
        y.backward()


def test_backward_with_gradient_of_the_wrong_shape():
    x = memograd.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*(\(2, 3\)|Size\(\[2, 3\]\))"):
        (x * 2).backward(memograd.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"\(3,\).*(\(2, 3\)|Size\(\[2, 3\]\))"):
        memograd.autograd.grad(x * 2, x, grad_outputs=memograd.ones(3))
    assert x.grad is None


def test_backward_on_a_tensor_without_graph():
    with pytest.raises(RuntimeError, match="requires_grad"):
        memograd.ones(2).sum().backward()


def test_requires_grad_on_an_integer_tensor():
    with pytest.raises(RuntimeError, match="int64"):
        memograd.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="bool"):
        memograd.tensor([True]).requires_grad_()


@pytest.mark.parametrize("index", [3, -4, (0, 5), np.array([1, 3])], ids=repr)
def test_indexing_out_of_range(index):
    with pytest.raises(IndexError, match=r"out of range.*\(3, 2\)|\(3, 2\).*out of range"):
        memograd.ones(3, 2, requires_grad=True)[index]


def test_log_of_zero_and_negative_follow_numpy():
    with np.errstate(divide="ignore", invalid="ignore"):
        x = memograd.tensor([0.0, -1.0, 1.0], requires_grad=True)
        y = x.log()
        assert y.detach().numpy()[0] == -np.inf
        assert np.isnan(y.detach().numpy()[1])
        y.sum().backward()
    assert x.grad.numpy()[0] == np.inf and x.grad.numpy()[2] == 1.0


def test_division_by_zero_follows_numpy():
    with np.errstate(divide="ignore"):
        y = memograd.tensor([1.0, -1.0]) / 0.0
    assert y.tolist() == [np.inf, -np.inf]


def test_failed_op_leaves_no_half_built_graph():
    x = memograd.ones(2, 3, requires_grad=True)
    h = x * 2
    node = h.grad_fn
    with pytest.raises(ValueError):
        h + memograd.ones(4)
    with pytest.raises(ValueError):
        h @ memograd.ones(5, 5)
    assert h.grad_fn is node and x.is_leaf and x.grad_fn is None
    h.sum().backward()  # the graph that existed before still works
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))


def test_failed_inplace_update_changes_nothing():
    x = memograd.ones(2, 3)
    with pytest.raises(ValueError, match="add_"):
        x.add_(memograd.ones(3, 2))
    np.testing.assert_array_equal(x.numpy(), np.ones((2, 3)))


def test_failed_backward_leaves_every_grad_untouched():
    w = memograd.ones(2, requires_grad=True)
    v = memograd.ones(2, requires_grad=True)
    x = memograd.ones(2)
    for order in ("w first", "v first"):
        w.grad = v.grad = None
        parts = [(w * x).sum(), (v * 2).sum()]
        loss = parts[0] + parts[1] if order == "w first" else parts[1] + parts[0]
        x.add_(1.0)  # invalidates the saved x of w * x
        with pytest.raises(RuntimeError, match="Mul"):
            loss.backward()
        assert w.grad is None and v.grad is None


def test_second_backward_through_freed_graph_names_the_op():
    x = memograd.ones(2, requires_grad=True)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Exp.*second time"):
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(np.ones(2)))  # not added twice


def test_reduction_over_a_repeated_dim():
    with pytest.raises(ValueError, match="sum"):
        memograd.ones(2, 3).sum((1, -1))


def test_autograd_grad_on_inputs_that_do_not_require_grad():
    x = memograd.ones(2)
    with pytest.raises(RuntimeError, match=r"\(2,\)|Size\(\[2\]\)"):
        memograd.autograd.grad((x * 2).sum(), x)
