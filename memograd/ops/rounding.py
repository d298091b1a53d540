"""Rounding and remainders, as PyTorch names them: floor ceil round(decimals) trunc/fix frac,
fmod and remainder (also `%`), and div with a rounding mode.

Rounding is piecewise constant, so its gradient is zero, as in PyTorch; a remainder
a - b * q(a / b) has gradient 1 in a and -q(a / b) in b, q the rounding (trunc or floor),
saved as a constant. Integer inputs stay integers, as in PyTorch."""
from __future__ import annotations

import numpy as np

from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet
from . import arith


# ---- rounding: piecewise constant, so the gradient is zero (as in PyTorch) -----------------


class Step(Op):
    """Base of floor/ceil/round/trunc: `apply_array` rounds; the gradient is zero."""

    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("0",)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0


class Floor(Step):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return array_module(x).floor(x)


class Ceil(Step):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return array_module(x).ceil(x)


class Trunc(Step):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return array_module(x).trunc(x)


class Round(Step):
    """Half to even, as PyTorch (and NumPy) round: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, x, decimals=0):
        return array_module(x).round(x, decimals)


# ---- remainders --------------------------------------------------------------------------


class Fmod(Op):
    """a - b * trunc(a / b): the sign of the dividend (C's fmod). d/db = -trunc(a / b)."""

    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g", "−g · trunc(a / b)")
    rounding = "trunc"

    @classmethod
    def forward(cls, ctx, a, b):
        xp = array_module(a if hasattr(a, "shape") else b)
        integral = all(getattr(v, "dtype", np.dtype(type(v))).kind in "biu" for v in (a, b))
        if integral and np.any(np.asarray(b) == 0):
            raise RuntimeError("ZeroDivisionError")
        with quiet():
            out = arith.promote((xp.fmod if cls.rounding == "trunc" else xp.remainder)(a, b), a, b)
            if not integral:
                ctx.save_for_backward(getattr(xp, cls.rounding)(a / b).astype(out.dtype, copy=False))
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (quotient,) = ctx.saved
        return grad_out, -grad_out * quotient


class Remainder(Fmod):
    """a - b * floor(a / b): the sign of the divisor (Python's %). d/db = -floor(a / b)."""

    __slots__ = ()
    vjp_formula = ("g", "−g · floor(a / b)")
    rounding = "floor"


# ---- functions ---------------------------------------------------------------------------


def _rounded(op, x, **params):
    if isinstance(x, function.Tensor) and x._data.dtype.kind in "biu":
        return x.clone()  # integers are already whole: PyTorch returns them unchanged
    return op.apply(x, **params)


def floor(x):
    return _rounded(Floor, x)


def ceil(x):
    return _rounded(Ceil, x)


def trunc(x):
    return _rounded(Trunc, x)


fix = trunc


def round(x, *, decimals: int = 0):  # noqa: A001 - PyTorch's name
    return _rounded(Round, x, decimals=decimals)


def frac(x):
    """x - trunc(x), with the sign of x; its gradient is 1, as PyTorch's."""
    if isinstance(x, function.Tensor) and x._data.dtype.kind in "biu":
        raise RuntimeError(f"\"frac_cpu\" not implemented for '{x.dtype}'")
    return x - trunc(x)


def fmod(input, other):  # noqa: A002
    return Fmod.apply(input, other)


def remainder(input, other):  # noqa: A002
    return Remainder.apply(input, other)


def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    """input / other, or its quotient rounded toward zero ('trunc') or down ('floor'); with
    a rounding mode, integer inputs give an integer result, as in PyTorch."""
    if out is not None:
        return arith._to_out(div(input, other, rounding_mode=rounding_mode), out, "div")
    if rounding_mode is None:
        return arith.Div.apply(input, other)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found {rounding_mode!r}")
    kinds = [getattr(v, "dtype", np.dtype(type(v))).kind for v in (input, other)]
    if all(k in "biu" for k in kinds):
        a, b = (v._data if isinstance(v, function.Tensor) else v for v in (input, other))
        if np.any(np.asarray(b) == 0):
            raise RuntimeError("ZeroDivisionError")
        q = np.floor_divide(a, b) if rounding_mode == "floor" else np.trunc(np.true_divide(a, b))
        return function.Tensor._make(np.asarray(q).astype(np.result_type(a, b), copy=False), None)
    quotient = arith.Div.apply(input, other)
    return floor(quotient) if rounding_mode == "floor" else trunc(quotient)
