"""Gradients and values of + - * / ** @, unary minus, maximum and minimum."""
import operator

import numpy as np
import pytest

import memograd
from helpers import BROADCAST_PAIRS, check_grad, const, leaf

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_binary_broadcast(op, shapes):
    check_grad(op, *shapes)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_binary_with_constant_operand(op):
    check_grad(op, (3, 4), const((1, 4)))
    check_grad(op, const((3, 1)), (3, 4))


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [2.5, -3])
def test_binary_with_python_scalar_on_both_sides(op, scalar):
    check_grad(lambda x: op(x, scalar), (2, 3))
    check_grad(lambda x: op(scalar, x), (2, 3))


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_binary_with_numpy_array_on_both_sides(op):
    other = np.random.default_rng(1).uniform(0.5, 2.0, size=(3, 1))
    check_grad(lambda x: op(x, other), (3, 4))
    check_grad(lambda x: op(other, x), (3, 4))


def test_repeated_inputs_accumulate():
    check_grad(lambda x: x * x, (3, 4))
    check_grad(lambda x: x / x + x - x * x * x, (5,))
    check_grad(lambda x, y: (x + y) * (x - y) * x, (3, 1), (1, 4))


def test_square_of_shared_input_has_gradient_two_x():
    x = memograd.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


def test_neg():
    check_grad(lambda x: -x, (3, 4))
    check_grad(lambda x: -(-x * x), (2, 3, 2))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5, 2.7])
def test_pow_constant_exponent(exponent):
    check_grad(lambda x: x**exponent, (3, 4), domain="positive")


def test_pow_integer_exponent_negative_base():
    check_grad(lambda x: x**3, (3, 4))
    check_grad(lambda x: x.pow(2), (5,))


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), ()), ((), (2, 3))], ids=str)
def test_pow_tensor_exponent_and_base(shapes):
    check_grad(operator.pow, *shapes, domain="positive")


def test_pow_scalar_base_tensor_exponent():
    check_grad(lambda x: 2.0**x, (3, 4))
    check_grad(lambda x: memograd.pow(x, x), (4,), domain="positive")


def test_pow_zero_base_has_finite_exponent_gradient():
    base = memograd.tensor([0.0, 2.0])
    exponent = memograd.tensor([2.0, 3.0], requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad.numpy(), [0.0, 8.0 * np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize(
    "shapes",
    [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)), ((2, 3, 4), (4, 5)),
     ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3))],
    ids=str,
)
def test_matmul(shapes):
    check_grad(operator.matmul, *shapes)


def test_matmul_values_and_aliases():
    a, b = leaf(2, 3, 4), leaf(4, 5, seed=1)
    expected = a.detach().numpy() @ b.detach().numpy()
    for result in (a @ b, memograd.matmul(a, b), a.matmul(b)):
        np.testing.assert_allclose(result.detach().numpy(), expected)
    check_grad(lambda x: x @ x.T, (3, 4))
    check_grad(lambda x: x.mm(x.T), (3, 4))


def test_matmul_with_numpy_operand_on_both_sides():
    m = np.random.default_rng(2).standard_normal((4, 2))
    check_grad(lambda x: x @ m, (3, 4))
    check_grad(lambda x: m.T @ x, (4, 3))
    assert isinstance(m.T @ leaf(4, 3), memograd.Tensor)


@pytest.mark.parametrize("fn", [memograd.maximum, memograd.minimum], ids=["maximum", "minimum"])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((2, 3, 1), (4,)), ((), (3,))], ids=str)
def test_maximum_minimum(fn, shapes):
    check_grad(fn, *shapes)


def test_maximum_minimum_with_scalar_and_values():
    check_grad(lambda x: memograd.maximum(x, 0.1), (3, 4))
    check_grad(lambda x: x.minimum(x * x), (3, 4))
    a = memograd.tensor([1.0, 5.0, -2.0])
    b = memograd.tensor([3.0, 2.0, -2.0])
    np.testing.assert_array_equal(memograd.maximum(a, b).numpy(), [3.0, 5.0, -2.0])
    np.testing.assert_array_equal(memograd.minimum(a, b).numpy(), [1.0, 2.0, -2.0])


def test_maximum_tie_splits_gradient():
    a = memograd.tensor([1.0, 2.0], requires_grad=True)
    b = memograd.tensor([1.0, 3.0], requires_grad=True)
    memograd.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 0.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 1.0])


@pytest.mark.parametrize(
    "op, np_op",
    [(operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
     (operator.truediv, np.divide), (operator.pow, np.power)],
)
def test_forward_values_match_numpy(op, np_op):
    a = np.random.default_rng(3).uniform(0.5, 2, size=(3, 4))
    b = np.random.default_rng(4).uniform(0.5, 2, size=(4,))
    np.testing.assert_allclose(op(memograd.tensor(a), memograd.tensor(b)).numpy(), np_op(a, b))
    np.testing.assert_allclose(op(memograd.tensor(a), 1.5).numpy(), np_op(a, 1.5))
    np.testing.assert_allclose(op(1.5, memograd.tensor(a)).numpy(), np_op(1.5, a))
