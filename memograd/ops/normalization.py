"""Layer normalisation as one fused op: (x - mean) / sqrt(var + eps) * weight + bias over the
last `ndim` dims (biased variance, as PyTorch).

The composition (mean, subtract, square, mean, add, rsqrt, multiply, then the affine map)
records eight or ten nodes; the fused op keeps the normalised input x^ and 1/std, and its
backward is the closed form on arrays, with N the number of normalised elements per row:

    g^ = g * weight
    dx = (g^ - mean(g^) - x^ mean(g^ x^)) / std      dweight = sum(g x^)     dbias = sum(g)

where sums for weight and bias run over the leading (batch) dims.

On float32 NumPy arrays with Numba (memograd.loops), each direction is one compiled loop over
the rows (`_forward_rows`, `_backward_rows`), its sums accumulated in float64 in vector lanes;
otherwise NumPy does it in passes, row sums as matrix-vector products. The two agree to float32
rounding, not bit for bit (their sums are taken in different orders).
Measured in benchmarks/RESULTS.md (W6)."""
from __future__ import annotations

import math

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from .fused import graph_by_composition


class LayerNorm(Op):
    """x (..., *shape), weight and bias (*shape) or None -> the shape of x."""

    __slots__ = ("eps", "ndim")
    vjp_formula = ("(g·w − mean(g·w) − x̂ · mean(g·w·x̂)) / σ", "Σ g · x̂", "Σ g")
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, weight=None, bias=None, eps=1e-5, ndim=1):
        ctx.eps, ctx.ndim = eps, ndim
        xp = array_module(x)
        size = math.prod(x.shape[x.ndim - ndim:])
        rows = x.reshape(-1, size)
        if loops.ready(x, weight, bias):
            out, xhat, rstd = np.empty_like(rows), np.empty_like(rows), np.empty((len(rows), 1), np.float32)
            _forward_rows(np.ascontiguousarray(rows), _flat_or(weight, 1, size), _flat_or(bias, 0, size), eps,
                          out, xhat, rstd)
            ctx.save_for_backward(x, weight, bias, xhat, rstd)
            return out.reshape(x.shape)
        average = xp.full(size, 1.0 / size, dtype=x.dtype)  # row means as one matrix-vector product
        xhat = rows - (rows @ average)[:, None]
        var = (xhat * xhat) @ average
        var += eps
        rstd = (1 / xp.sqrt(var))[:, None]
        xhat *= rstd
        out = xhat * weight.reshape(-1) if weight is not None else xhat.copy()
        if bias is not None:
            out += bias.reshape(-1)
        ctx.save_for_backward(x, weight, bias, xhat, rstd)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight, _, xhat, rstd = ctx.saved
        x_edge, w_edge, b_edge = ctx.next
        xp = array_module(xhat)
        count, size = xhat.shape
        g = grad_out.reshape(count, size)
        if loops.ready(xhat, weight, ctx.saved[2]):
            grad_x, grad_w, grad_b = np.empty_like(xhat), np.zeros(size), np.zeros(size)
            _backward_rows(np.ascontiguousarray(g, dtype=np.float32), _flat_or(weight, 1, size), xhat, rstd,
                           grad_x, grad_w, grad_b)
            return (grad_x.reshape(x.shape) if x_edge is not None else None,
                    grad_w.astype(np.float32).reshape(weight.shape) if w_edge is not None else None,
                    grad_b.astype(np.float32).reshape(ctx.saved[2].shape) if b_edge is not None else None)
        # sums down the rows (weight, bias) and along them (the means) as matrix-vector products
        grad_w = grad_b = None
        if w_edge is not None:
            grad_w = (xp.ones(count, dtype=g.dtype) @ (g * xhat)).reshape(weight.shape)
        if b_edge is not None:
            grad_b = (xp.ones(count, dtype=g.dtype) @ g).reshape(ctx.saved[2].shape)
        grad_x = None
        if x_edge is not None:
            average = xp.full(size, 1.0 / size, dtype=g.dtype)
            grad_x = g * weight.reshape(-1) if weight is not None else g.copy()
            along = (grad_x * xhat) @ average
            grad_x -= (grad_x @ average)[:, None]
            grad_x -= xhat * along[:, None]
            grad_x *= rstd
            grad_x = grad_x.reshape(x.shape)
        return grad_x, grad_w, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, x, weight=None, bias=None, xhat=None, rstd=None):
        def compose(x, weight, bias):
            return composed_layer_norm(x, weight, bias, ctx.eps, ctx.ndim)

        return graph_by_composition(ctx, compose, grad_out, (x, weight, bias))

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """x's gradient: about 8 operations per element; weight's: a multiply and an add per
        element; bias's: an add per element."""
        size = math.prod(ctx.shape)
        return (8, 2, 1)[i] * size


def _flat_or(param, fill: float, size: int):
    """A weight or bias as a flat float32 array; `fill` in its place when there is none."""
    if param is None:
        return np.full(size, fill, np.float32)
    return np.ascontiguousarray(param, dtype=np.float32).reshape(-1)


@loops.loop(reorder_sums=True)
def _forward_rows(x, weight, bias, eps, out, xhat, rstd):
    rows, size = x.shape
    for r in range(rows):
        total = 0.0
        for j in range(size):
            total += x[r, j]
        mean = total / size
        squares = 0.0
        for j in range(size):
            d = x[r, j] - mean
            squares += d * d
        inv = 1.0 / np.sqrt(squares / size + eps)
        for j in range(size):
            h = np.float32((x[r, j] - mean) * inv)
            xhat[r, j] = h
            out[r, j] = h * weight[j] + bias[j]
        rstd[r, 0] = inv


@loops.loop(reorder_sums=True)
def _backward_rows(g, weight, xhat, rstd, grad_x, grad_w, grad_b):
    """grad_x per row; grad_w and grad_b (float64, zeroed) summed down the rows."""
    rows, size = g.shape
    for r in range(rows):
        along = 0.0
        along_xhat = 0.0
        for j in range(size):
            gw = g[r, j] * weight[j]
            along += gw
            along_xhat += gw * xhat[r, j]
        along /= size
        along_xhat /= size
        for j in range(size):
            gw = g[r, j] * weight[j]
            grad_x[r, j] = np.float32((gw - along - xhat[r, j] * along_xhat) * rstd[r, 0])
            grad_w[j] += g[r, j] * xhat[r, j]
            grad_b[j] += g[r, j]


def layer_norm(x, weight=None, bias=None, eps: float = 1e-5, ndim: int = 1):
    return LayerNorm.apply(x, weight, bias, eps=eps, ndim=ndim)


def composed_layer_norm(x, weight=None, bias=None, eps: float = 1e-5, ndim: int = 1):
    """The same function from ordinary ops: the graph rule differentiates it."""
    axes = tuple(range(x.ndim - ndim, x.ndim))
    centered = x - x.mean(dim=axes, keepdim=True)
    var = (centered * centered).mean(dim=axes, keepdim=True)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
