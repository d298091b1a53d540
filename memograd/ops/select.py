"""Choosing elements by a condition."""
from __future__ import annotations

from ..autograd.function import Op
from ..backend import array_module


class Where(Op):
    __slots__ = ()
    backward_flops_per_element = 1

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = array_module(cond)
        cond = xp.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        (cond,) = ctx.saved
        xp = array_module(grad_out)
        return None, xp.where(cond, grad_out, 0.0), xp.where(cond, 0.0, grad_out)

    @staticmethod
    def graph_backward(ctx, grad_out, cond):
        return None, where(cond, grad_out, 0.0), where(cond, 0.0, grad_out)


def where(condition, a, b):
    """`a` where `condition` holds, else `b` (broadcasting all three)."""
    return Where.apply(condition, a, b)
