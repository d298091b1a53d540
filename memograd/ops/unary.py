"""Elementwise functions of one tensor. Where the derivative is cheap in the output
(exp, sqrt, tanh, sigmoid, reciprocal) the op saves its output, not its input; where the
derivative is piecewise constant (relu, abs, clamp) it saves a small mask."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet
from . import dual


class Exp(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · y",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():  # overflow to inf, silently as in PyTorch
            out = array_module(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out


class Log(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g / a",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():  # log(0) = -inf, log(-1) = nan, silently as in PyTorch
            return array_module(x).log(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        with quiet():
            return grad_out / x


class Log1p(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g / (1 + a)",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with quiet():
            return array_module(x).log1p(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out / (1 + x)


class Sqrt(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g / (2y)",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():  # sqrt(-1) = nan, silently as in PyTorch
            out = array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        with quiet():  # infinite slope at 0
            return grad_out / (2 * out)


class Rsqrt(Op):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("−g · y³ / 2",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():
            out = 1 / array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (-0.5 * out * out * out)


class Reciprocal(Op):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("−g · y²",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        with quiet():
            out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return -grad_out * out * out


class Sin(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g · cos a",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * dual.cos(x)


class Cos(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("−g · sin a",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return -grad_out * dual.sin(x)


class Tanh(Op):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("g · (1 − y²)",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        out = array_module(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * (1 - out * out)


class Sigmoid(Op):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("g · y · (1 − y)",)
    saves_output = True

    @staticmethod
    def forward(ctx, x):
        # 1/(1+e^-x) written through tanh: no overflow for large |x|, exact at 0.
        out = array_module(x).tanh(x * 0.5)
        out *= 0.5
        out += 0.5
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out * out * (1 - out)


class Relu(Op):
    """Saves a mask of where x > 0 (an int8 view of the comparison: NumPy multiplies float32
    by int8 faster than by bool). The mask is the output's sign, so the output is guarded as
    if it were saved: changing it in place makes backward raise, as in PyTorch."""

    __slots__ = ()
    guards_output = True
    backward_flops_per_element = 1
    vjp_formula = ("g · [a > 0]",)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(dual.positive(x))
        return array_module(x).maximum(x, 0)

    @staticmethod
    def backward(ctx, grad_out):
        (mask,) = ctx.saved
        return grad_out * mask


class Abs(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · sign a",)

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        ctx.save_for_backward(xp.sign(x))
        return xp.abs(x)

    @staticmethod
    def backward(ctx, grad_out):
        (sign,) = ctx.saved
        return grad_out * sign


class Sign(Op):
    """Piecewise constant: its gradient is zero everywhere it exists, as in PyTorch."""

    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("0",)

    @staticmethod
    def forward(ctx, x):
        return array_module(x).sign(x)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0


class Clamp(Op):
    """Gradient passes where min <= x <= max (boundaries included, as in PyTorch)."""

    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · [lo ≤ a ≤ hi]",)

    @staticmethod
    def forward(ctx, x, min=None, max=None):  # noqa: A002 - PyTorch's names
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        xp = array_module(x)
        inside = np.ones(x.shape, dtype=bool) if xp is np else xp.ones(x.shape, dtype=bool)
        if min is not None:
            inside &= x >= min
        if max is not None:
            inside &= x <= max
        ctx.save_for_backward(inside)
        return xp.clip(x, min, max).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        (inside,) = ctx.saved
        return grad_out * inside


# ---- functions ---------------------------------------------------------------------------


def floating(x):
    """`x` itself, or x as the default float when it is an integer or bool tensor: the
    float-valued functions promote integers so, as in PyTorch (`exp` of int64 is float32)."""
    if isinstance(x, function.Tensor) and x._data.dtype.kind in "biu":
        return x.to(dtypes.get_default_dtype())
    return x


def exp(x):
    return Exp.apply(floating(x))


def log(x):
    return Log.apply(floating(x))


def log1p(x):
    return Log1p.apply(floating(x))


def sqrt(x):
    return Sqrt.apply(floating(x))


def rsqrt(x):
    return Rsqrt.apply(floating(x))


def reciprocal(x):
    return Reciprocal.apply(floating(x))


def sin(x):
    return Sin.apply(floating(x))


def cos(x):
    return Cos.apply(floating(x))


def tanh(x):
    return Tanh.apply(floating(x))


def sigmoid(x):
    return Sigmoid.apply(floating(x))


def relu(x):
    return Relu.apply(x)


def abs(x):  # noqa: A001 - PyTorch's name
    return Abs.apply(x)


def sign(x):
    return Sign.apply(x)


def clamp(x, min=None, max=None):  # noqa: A002
    return Clamp.apply(x, min=min, max=max)


clip = clamp
