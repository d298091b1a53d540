"""More elementwise math, as PyTorch names it: log10 log2 exp2 expm1, tan and the inverse
and hyperbolic functions, rounding, fmod/remainder, atan2, and the compositions lerp,
addcmul, addcdiv, frac, cosh, div with a rounding mode.

Each rule uses only operators on what it saved, so it runs on arrays (plain backprop) and
on tensors (`create_graph=True`) alike. Integer inputs of a float-valued function become
the default float first, as PyTorch promotes them (`log10` of int64 is float32)."""
from __future__ import annotations

import math

import numpy as np

from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet
from . import arith, select
from .unary import floating

_LN10 = math.log(10.0)
_LN2 = math.log(2.0)


# ---- logarithms and exponentials ---------------------------------------------------------


class Log10(Op):
    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():  # log10(0) = -inf silently, as in PyTorch
            return array_module(x).log10(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with quiet():
            return grad_out / (x * _LN10)


class Log2(Op):
    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():
            return array_module(x).log2(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with quiet():
            return grad_out / (x * _LN2)


class Exp2(Op):
    __slots__ = ()
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():
            out = array_module(x).exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out * _LN2


class Expm1(Op):
    """exp(x) - 1, exact for small x; the derivative exp(x) is the output plus one."""

    __slots__ = ()
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():
            out = array_module(x).expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (out + 1)


# ---- trigonometric and hyperbolic --------------------------------------------------------


class Tan(Op):
    __slots__ = ()
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        out = array_module(x).tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 + out * out)


class Asin(Op):
    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():  # nan outside [-1, 1], silently
            return array_module(x).arcsin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with quiet():
            return grad_out * (1 - x * x) ** -0.5


class Acos(Op):
    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():
            return array_module(x).arccos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with quiet():
            return -grad_out * (1 - x * x) ** -0.5


class Atan(Op):
    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).arctan(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x * x)


class Sinh(Op):
    """The derivative cosh(x) = sqrt(1 + sinh(x)^2) comes from the output without
    cancellation, so the output is all the rule needs."""

    __slots__ = ()
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():
            out = array_module(x).sinh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 + out * out) ** 0.5


class Atan2(Op):
    """atan2(y, x), the angle of the point (x, y); at the origin the gradient is nan."""

    __slots__ = ()
    saves_inputs = True

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return array_module(y if hasattr(y, "shape") else x).arctan2(y, x)

    @staticmethod
    def backward(ctx, grad_out):
        y, x = ctx.saved
        with quiet():
            scale = grad_out / (x * x + y * y)
        return scale * x, -scale * y


# ---- rounding: piecewise constant, so the gradient is zero (as in PyTorch) -----------------


class Step(Op):
    """Base of floor/ceil/round/trunc: `apply_array` rounds; the gradient is zero."""

    __slots__ = ()

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
    rounding = "floor"


# ---- functions ---------------------------------------------------------------------------


def log10(x):
    return Log10.apply(floating(x))


def log2(x):
    return Log2.apply(floating(x))


def exp2(x):
    return Exp2.apply(floating(x))


def expm1(x):
    return Expm1.apply(floating(x))


def tan(x):
    return Tan.apply(floating(x))


def asin(x):
    return Asin.apply(floating(x))


def acos(x):
    return Acos.apply(floating(x))


def atan(x):
    return Atan.apply(floating(x))


def sinh(x):
    return Sinh.apply(floating(x))


def cosh(x):
    """(e^x + e^-x) / 2: a sum of positive terms, so no cancellation; the ops it is made
    of give its gradient (sinh) and every higher one."""
    from .unary import exp

    x = floating(x)
    return (exp(x) + exp(-x)) * 0.5


def atan2(input, other):  # noqa: A002 - PyTorch's names
    return Atan2.apply(floating(input), floating(other))


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


def div(input, other, *, rounding_mode=None):  # noqa: A002
    """input / other, or its quotient rounded toward zero ('trunc') or down ('floor'); with
    a rounding mode, integer inputs give an integer result, as in PyTorch."""
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


def lerp(input, end, weight):  # noqa: A002
    """input + weight * (end - input), for a number or tensor weight."""
    for v in (input, end):
        if isinstance(v, function.Tensor) and v._data.dtype.kind not in "fc":
            raise NotImplementedError(f"\"lerp_kernel_scalar\" not implemented for '{v.dtype}'")
    return input + weight * (end - input)


def addcmul(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 * tensor2."""
    return input + (tensor1 * tensor2 if value == 1 else value * tensor1 * tensor2)


def addcdiv(input, tensor1, tensor2, *, value=1):  # noqa: A002
    """input + value * tensor1 / tensor2."""
    return input + (tensor1 / tensor2 if value == 1 else value * tensor1 / tensor2)


def clamp_min(x, min):  # noqa: A002
    from .unary import clamp

    return clamp(x, min=min)


def clamp_max(x, max):  # noqa: A002
    from .unary import clamp

    return clamp(x, max=max)


def where(condition, input=None, other=None):  # noqa: A002
    """`where(condition, input, other)` picks elementwise; `where(condition)` alone gives the
    indices where it holds, one tensor per dimension (as `nonzero(as_tuple=True)`)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return select.where(condition, input, other)


def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one per dimension."""
    data = input._data if isinstance(input, function.Tensor) else np.asarray(input)
    found = np.nonzero(data.reshape(-1) if data.ndim == 0 else data)  # a 0-d input counts as 1-d
    if as_tuple:
        return tuple(function.Tensor._make(i.astype(np.int64), None) for i in found)
    if data.ndim == 0:
        return function.Tensor._make(np.zeros((found[0].size, 0), dtype=np.int64), None)
    return function.Tensor._make(np.stack(found, axis=1).astype(np.int64), None)


# PyTorch's NumPy-style aliases.
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
