"""Choosing elements by a condition."""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..autograd import function
from ..backend import array_module


class Where(Op):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("0 (the condition)", "g · [cond]", "g · [not cond]")

    @staticmethod
    def forward(ctx, cond, a, b):
        xp = array_module(cond)
        cond = xp.asarray(cond, dtype=bool)
        ctx.save_for_backward(cond)
        return xp.where(cond, a, b)

    @staticmethod
    def backward(ctx, grad_out):
        from . import dual

        (cond,) = ctx.saved
        return None, dual.where(cond, grad_out, 0.0), dual.where(cond, 0.0, grad_out)


def where(condition, input=None, other=None):  # noqa: A002
    """`where(condition, input, other)` picks elementwise (broadcasting all three);
    `where(condition)` alone gives the indices where it holds, one tensor per dimension
    (as `nonzero(as_tuple=True)`)."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return Where.apply(condition, input, other)


def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one per dimension."""
    data = input._data if isinstance(input, function.Tensor) else np.asarray(input)
    found = np.nonzero(data.reshape(-1) if data.ndim == 0 else data)  # a 0-d input counts as 1-d
    if as_tuple:
        return tuple(function.Tensor._make(i.astype(np.int64), None) for i in found)
    if data.ndim == 0:
        return function.Tensor._make(np.zeros((found[0].size, 0), dtype=np.int64), None)
    return function.Tensor._make(np.stack(found, axis=1).astype(np.int64), None)
