"""Running sums and products along a dimension (cumsum, cumprod) and differences (diff).

The rules use slicing and `.cumsum(axis)`, which arrays and tensors both have, so they
run on arrays in plain backprop and record a graph under `create_graph=True`."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import function
from ..autograd.function import Op
from ..backend import array_module, quiet
from .reduce import normalize_dims


def _reversed(axis: int) -> tuple:
    """An index that reverses one axis (a view, for arrays and tensors alike)."""
    return (slice(None),) * axis + (slice(None, None, -1),)


def reverse_cumsum(grad, axis: int):
    """sum over j >= i of grad[j]: the transpose of a running sum."""
    back = _reversed(axis)
    return grad[back].cumsum(axis)[back]


class Cumsum(Op):
    __slots__ = ("axis",)
    backward_flops_per_element = 1
    vjp_formula = ("reversed cumulative sum of g",)

    @staticmethod
    def forward(ctx, x, dim):
        (ctx.axis,) = normalize_dims(dim, x.ndim, "cumsum") or (0,)
        return array_module(x).cumsum(x, axis=ctx.axis) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx, grad_out):
        return reverse_cumsum(grad_out, ctx.axis) if grad_out.ndim else grad_out


class Cumprod(Op):
    """d out_j / d x_k = out_j / x_k for k <= j when x has no zeros, so the gradient is
    reverse_cumsum(grad * out) / x. Where a row holds zeros that division is undefined; in
    plain backprop such rows are done exactly (`_rows_with_zeros`), under create_graph the
    formula is used as is (as for prod)."""

    __slots__ = ("axis",)
    backward_flops_per_element = 4
    vjp_formula = ("reversed cumulative sum of g · y, over a",)
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim):
        (ctx.axis,) = normalize_dims(dim, x.ndim, "cumprod") or (0,)
        out = array_module(x).cumprod(x, axis=ctx.axis) if x.ndim else x.copy()
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        if x.ndim == 0:
            return grad_out
        with quiet():
            grad = reverse_cumsum(grad_out * out, ctx.axis) / x
        if isinstance(x, np.ndarray) and not x.all():
            grad = _rows_with_zeros(grad, grad_out, x, out, ctx.axis)
        return grad


def _rows_with_zeros(grad, grad_out, x, out, axis):
    """Fix the rows of `grad` that contain a zero of x. With z the first zero of a row:
    before z the formula holds; at z the gradient is out[z-1] * sum_{j>=z} g_j prod_{z<i<=j} x_i;
    after z it is 0 (every product through k also runs through the zero at z)."""
    g = np.moveaxis(np.array(grad), axis, -1)
    gx, go, xo, oo = (np.moveaxis(a, axis, -1) for a in (grad, grad_out, x, out))
    for index in zip(*np.nonzero((xo == 0).any(axis=-1))):
        row_x, row_g, row_out = xo[index], go[index], oo[index]
        z = int(np.argmax(row_x == 0))
        after = np.cumprod(np.concatenate([[1.0], row_x[z + 1:]]))  # prod_{z<i<=j} x_i, j = z..n-1
        fixed = np.array(gx[index])
        fixed[z] = (row_out[z - 1] if z else 1.0) * np.sum(row_g[z:] * after)
        fixed[z + 1:] = 0.0
        g[index] = fixed
    return np.moveaxis(g, -1, axis)


# ---- functions ---------------------------------------------------------------------------


def _accumulating(x, dtype):
    """The input to run in: `dtype` if given, else integers and bools as int64 (PyTorch's)."""
    if dtype is not None:
        return x.to(dtype)
    if x._data.dtype.kind in "biu" and x._data.dtype != dtypes.int64:
        return x.to(dtypes.int64)
    return x


def cumsum(input, dim: int, *, dtype=None):  # noqa: A002 - PyTorch's names
    """Running sum along `dim`: out[i] = x[0] + ... + x[i].

    >>> memograd.cumsum(memograd.tensor([1, 2, 3]), 0)
    tensor([1, 3, 6])
    """
    return Cumsum.apply(_accumulating(input, dtype), dim=dim)


def cumprod(input, dim: int, *, dtype=None):  # noqa: A002
    """Running product along `dim`: out[i] = x[0] * ... * x[i]."""
    return Cumprod.apply(_accumulating(input, dtype), dim=dim)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):  # noqa: A002
    """The n-th forward difference along `dim`: out[i] = x[i + 1] - x[i], applied n times,
    after `prepend` and `append` are joined on (booleans give x[i + 1] != x[i])."""
    from .shape import cat

    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    axis = normalize_dims(dim, input.ndim, "diff")[0]
    parts = [p if isinstance(p, function.Tensor) else None for p in (prepend, append)]
    for given, made in zip((prepend, append), parts):
        if given is not None and made is None:
            raise TypeError(f"diff: prepend and append must be tensors, got {type(given).__name__}")
    x = cat([t for t in (parts[0], input, parts[1]) if t is not None], dim=axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
        x = later != earlier if x.dtype == dtypes.bool_ else later - earlier
    return x
