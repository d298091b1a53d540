"""Copies and dtype conversions. Their gradients pass straight through; the engine casts
each gradient to its input's dtype, so a float64 view of a float32 tensor gets float32
gradients back."""
from __future__ import annotations

from ..autograd.function import Op


class Clone(Op):
    __slots__ = ()
    backward_flops_per_element = 0

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Cast(Op):
    __slots__ = ()
    backward_flops_per_element = 1  # the engine's cast back to the input's dtype

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out
