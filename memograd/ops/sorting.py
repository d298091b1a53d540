"""Ordering along a dimension: sort, argsort, topk, median, kthvalue.

Only the order is computed here (NumPy's stable argsort); the values are then picked out of
the input with an index, which is differentiable (`x[index]`), so the gradient of a sorted
or top-k value flows back to the element it came from."""
from __future__ import annotations

import numpy as np

from ..autograd import function
from .extremes import MaxResult, named_result
from .reduce import normalize_dims


def _axis(x, dim, op: str) -> int:
    if x.ndim == 0:
        if dim not in (0, -1):
            raise IndexError(f"{op}: dim {dim} is out of range for a 0-d tensor (expected 0 or -1)")
        return 0
    return normalize_dims(dim, x.ndim, op)[0]


def order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Indices that sort `data` along `axis`, ties in their original order, NaN counted as
    the largest value (last ascending, first descending), as PyTorch sorts."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # Sort the reversed row ascending and read the result backwards: descending order, and
    # equal values come out in their original order; NaN, last ascending, comes out first.
    n = data.shape[axis]
    back = (slice(None),) * axis + (slice(None, None, -1),)
    return (n - 1 - np.argsort(data[back], axis=axis, kind="stable"))[back]


def take_along(x, indices: np.ndarray, axis: int):
    """x's elements at `indices` along `axis` (NumPy's take_along_axis) as an indexing op."""
    grid = list(np.indices(indices.shape, sparse=True))
    grid[axis] = indices
    return x[tuple(grid)]


def _result(name: str, x, indices: np.ndarray, axis: int) -> MaxResult:
    values = take_along(x, indices, axis) if x.ndim else x.clone()
    return named_result(name, values, function.Tensor._make(indices.astype(np.int64), None))


def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """(values, indices) sorted along `dim`. The order is always stable (ties keep their
    positions), which PyTorch guarantees only with `stable=True`.

    >>> memograd.sort(memograd.tensor([3.0, 1.0, 2.0])).values
    tensor([1., 2., 3.])
    """
    axis = _axis(input, dim, "sort")
    if input.ndim == 0:
        return _result("sort", input, np.zeros((), dtype=np.int64), 0)
    return _result("sort", input, order(input._data, axis, descending), axis)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    return sort(input, dim, descending, stable).indices


def msort(input):  # noqa: A002
    return sort(input, 0).values


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The k largest (or smallest) elements along `dim` and their indices, largest first.

    >>> memograd.topk(memograd.tensor([1.0, 5.0, 3.0]), 2).indices
    tensor([1, 2])
    """
    axis = _axis(input, dim, "topk")
    n = input.shape[axis] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: topk({k}) along a dimension of size {n}")
    if input.ndim == 0:
        return _result("topk", input, np.zeros((), dtype=np.int64), 0)
    picked = order(input._data, axis, descending=largest)
    picked = picked[(slice(None),) * axis + (slice(0, k),)]
    return _result("topk", input, picked, axis)


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The k-th smallest element (k counts from 1) along `dim`, and its index."""
    axis = _axis(input, dim, "kthvalue")
    n = input.shape[axis] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim} of size {n}")
    return _select_rank("kthvalue", input, axis, k - 1, keepdim)


def median(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The lower median (the smaller middle element for an even count), as PyTorch: over all
    elements when `dim` is None (a value), else (values, indices) along `dim`. A NaN among
    the elements makes the median NaN (its index that of the first NaN in sorted order)."""
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return flat.sum() * float("nan")
        return _select_rank("median", flat, 0, None, False).values
    axis = _axis(input, dim, "median")
    return _select_rank("median", input, axis, None, keepdim)


def _select_rank(name: str, x, axis: int, rank, keepdim: bool) -> MaxResult:
    """The element of sorted position `rank` along `axis` (None: the lower median, or the
    first NaN where a row holds one)."""
    if x.ndim == 0:
        return _result(name, x, np.zeros((), dtype=np.int64), 0)
    data = x._data
    sorted_order = order(data, axis, descending=False)
    if rank is None:
        n = data.shape[axis]
        nans = np.isnan(data).sum(axis=axis, keepdims=True) if data.dtype.kind == "f" else 0
        rank = np.where(nans > 0, n - nans, (n - 1) // 2)  # NaNs sort last: the first of them
        picked = np.take_along_axis(sorted_order, np.broadcast_to(rank, sorted_order.shape[:axis] + (1,)
                                                                  + sorted_order.shape[axis + 1:]), axis)
    else:
        picked = sorted_order[(slice(None),) * axis + (slice(rank, rank + 1),)]
    if keepdim:
        return _result(name, x, picked, axis)
    picked = picked.squeeze(axis)
    grid = list(np.indices(picked.shape, sparse=True))
    grid.insert(axis, picked)
    return named_result(name, x[tuple(grid)], function.Tensor._make(picked.astype(np.int64), None))
