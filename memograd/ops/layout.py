"""Rearranging elements, built from the differentiable shape and indexing ops (so their
gradients, of every order, come from those): flip, roll, narrow, t, the NumPy-style
stackers (hstack vstack dstack column_stack, atleast_Nd), meshgrid, tril/triu, outer."""
from __future__ import annotations

import numpy as np

from . import select, shape
from .reduce import normalize_dims


def _dims(dims, ndim: int, op: str) -> tuple:
    if isinstance(dims, int):
        dims = (dims,)
    return normalize_dims(tuple(dims), ndim, op)


def flip(input, *dims):  # noqa: A002 - PyTorch's names
    """A copy with the order of elements reversed along each of `dims` (as PyTorch, a copy,
    not a view). `flip(x, (0, 1))`, or as a method `x.flip(0, 1)`."""
    dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    axes = _dims(dims, input.ndim, "flip")
    index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(input.ndim))
    return input[index].clone() if axes else input.clone()


def fliplr(input):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):  # noqa: A002
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def roll(input, shifts, dims=None):  # noqa: A002
    """Elements shifted along `dims` by `shifts`, those pushed off one end coming back at
    the other; with no dims, over the flattened tensor (its shape kept)."""
    if dims is None:
        if not isinstance(shifts, int) and len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {tuple(shifts)} given without dims: give one shift or the dims")
        return roll(input.reshape(-1), shifts, 0).reshape(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for shift, dim in zip(shifts, dims):
        axis = normalize_dims(dim, input.ndim, "roll")[0]
        n = input.shape[axis]
        if n == 0 or shift % n == 0:
            continue
        cut = n - shift % n
        lead = (slice(None),) * axis
        out = shape.cat([out[lead + (slice(cut, None),)], out[lead + (slice(0, cut),)]], dim=axis)
    return out if out is not input else input.clone()


def narrow(input, dim: int, start: int, length: int):  # noqa: A002
    """input[..., start:start + length, ...] along `dim`: a view (shares memory)."""
    if input.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = normalize_dims(dim, input.ndim, "narrow")[0]
    n = input.shape[axis]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if start + length > n or length < 0:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * axis + (slice(start, start + length),)]


def t(input):  # noqa: A002
    """Transpose of a matrix; a vector or a number comes back as it is."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return shape.transpose(input, 0, 1) if input.ndim == 2 else input


# ---- stacking ------------------------------------------------------------------------------


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def _atleast(tensors, n: int):
    many = len(tensors) != 1 or isinstance(tensors[0], (list, tuple))
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = [_raised(x, n) for x in items]
    return tuple(out) if many else out[0]


def _raised(x, n: int):
    """NumPy's placement of the new axes: () -> (1,) -> (1, k) -> (1, k, 1); (a, b) -> (a, b, 1)."""
    if x.ndim >= n:
        return x
    if x.ndim == 0:
        return x.reshape((1,) * n)
    if x.ndim == 1:
        return x.reshape((1, x.shape[0]) + (1,) * (n - 2))
    return x.reshape(x.shape + (1,) * (n - x.ndim))


def hstack(tensors):
    tensors = atleast_1d(list(tensors))
    return shape.cat(tensors, dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return shape.cat(atleast_2d(list(tensors)), dim=0)


row_stack = vstack


def dstack(tensors):
    return shape.cat(atleast_3d(list(tensors)), dim=2)


def column_stack(tensors):
    """Vectors become columns, matrices are joined as they are: cat along dim 1."""
    columns = [x.reshape(x.numel(), 1) if x.ndim <= 1 else x for x in tensors]
    return shape.cat(columns, dim=1)


def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors: 'ij' (PyTorch's default) gives shape
    (len(t0), len(t1), ...); 'xy' swaps the first two, as NumPy's default."""
    tensors = tuple(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    indexing = "ij" if indexing is None else indexing
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for x in tensors:
        if x.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {x.ndim}D")
    sizes = tuple(x.numel() for x in tensors)
    grids = []
    for i, x in enumerate(tensors):
        lined = (1,) * i + (sizes[i],) + (1,) * (len(tensors) - i - 1)
        grids.append(shape.expand(x.reshape(lined), sizes))
    if indexing == "xy" and len(tensors) >= 2:  # the 'ij' grids with the first two axes swapped
        grids = [shape.transpose(g, 0, 1) for g in grids]
    return tuple(grids)


# ---- triangles and outer products ------------------------------------------------------------


def _triangle(input, diagonal: int, lower: bool, name: str):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2:]
    keep = (np.tri(rows, cols, diagonal, dtype=bool) if lower else ~np.tri(rows, cols, diagonal - 1, dtype=bool))
    # where(), not a product with the mask: inf and nan outside the triangle become 0 too.
    zero = np.zeros((), dtype=input.dtype)
    return select.where(keep, input, zero)


def tril(input, diagonal: int = 0):  # noqa: A002
    """The lower triangle of the last two dims: elements on and below the `diagonal`-th
    diagonal (0 the main one, positive above it), zeros elsewhere."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal: int = 0):  # noqa: A002
    """The upper triangle: elements on and above the `diagonal`-th diagonal."""
    return _triangle(input, diagonal, False, "triu")


def outer(input, vec2):  # noqa: A002
    """out[i, j] = input[i] * vec2[j]."""
    for name, v in (("input", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: expected 1-D tensors, got {name} with {v.ndim} dimensions")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer
