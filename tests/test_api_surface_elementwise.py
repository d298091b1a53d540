"""The elementwise functions added for PyTorch programs (memograd.ops.elementwise): values and
gradients against PyTorch, float64 finite differences, dtypes, and which calls raise."""
import warnings

import numpy as np
import pytest

import memograd
from helpers import check_grad, check_gradgrad, const
from surface_helpers import assert_both_raise, assert_parity, assert_same

# (id, shapes, domain, fn(lib, *inputs)); every fn is differentiable in its inputs.
CASES = [
    ("log10", [(3, 4)], "positive", lambda lib, a: lib.log10(a)),
    ("log2", [(3, 4)], "positive", lambda lib, a: a.log2()),
    ("exp2", [(3, 4)], "real", lambda lib, a: lib.exp2(a)),
    ("expm1", [(3, 4)], "real", lambda lib, a: a.expm1()),
    ("tan", [(3, 4)], "unit", lambda lib, a: lib.tan(a)),
    ("asin", [(3, 4)], "unit", lambda lib, a: lib.asin(a)),
    ("acos", [(3, 4)], "unit", lambda lib, a: a.acos()),
    ("atan", [(3, 4)], "real", lambda lib, a: lib.atan(a)),
    ("arcsin_alias", [(5,)], "unit", lambda lib, a: lib.arcsin(a) + a.arctan()),
    ("sinh", [(3, 4)], "real", lambda lib, a: lib.sinh(a)),
    ("cosh", [(3, 4)], "real", lambda lib, a: a.cosh()),
    ("erf", [(3, 4)], "real", lambda lib, a: lib.erf(a) + a.erf()),
    ("atan2", [(3, 4), (4,)], "real", lambda lib, a, b: lib.atan2(a, b)),
    ("arctan2_method", [(3, 1), (1, 4)], "real", lambda lib, a, b: a.arctan2(b)),
    ("floor", [(3, 4)], "real", lambda lib, a: lib.floor(a * 3) + a),
    ("ceil", [(3, 4)], "real", lambda lib, a: a.ceil() * a),
    ("round", [(3, 4)], "real", lambda lib, a: lib.round(a * 3) * a),
    ("round_decimals", [(3, 4)], "real", lambda lib, a: lib.round(a, decimals=2) + a),
    ("trunc", [(3, 4)], "real", lambda lib, a: lib.trunc(a * 3) * a + a.fix()),
    ("frac", [(3, 4)], "real", lambda lib, a: lib.frac(a * 3)),
    ("fmod", [(3, 4), (4,)], "real", lambda lib, a, b: lib.fmod(a * 3, b)),
    ("fmod_scalar", [(3, 4)], "real", lambda lib, a: a.fmod(0.7)),
    ("remainder", [(3, 4), (3, 1)], "real", lambda lib, a, b: lib.remainder(a * 3, b)),
    ("mod_operator", [(3, 4), (4,)], "real", lambda lib, a, b: (a * 3) % b),
    ("lerp_scalar", [(3, 4), (3, 4)], "real", lambda lib, a, b: lib.lerp(a, b, 0.3)),
    ("lerp_tensor", [(3, 4), (4,), (3, 4)], "real", lambda lib, a, b, w: a.lerp(b, w)),
    ("addcmul", [(3, 4), (3, 4), (4,)], "real", lambda lib, a, b, c: lib.addcmul(a, b, c, value=0.5)),
    ("addcdiv", [(3, 4), (3, 4), (3, 4)], "positive", lambda lib, a, b, c: a.addcdiv(b, c, value=-2)),
    ("clamp_min_max", [(3, 4)], "real", lambda lib, a: lib.clamp_min(a, 0.1) + a.clamp_max(0.2)),
    ("div_floor", [(3, 4), (4,)], "real", lambda lib, a, b: lib.div(a, b, rounding_mode="floor") * a),
    ("div_trunc_method", [(3, 4)], "real", lambda lib, a: a.div(0.3, rounding_mode="trunc") + a.div(2)),
]


