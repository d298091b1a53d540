"""Indexing: `x[index]` with ints, slices (with steps), None, Ellipsis, integer arrays
or tensors and boolean masks, and its gradient, which adds the output gradient back
into a zero tensor at the same positions (repeated positions add up)."""
from __future__ import annotations

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..autograd.placed import Placed
from ..backend import array_module
from . import workspace
from .select import where


def normalize_index(index):
    """Tensors and lists inside an index become arrays, so NumPy sees one index form."""
    from ..tensor import Tensor

    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def is_basic(index) -> bool:
    """True when `index` only has ints, slices, None and Ellipsis: the result is a view."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in parts)


def scatter_add(shape: tuple, index, values):
    xp = array_module(values)
    if isinstance(index, xp.ndarray) and index.dtype.kind in "iu" and index.size and len(shape):
        return add_rows(shape, index, values)
    out = xp.zeros(shape, dtype=values.dtype)
    if is_basic(index):
        out[index] = values  # positions are distinct: plain assignment is enough
    else:
        xp.add.at(out, index, values)
    return out


def add_rows(shape: tuple, rows, values):
    """Zeros of `shape` with values[k] added to row rows[k] (an embedding's gradient): the
    values sorted by row and summed per run of equal rows, one reduceat. np.add.at does the
    same one element at a time: 2.1 -> 1.2 ms for 700 rows of 256 into 1000 (W7), 3.0 ->
    0.8 ms for 2048 rows of 128 into 65 (W6). On float32 with Numba (memograd.loops), one loop
    adds the rows in place, in sample order: 0.94 -> 0.06 and 0.50 -> 0.04 ms."""
    xp = array_module(values)
    flat = rows.reshape(-1) % shape[0]  # negative rows count from the end, as in indexing
    if loops.ready(values):
        out = workspace.empty(shape, values.dtype)  # reused from step to step: no fresh pages
        out.fill(0)
        _add_rows_loop(flat, np.ascontiguousarray(values).reshape((flat.size, -1)), out.reshape((shape[0], -1)))
        return out
    order = xp.argsort(flat, kind="stable")
    keys = flat[order]
    starts = xp.flatnonzero(xp.concatenate(([True], keys[1:] != keys[:-1])))
    sums = xp.add.reduceat(values.reshape((flat.size,) + tuple(shape[1:]))[order], starts, axis=0)
    out = xp.zeros(shape, dtype=values.dtype)
    out[keys[starts]] = sums
    return out


@loops.loop
def _add_rows_loop(rows, values, out):
    """out[rows[k]] += values[k] for k in order (NumPy's reduceat groups each row's sum
    otherwise: the two agree to float32 rounding)."""
    for k in range(rows.size):
        row = rows[k]
        for j in range(values.shape[1]):
            out[row, j] += values[k, j]


class GetItem(Op):
    __slots__ = ("index", "in_shape")
    backward_flops_per_element = 1
    vjp_formula = ("g scattered back to the indexed places",)

    @staticmethod
    def forward(ctx, x, index):
        ctx.index = index
        ctx.in_shape = x.shape
        try:
            return x[index]
        except IndexError as err:
            raise IndexError(f"index {describe(index)} is out of range for shape {x.shape}: {err}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return scatter_add(ctx.in_shape, ctx.index, grad_out)

    @staticmethod
    def graph_backward(ctx, grad_out):
        return IndexAdd.apply(grad_out, shape=ctx.in_shape, index=ctx.index)


class View(GetItem):
    """Basic indexing: the result shares memory with the input (a 0-d view for single elements,
    as in PyTorch, where NumPy would return a copied scalar)."""

    __slots__ = ()
    backward_flops_per_element = 0  # distinct positions: the gradient is written, not added
    vjp_formula = ("reshape g back",)
    is_view = True
    places_gradient = True

    def placed_backward(self, grad_out) -> tuple:
        """backward's result left unwritten, for the engine to sum with the other pieces'."""
        self.check_versions()
        return (Placed(self.in_shape, self.index, grad_out),)

    @staticmethod
    def forward(ctx, x, index):
        out = GetItem.forward(ctx, x, index)
        if not isinstance(out, np.ndarray):
            out = x[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return out


class IndexAdd(Op):
    """zeros(shape) with `values` added at `index`: the gradient of GetItem, as an op of its
    own so that it too can be differentiated (its gradient is GetItem again)."""

    __slots__ = ("index",)
    backward_flops_per_element = 0
    vjp_formula = ("g", "g gathered at the index")

    @staticmethod
    def forward(ctx, values, shape, index):
        ctx.index = index
        return scatter_add(shape, index, values)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.index]

    @staticmethod
    def graph_backward(ctx, grad_out):
        return grad_out[ctx.index]


class IndexPut(Op):
    """`x[index] = values` with integer-array or boolean indexing, as one op: the written
    positions take their gradient from `values`, the others keep theirs."""

    __slots__ = ("index",)
    backward_flops_per_element = 1
    vjp_formula = ("g with the written places zeroed", "g gathered at the written places")

    @staticmethod
    def forward(ctx, x, values, index):
        ctx.index = index
        xp = array_module(x)
        written = xp.zeros(x.shape, dtype=bool)
        written[index] = True
        ctx.save_for_backward(written)
        out = x.copy()
        out[index] = values
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (written,) = ctx.saved
        return array_module(grad_out).where(written, 0.0, grad_out), grad_out[ctx.index]

    @staticmethod
    def graph_backward(ctx, grad_out, written):
        return where(written, 0.0, grad_out), grad_out[ctx.index]


def describe(index) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for p in parts:
        if hasattr(p, "shape") and getattr(p, "ndim", 0) > 0:
            shown.append(f"array{tuple(p.shape)}")
        else:
            shown.append(repr(p))
    return "[" + ", ".join(shown) + "]"


def getitem(x, index):
    index = normalize_index(index)
    return (View if is_basic(index) else GetItem).apply(x, index=index)
