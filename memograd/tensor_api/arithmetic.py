"""Arithmetic operators, comparisons and elementwise functions: each one delegates to its op."""
from __future__ import annotations

import numpy as np

from ..autograd import function
from ..ops import activation, arith, elementwise, rounding, select, unary


class ArithmeticMethods:
    __slots__ = ()

    def __add__(self, other):
        return arith.Add.apply(self, other)

    def __radd__(self, other):
        return arith.Add.apply(other, self)

    def __sub__(self, other):
        return arith.Sub.apply(self, other)

    def __rsub__(self, other):
        return arith.Sub.apply(other, self)

    def __mul__(self, other):
        return arith.Mul.apply(self, other)

    def __rmul__(self, other):
        return arith.Mul.apply(other, self)

    def __truediv__(self, other):
        return arith.Div.apply(self, other)

    def __rtruediv__(self, other):
        return arith.Div.apply(other, self)

    def __pow__(self, other):
        return arith.Pow.apply(self, other)

    def __rpow__(self, other):
        return arith.Pow.apply(other, self)

    def __matmul__(self, other):
        return arith.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return arith.MatMul.apply(other, self)

    def __neg__(self):
        return arith.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return unary.Abs.apply(self)

    def __floordiv__(self, other):
        return _division(np.floor_divide, self, other)

    def __rfloordiv__(self, other):
        return _division(np.floor_divide, other, self)

    def __mod__(self, other):
        return _remainder(self, other)

    def __rmod__(self, other):
        return _remainder(other, self)

    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    mul = multiply = __mul__

    def div(self, other, *, rounding_mode=None):
        return rounding.div(self, other, rounding_mode=rounding_mode)

    divide = div
    true_divide = __truediv__
    subtract = sub
    matmul = __matmul__
    mm = __matmul__
    bmm = __matmul__
    dot = __matmul__
    neg = __neg__
    pow = __pow__
    abs = __abs__

    def maximum(self, other):
        return arith.Maximum.apply(self, other)

    def minimum(self, other):
        return arith.Minimum.apply(self, other)

    # ---- comparisons and logic (no gradient) -------------------------------------------

    def __eq__(self, other):
        return _no_grad_binary(np.equal, self, other)

    def __ne__(self, other):
        return _no_grad_binary(np.not_equal, self, other)

    def __lt__(self, other):
        return _no_grad_binary(np.less, self, other)

    def __le__(self, other):
        return _no_grad_binary(np.less_equal, self, other)

    def __gt__(self, other):
        return _no_grad_binary(np.greater, self, other)

    def __ge__(self, other):
        return _no_grad_binary(np.greater_equal, self, other)

    def __and__(self, other):
        return _no_grad_binary(np.bitwise_and, self, other)

    def __or__(self, other):
        return _no_grad_binary(np.bitwise_or, self, other)

    def __xor__(self, other):
        return _no_grad_binary(np.bitwise_xor, self, other)

    def __invert__(self):
        return _make(np.invert(self._data), None)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def isnan(self):
        return _make(np.isnan(self._data), None)

    def isfinite(self):
        return _make(np.isfinite(self._data), None)

    def allclose(self, other, rtol=1e-5, atol=1e-8) -> bool:
        return bool(np.allclose(self._data, _data(other), rtol=rtol, atol=atol))

    # ---- elementwise -------------------------------------------------------------------

    exp = unary.exp
    log = unary.log
    log1p = unary.log1p
    sqrt = unary.sqrt
    rsqrt = unary.rsqrt
    reciprocal = unary.reciprocal
    sin = unary.sin
    cos = unary.cos
    tanh = unary.tanh
    sigmoid = unary.sigmoid
    relu = unary.relu
    sign = unary.sign
    clamp = unary.clamp
    clip = unary.clamp

    # ---- more elementwise math (memograd.ops.elementwise) ---------------------------------

    log10 = elementwise.log10
    log2 = elementwise.log2
    exp2 = elementwise.exp2
    expm1 = elementwise.expm1
    tan = elementwise.tan
    asin = arcsin = elementwise.asin
    acos = arccos = elementwise.acos
    atan = arctan = elementwise.atan
    atan2 = arctan2 = elementwise.atan2
    sinh = elementwise.sinh
    cosh = elementwise.cosh
    erf = activation.erf
    floor = rounding.floor
    ceil = rounding.ceil
    trunc = fix = rounding.trunc
    frac = rounding.frac
    fmod = rounding.fmod
    remainder = rounding.remainder
    lerp = elementwise.lerp
    addcmul = elementwise.addcmul
    addcdiv = elementwise.addcdiv
    clamp_min = elementwise.clamp_min
    clamp_max = elementwise.clamp_max
    nonzero = select.nonzero

    def round(self, decimals: int = 0):
        return rounding.round(self, decimals=decimals)

    def square(self):
        return arith.Mul.apply(self, self)

    def where(self, condition, other):
        return select.where(condition, self, other)

    def masked_fill(self, mask, value):
        return select.where(mask, value, self)


def _make(array, grad_fn=None):
    return function.Tensor._make(array, grad_fn)


def _data(x):
    return x._data if isinstance(x, function.Tensor) else x


def _scaled(other, alpha):
    return _data(other) * alpha


def _division(ufunc, a, b):
    """`//` and `%` (no gradient) in PyTorch's result dtype. An integer division by zero raises,
    as in PyTorch (NumPy would warn and return 0); a float one gives inf or nan silently."""
    x, y = _data(a), _data(b)
    target = arith.result_type(x, y)
    if target is not None and target.kind in "biu" and not np.all(y):
        raise RuntimeError(f"ZeroDivisionError: integer {ufunc.__name__} by zero")
    with np.errstate(divide="ignore", invalid="ignore"):
        return _make(arith.promote(ufunc(x, y), x, y))


def _remainder(a, b):
    """`%`: differentiable for floats (rounding.remainder); an integer one goes through _division,
    so that an integer remainder by zero raises as in PyTorch."""
    target = arith.result_type(_data(a), _data(b))
    if target is not None and target.kind in "biu":
        return _division(np.remainder, a, b)
    return rounding.remainder(a, b)


def _no_grad_binary(ufunc, a, b):
    return _make(ufunc(_data(a), _data(b)))
