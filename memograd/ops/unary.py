"""Elementwise functions of one tensor. Where the derivative is cheap in the output
(exp, sqrt, tanh, sigmoid, reciprocal) the op saves its output, not its input; where the
derivative is piecewise constant (relu, abs, clamp) it saves a small mask."""
from __future__ import annotations


from .. import dtypes
from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet


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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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

    @staticmethod
    def graph_backward(ctx, grad_out, x):
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

    @staticmethod
    def graph_backward(ctx, grad_out, x):
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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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
        return grad_out * array_module(x).cos(x)

    @staticmethod
    def graph_backward(ctx, grad_out, x):
        return grad_out * x.cos()


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
        return -grad_out * array_module(x).sin(x)

    @staticmethod
    def graph_backward(ctx, grad_out, x):
        return -grad_out * x.sin()


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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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

    @staticmethod
    def graph_backward(ctx, grad_out, out):
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
    def forward(ctx, x, into_input=False):
        """`into_input`: written over x (`relu_`, `nn.ReLU(inplace=True)`): one pass, no new array."""
        ctx.save_for_backward(positive(x))
        return array_module(x).maximum(x, 0, out=x if into_input else None)

    @staticmethod
    def backward(ctx, grad_out):
        (mask,) = ctx.saved
        return grad_out * mask

    @staticmethod
    def graph_backward(ctx, grad_out, mask):
        return grad_out * mask


def positive(x):
    """`x > 0` as a multiplier for a gradient, viewed as int8: NumPy multiplies float32 by int8
    faster than by bool (measured 40 -> 30 us at 128 x 512, 1.46 -> 1.31 ms at 1024 x 2048),
    with the same result."""
    return (x > 0).view("int8")


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


# abs, sign and clamp have piecewise-constant derivatives: their ops live in piecewise.py.
from .piecewise import Abs, Clamp, Sign, abs, clamp, clip, sign  # noqa: E402, F401
