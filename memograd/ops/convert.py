"""Copies and dtype conversions. Their gradients pass straight through; the engine casts
each gradient to its input's dtype, so a float64 view of a float32 tensor gets float32
gradients back."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..backend import array_module


class Clone(Op):
    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("g",)

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Cast(Op):
    __slots__ = ()
    backward_flops_per_element = 1  # the engine's cast back to the input's dtype
    vjp_formula = ("g cast back",)

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Assign(Op):
    """`x.copy_(value)` and `x.fill_(value)` as an op: the output is `value` broadcast to x's
    shape and cast to x's dtype; x's old values get no gradient, `value` gets all of it (summed
    back to its shape by the engine)."""

    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("0 (overwritten)", "g")

    @staticmethod
    def forward(ctx, x, value):
        out = np.empty_like(x) if isinstance(x, np.ndarray) else array_module(x).empty_like(x)
        out[...] = value
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return None, grad_out
