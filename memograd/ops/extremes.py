"""max/min over all elements, over a dim as (values, indices), or against another tensor;
and argmax/argmin (no gradient)."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import function
from ..backend import array_module
from . import arith, reduce, shape


class MaxResult(tuple):
    """(values, indices), as PyTorch's max(dim)/min(dim) return."""

    __slots__ = ()

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])
    name = "max"  # the function's name in PyTorch's printed form

    def __repr__(self) -> str:
        return f"torch.return_types.{self.name}(\nvalues={self[0]!r},\nindices={self[1]!r})"



_KINDS = {"max": MaxResult}


def named_result(name: str, values, indices) -> MaxResult:
    """(values, indices) that prints as PyTorch's `torch.return_types.<name>(...)`."""
    kind = _KINDS.get(name)
    if kind is None:
        kind = _KINDS[name] = type(name, (MaxResult,), {"__slots__": (), "name": name})
    return kind(values, indices)


def extreme(x, dim, keepdim, pick):
    if isinstance(dim, (function.Tensor, np.ndarray)):
        return (arith.maximum if pick == "max" else arith.minimum)(x, dim)
    if dim is None:
        return (reduce.amax if pick == "max" else reduce.amin)(x)
    indices = arg_extreme(x, dim, False, "arg" + pick)
    values = reduce.SelectAlong.apply(x, indices._data, dim=dim, keepdim=keepdim)
    if keepdim:
        indices = shape.unsqueeze(indices, dim)
    return named_result(pick, values, indices)


def arg_extreme(x, dim, keepdim, name):
    xp = array_module(x._data)
    if x._data.size == 0:  # PyTorch's errors (NumPy's would be a bare ValueError)
        if dim is None:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        (axis,) = reduce.normalize_dims(dim, x.ndim, name)
        if x.shape[axis] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")
    if dim is None:
        out = getattr(xp, name)(x._data)
        return function.Tensor._make(xp.asarray(out, dtype=dtypes.int64).reshape((1,) * x.ndim if keepdim else ()), None)
    reduce.normalize_dims(dim, x.ndim, name)
    return function.Tensor._make(getattr(xp, name)(x._data, axis=dim, keepdims=keepdim).astype(dtypes.int64), None)
