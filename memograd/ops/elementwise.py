"""More elementwise math, as PyTorch names it: log10 log2 exp2 expm1, tan and the inverse
and hyperbolic functions, atan2, and the compositions cosh, lerp, addcmul, addcdiv
(rounding and remainders are in `rounding`).

Each rule uses only operators on what it saved, so it runs on arrays (plain backprop) and
on tensors (`create_graph=True`) alike. Integer inputs of a float-valued function become
the default float first, as PyTorch promotes them (`log10` of int64 is float32)."""
from __future__ import annotations

import math

from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet
from .unary import floating

_LN10 = math.log(10.0)
_LN2 = math.log(2.0)


# ---- logarithms and exponentials ---------------------------------------------------------


class Log10(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g / (a · ln 10)",)
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
    backward_flops_per_element = 2
    vjp_formula = ("g / (a · ln 2)",)
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
    backward_flops_per_element = 2
    vjp_formula = ("g · y · ln 2",)
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
    backward_flops_per_element = 2
    vjp_formula = ("g · (y + 1)",)
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
    backward_flops_per_element = 3
    vjp_formula = ("g · (1 + y²)",)
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
    backward_flops_per_element = 4
    vjp_formula = ("g / √(1 − a²)",)
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
    backward_flops_per_element = 4
    vjp_formula = ("−g / √(1 − a²)",)
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
    backward_flops_per_element = 4
    vjp_formula = ("g / (1 + a²)",)
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
    backward_flops_per_element = 2
    vjp_formula = ("g · cosh a",)
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
    backward_flops_per_element = 6
    vjp_formula = ("g · b / (a² + b²)", "−g · a / (a² + b²)")
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


# PyTorch's NumPy-style aliases.
arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