@pytest.mark.parametrize("name, shapes, domain, fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, shapes, domain, fn):
    assert_parity(fn, shapes, domain)


@pytest.mark.parametrize("name, shapes, domain, fn", CASES, ids=[c[0] for c in CASES])
def test_finite_differences(name, shapes, domain, fn):
    if name in ("floor", "ceil", "round", "trunc", "frac", "div_floor", "div_trunc_method"):
        domain = "positive"  # keep a*3 away from the steps: inputs in [0.5, 2] times 3 are no integers
    check_grad(lambda *xs: fn(memograd, *xs), *shapes, domain=domain)


@pytest.mark.parametrize("name", ["log10", "exp2", "expm1", "tan", "asin", "sinh", "cosh", "atan2", "addcdiv"])
def test_second_derivatives(name):
    _, shapes, domain, fn = next(c for c in CASES if c[0] == name)
    check_gradgrad(lambda *xs: fn(memograd, *xs), *shapes, domain=domain)


def test_number_modulo_tensor_is_differentiable():
    # PyTorch has no derivative for remainder(number, tensor) ("not implemented"); memograd has.
    assert_same(lambda lib: 5.0 % lib.tensor([0.7, 1.3, 2.0]))
    check_grad(lambda a: 5.0 % a, (2, 3), domain="positive")


def test_remainder_gradient_with_a_constant_divisor():
    check_grad(lambda a: memograd.remainder(a * 3, memograd.tensor([0.7, 1.3, 0.9], dtype=memograd.float64)), (2, 3))
    check_grad(lambda a, b: memograd.fmod(a, b), const((2, 3)), (2, 3))


@pytest.mark.parametrize("make", [
    lambda lib: lib.log10(lib.tensor([1, 100])),                 # int input: default float out
    lambda lib: lib.tensor([1, 8]).log2(),
    lambda lib: lib.exp(lib.tensor([0, 1])),                     # existing ops promote ints the same way
    lambda lib: lib.sqrt(lib.tensor([4, 9], dtype=lib.int32)),
    lambda lib: lib.tensor([True, False]).sigmoid(),
    lambda lib: lib.atan2(lib.tensor([1, 2]), lib.tensor([3, 4])),
    lambda lib: lib.floor(lib.tensor([1, -2])),                  # rounding keeps integers as they are
    lambda lib: lib.round(lib.tensor([0.5, 1.5, 2.5, -0.5])),    # half to even
    lambda lib: lib.round(lib.tensor([1.2345, -2.5551]), decimals=2),
    lambda lib: lib.fmod(lib.tensor([5, -5]), 3),                # integer remainders stay integers
    lambda lib: lib.remainder(lib.tensor([5, -5]), 3),
    lambda lib: lib.tensor([5, -5]) % 3,
    lambda lib: lib.remainder(lib.tensor([5.0, -5.0]), 0),       # float by zero: nan
    lambda lib: lib.div(lib.tensor([5, -5]), 2, rounding_mode="floor"),
    lambda lib: lib.div(lib.tensor([5, -5]), 2, rounding_mode="trunc"),
    lambda lib: lib.div(lib.tensor([5.0, -5.0]), 2, rounding_mode="floor"),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64).expm1(),
    lambda lib: lib.frac(lib.tensor([-1.5, 2.25])),
    lambda lib: lib.lerp(lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]), lib.tensor([0.5, 0.2])),
    lambda lib: lib.where(lib.tensor([1, 0, 2])),
    lambda lib: lib.nonzero(lib.tensor([[1, 0], [0, 2]])),
    lambda lib: lib.tensor([[0.0, 1.5]]).nonzero(as_tuple=True),
    lambda lib: lib.nonzero(lib.tensor(3)),
], ids=lambda f: "")
def test_values_and_dtypes_match_torch(make):
    assert_same(make)


def test_which_calls_raise():
    assert_both_raise(lambda lib: lib.fmod(lib.tensor([5]), 0), RuntimeError)
    assert_both_raise(lambda lib: lib.remainder(lib.tensor([5]), lib.tensor([0])), RuntimeError)
    assert_both_raise(lambda lib: lib.div(lib.tensor([5]), 0, rounding_mode="floor"), RuntimeError)
    assert_both_raise(lambda lib: lib.div(lib.tensor([5.0]), 2, rounding_mode="round"), ValueError, RuntimeError)
    assert_both_raise(lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([3, 4]), 0.5), NotImplementedError,
                      RuntimeError)
    assert_both_raise(lambda lib: lib.frac(lib.tensor([1, 2])), RuntimeError)


def test_no_numpy_warnings_where_pytorch_is_silent():
    x = memograd.tensor([0.0, -1.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [memograd.log(x), x.sqrt(), 1 / x, x / 0, x.rsqrt(), x.reciprocal(), memograd.log10(x), x.log2(),
                  memograd.log1p(x - 0.0), x ** -1.0, x ** 0.5, memograd.asin(x), memograd.exp(x * 1000)]
        memograd.log(x).sum().backward()
        y = memograd.tensor([0.0, 2.0], requires_grad=True)
        y.sqrt().sum().backward()
    assert values[0].tolist()[0] == float("-inf") and np.isnan(values[0].tolist()[1])
    assert np.isnan(values[1].tolist()[1]) and values[2].tolist()[0] == float("inf")
    assert x.grad.tolist()[0] == float("inf") and y.grad.tolist()[0] == float("inf")


def test_log_of_zero_is_minus_infinity_as_in_torch():
    assert_same(lambda lib: lib.log(lib.tensor([0.0, 1.0])))
    assert_same(lambda lib: lib.tensor([1.0, -1.0, 0.0]) / 0)
    assert_same(lambda lib: lib.sqrt(lib.tensor([-1.0, 4.0])), atol=0)
