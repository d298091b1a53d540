"""Elementwise functions with piecewise-constant derivatives: abs, sign, clamp. Each saves a
small mask (or nothing), never its input."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module


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

    @staticmethod
    def graph_backward(ctx, grad_out, sign):
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

    @staticmethod
    def graph_backward(ctx, grad_out):
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

    @staticmethod
    def graph_backward(ctx, grad_out, inside):
        return grad_out * inside


# ---- functions ---------------------------------------------------------------------------


def abs(x):  # noqa: A001 - PyTorch's name
    return Abs.apply(x)


def sign(x):
    return Sign.apply(x)


def clamp(x, min=None, max=None):  # noqa: A002
    return Clamp.apply(x, min=min, max=max)


clip = clamp
