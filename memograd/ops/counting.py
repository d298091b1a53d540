"""Counting and logic without gradients: all/any over dims, histc, histogram, bincount."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import function
from .reduce import normalize_dims


class HistogramResult(tuple):
    """(hist, bin_edges), as PyTorch's `torch.return_types.histogram`."""

    __slots__ = ()

    def __new__(cls, hist, bin_edges):
        return super().__new__(cls, (hist, bin_edges))

    hist = property(lambda self: self[0])
    bin_edges = property(lambda self: self[1])

    def __repr__(self) -> str:
        return f"torch.return_types.histogram(\nhist={self[0]!r},\nbin_edges={self[1]!r})"


def _make(array):
    return function.Tensor._make(np.asarray(array), None)


def _logic(x, dim, keepdim: bool, name: str):
    data = x._data if isinstance(x, function.Tensor) else np.asarray(x)
    axes = normalize_dims(dim, data.ndim, name) if dim is not None else None
    out = getattr(np, name)(data, axis=axes, keepdims=keepdim)
    # uint8 stays uint8 (PyTorch's rule for the old byte masks); everything else gives bool.
    return _make(np.asarray(out, dtype=np.uint8 if data.dtype == np.uint8 else bool))


def all(input, dim=None, keepdim: bool = False):  # noqa: A001, A002 - PyTorch's names
    """True where every element (along `dim`, an int or a tuple) is non-zero."""
    return _logic(input, dim, keepdim, "all")


def any(input, dim=None, keepdim: bool = False):  # noqa: A001, A002
    """True where some element (along `dim`) is non-zero."""
    return _logic(input, dim, keepdim, "any")


def _float_data(x, name: str) -> np.ndarray:
    data = x._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{data.dtype}': pass a floating tensor")
    return data


def histc(input, bins: int = 100, min: float = 0, max: float = 0):  # noqa: A001, A002
    """Counts in `bins` equal bins over [min, max] (the data's range when both are 0;
    widened by 1 each way when that range is a single value); values outside are ignored."""
    data = _float_data(input, "histogram_cpu")
    low, high = float(min), float(max)
    if low == high == 0 and data.size:
        low, high = float(data.min()), float(data.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError(f"torch.histc: max must be larger than min (got min={min}, max={max})")
    if not (np.isfinite(low) and np.isfinite(high)):
        raise RuntimeError(f"torch.histc: range of [{low}, {high}] is not finite")
    counts, _ = np.histogram(data, bins=bins, range=(low, high))
    return _make(counts.astype(data.dtype))


def histogram(input, bins=100, *, range=None, weight=None, density: bool = False):  # noqa: A002
    """(hist, bin_edges): `bins` equal bins over `range` (the data's range by default), or
    the given edges as a tensor; optionally weighted, or normalized to a density."""
    data = _float_data(input, "histogramdd")
    edges = bins._data if isinstance(bins, function.Tensor) else int(bins)
    weights = None if weight is None else (weight._data if isinstance(weight, function.Tensor) else np.asarray(weight))
    counts, found = np.histogram(data, bins=edges, range=range, weights=weights, density=density)
    return HistogramResult(_make(counts.astype(data.dtype)), _make(found.astype(data.dtype)))


def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    """How often each non-negative integer occurs in a 1-D int tensor (weighted: summed weights)."""
    data = input._data
    if data.ndim != 1 or data.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if data.size and data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else (weights._data if isinstance(weights, function.Tensor) else np.asarray(weights))
    counts = np.bincount(data, weights=w, minlength=minlength)
    if w is None:
        return _make(counts.astype(dtypes.int64))
    return _make(counts.astype(w.dtype if w.dtype.kind == "f" else np.float64))
