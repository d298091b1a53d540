"""In-place updates: data changes in place under no_grad (the manual SGD step), are recorded
correctly on non-leaf tensors, and a change to an array the graph saved for backward makes
backward() raise instead of returning a wrong gradient."""
import numpy as np
import pytest

import memograd
from memograd.autograd import gradcheck


def test_manual_sgd_step_updates_in_place_and_keeps_a_leaf():
    w = memograd.tensor([1.0, -2.0, 3.0], requires_grad=True)
    data = w._data
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with memograd.no_grad():
            w -= 0.25 * w.grad
        w.grad.zero_()
    assert w._data is data  # same memory
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.detach().numpy(), np.array([1.0, -2.0, 3.0]) * 0.5**3)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(3))


@pytest.mark.parametrize(
    "method, args, expected",
    [("add_", (2.0,), [3.0, 4.0]), ("sub_", (1.0,), [0.0, 1.0]), ("mul_", (3.0,), [3.0, 6.0]),
     ("div_", (2.0,), [0.5, 1.0]), ("zero_", (), [0.0, 0.0]), ("fill_", (7.0,), [7.0, 7.0]),
     ("copy_", (memograd.tensor([5.0, 6.0]),), [5.0, 6.0]), ("clamp_", (1.5, 1.8), [1.5, 1.8]),
     ("add_", (memograd.tensor([1.0, 1.0]),), [2.0, 3.0]), ("add_", (memograd.tensor([1.0, 1.0]), 3), [4.0, 5.0]),
     ("sub_", (np.array([1.0, 1.0]), 2), [-1.0, 0.0])],
)
def test_inplace_methods_update_data_and_return_self(method, args, expected):
    x = memograd.tensor([1.0, 2.0])
    data = x._data
    assert getattr(x, method)(*args) is x
    assert x._data is data
    np.testing.assert_allclose(x.numpy(), expected)


@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/="])
def test_augmented_assignment_is_in_place(op):
    x = memograd.tensor([2.0, 4.0])
    alias = x
    data = x._data
    namespace = {"x": x}
    exec(f"x {op} 2.0", namespace)
    assert namespace["x"] is alias and x._data is data
    expected = {"+=": [4.0, 6.0], "-=": [0.0, 2.0], "*=": [4.0, 8.0], "/=": [1.0, 2.0]}[op]
    np.testing.assert_allclose(x.numpy(), expected)


def test_inplace_on_a_view_changes_the_base():
    x = memograd.zeros(2, 3)
    x[1].add_(1.0)
    x[:, 0].fill_(5.0)
    np.testing.assert_array_equal(x.numpy(), [[5.0, 0.0, 0.0], [5.0, 1.0, 1.0]])


def test_inplace_on_a_leaf_that_requires_grad_while_recording_is_an_error():
    w = memograd.ones(2, requires_grad=True)
    for update in (lambda: w.add_(1.0), lambda: w.mul_(2.0), lambda: w.zero_(), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="no_grad"):
            update()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 1.0])


def test_inplace_on_a_non_leaf_is_recorded():
    x = memograd.tensor([1.0, 2.0, 3.0], dtype=memograd.float64, requires_grad=True)

    def fn(t):
        y = t * 1.0
        y *= t  # y = t^2
        y += 1.0
        y[0] = t[1] * 3.0  # y = [3 t1, t1^2 + 1, t2^2 + 1]
        return y

    np.testing.assert_allclose(fn(x).detach().numpy(), [6.0, 5.0, 10.0])
    assert gradcheck(fn, [x])


def test_setitem_under_no_grad_and_on_plain_tensors():
    x = memograd.zeros(3, 2)
    x[0] = 1.0
    x[1:, 1] = memograd.tensor([2.0, 3.0])
    x[np.array([2, 2])] += 0.5
    np.testing.assert_array_equal(x.numpy(), [[1.0, 1.0], [0.0, 2.0], [0.5, 3.5]])


def test_modifying_a_saved_input_makes_backward_raise():
    w = memograd.ones(3, requires_grad=True)
    x = memograd.tensor([1.0, 2.0, 3.0])
    y = (w * x).sum()  # Mul saved x
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()
    assert w.grad is None


def test_modifying_a_saved_non_leaf_makes_backward_raise():
    a = memograd.ones(3, requires_grad=True)
    b = a * 2
    c = (b * b).sum()
    with memograd.no_grad():
        b.mul_(3.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        c.backward()


def test_modifying_a_saved_output_makes_backward_raise():
    x = memograd.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    with memograd.no_grad():
        y.add_(1.0)
    with pytest.raises(RuntimeError, match="Exp"):
        y.sum().backward()


@pytest.mark.parametrize("via", ["base", "view", "detached"])
def test_modifying_through_a_view_or_the_base_is_detected(via):
    w = memograd.ones(2, requires_grad=True)
    x = memograd.tensor([[1.0, 2.0], [3.0, 4.0]])
    row = x[0]
    y = (w * row).sum()
    target = {"base": x, "view": row, "detached": row.detach()}[via]
    target.mul_(2.0)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_unmodified_graph_still_backpropagates_after_unrelated_inplace():
    w = memograd.ones(2, requires_grad=True)
    x = memograd.tensor([1.0, 2.0])
    other = memograd.zeros(2)
    y = (w * x).sum()
    other.add_(1.0)
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])


def test_inplace_error_names_the_op_and_shapes():
    x = memograd.zeros(2, 3)
    with pytest.raises(ValueError, match=r"add_.*(\(2, 3\)|Size\(\[2, 3\]\))"):
        x.add_(memograd.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\)|Size\(\[2, 3\]\)"):
        x[0] = memograd.ones(5)
