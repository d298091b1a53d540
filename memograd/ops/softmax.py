"""softmax and log_softmax along one dim, both shifted by the max for stability."""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module


class Softmax(Op):
    __slots__ = ("axis",)
    backward_flops_per_element = 4
    vjp_formula = ("y · (g − Σ g·y)",)
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.axis = dim % max(x.ndim, 1) if x.ndim else None
        xp = array_module(x)
        if x.size == 0:  # an empty dim has no maximum to shift by, and nothing to normalise
            out = x.copy()
            ctx.save_for_backward(out)
            return out
        out = xp.exp(x - x.max(axis=ctx.axis, keepdims=True))
        out /= out.sum(axis=ctx.axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return out * (grad_out - (grad_out * out).sum(axis=ctx.axis, keepdims=True))

    @staticmethod
    def graph_backward(ctx, grad_out, out):
        return out * (grad_out - (grad_out * out).sum(ctx.axis, keepdim=True))


class LogSoftmax(Op):
    __slots__ = ("axis",)
    backward_flops_per_element = 3
    vjp_formula = ("g − softmax(a) · Σ g",)
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.axis = dim % max(x.ndim, 1) if x.ndim else None
        xp = array_module(x)
        if x.size == 0:  # as Softmax
            out = x.copy()
            ctx.save_for_backward(out)
            return out
        shifted = x - x.max(axis=ctx.axis, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=ctx.axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved
        return grad_out - array_module(out).exp(out) * grad_out.sum(axis=ctx.axis, keepdims=True)

    @staticmethod
    def graph_backward(ctx, grad_out, out):
        return grad_out - out.exp() * grad_out.sum(ctx.axis, keepdim=True)


def softmax(x, dim: int):
    return Softmax.apply(x, dim=dim)


def log_softmax(x, dim: int):
    return LogSoftmax.apply(x, dim=dim)
