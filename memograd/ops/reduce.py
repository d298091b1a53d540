"""Reductions over `dim` (an int, a tuple, negative counts from the end, None for all)
with `keepdim`. A reduction's gradient is the output gradient with the reduced axes put
back (`Reduction.spread`) and broadcast over the input, times the local derivative."""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module
from .select import where


def normalize_dims(dim, ndim: int, op: str) -> tuple:
    """`dim` as a sorted tuple of non-negative axes, with a clear error when out of range."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor with {ndim} dimensions")
        out.append(d % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: dim {dim} repeats an axis")
    return tuple(sorted(out)) if ndim else ()


class Reduction(Op):
    """Common state of the reductions: which axes, keepdim, and the input's shape."""

    __slots__ = ("axes", "keepdim", "in_shape")

    def setup(ctx, x, dim, keepdim: bool, op: str) -> tuple:
        ctx.axes = normalize_dims(dim, x.ndim, op)
        ctx.keepdim = keepdim
        ctx.in_shape = x.shape
        return ctx.axes

    def spread(ctx, grad_out):
        """The output gradient (or output) with the reduced axes put back as size 1: a reshape,
        the same call on an array and on a tensor, so both kinds of rule use it."""
        if ctx.keepdim:
            return grad_out
        shape = list(grad_out.shape)
        for axis in ctx.axes:  # sorted, so each lands where it was
            shape.insert(axis, 1)
        return grad_out.reshape(tuple(shape))

    def count(ctx) -> int:
        """How many elements each output reduces (at least 1: an empty group has no element
        for a gradient to reach, so any finite scale is right, and 1/0 must not raise)."""
        return max(math.prod(ctx.in_shape[a] for a in ctx.axes), 1)

    def shaped(ctx, out_kept):
        """A result computed with keepdims=True, in the shape the op returns. Ops that save
        their output save this very array, so that under create_graph it comes back as the
        output tensor and its own dependence on the input is differentiated too."""
        if ctx.keepdim:
            return out_kept
        return out_kept.reshape(tuple(n for i, n in enumerate(ctx.in_shape) if i not in ctx.axes))


def broadcast_back(grad, shape: tuple):
    """`grad` broadcast over the input's `shape` (a read-only view); as it is when it already
    has that shape, so that it stays writable and `.grad` can keep it without a copy."""
    return grad if grad.shape == shape else array_module(grad).broadcast_to(grad, shape)


class Sum(Reduction):
    __slots__ = ()
    backward_flops_per_element = 0
    vjp_formula = ("g spread over the summed axes",)

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "sum")
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_out):
        return broadcast_back(ctx.spread(grad_out), ctx.in_shape)

    @staticmethod
    def graph_backward(ctx, grad_out):
        return ctx.spread(grad_out).expand(*ctx.in_shape)


class Mean(Reduction):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g / N spread over the averaged axes",)

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "mean")
        return x.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_out):
        return broadcast_back(ctx.spread(grad_out) * (1.0 / ctx.count()), ctx.in_shape)

    @staticmethod
    def graph_backward(ctx, grad_out):
        return (ctx.spread(grad_out) * (1.0 / ctx.count())).expand(*ctx.in_shape)


class Prod(Reduction):
    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g · y / a",)
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "prod")
        out = ctx.shaped(x.prod(axis=axes, keepdims=True))
        ctx.save_for_backward(x, others_product(x, axes), out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        _x, others, _out = ctx.saved
        return ctx.spread(grad_out) * others

    @staticmethod
    def graph_backward(ctx, grad_out, x, others, out):
        return ctx.spread(grad_out) * ctx.spread(out) / x  # exact wherever x has no zeros


def others_product(x, axes: tuple):
    """For each element, the product of all the others in its reduction group: the
    derivative of prod, correct even where x has zeros (so no division)."""
    xp = array_module(x)
    if x.size == 0:  # nothing to differentiate (and the cumulative products below need an element)
        return xp.ones_like(x)
    moved = xp.moveaxis(x, axes, tuple(range(-len(axes), 0)))
    flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
    ones = xp.ones(flat.shape[:-1] + (1,), dtype=x.dtype)
    before = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = xp.flip(xp.cumprod(xp.flip(xp.concatenate([flat[..., 1:], ones], axis=-1), -1), axis=-1), -1)
    result = (before * after).reshape(moved.shape)
    return xp.moveaxis(result, tuple(range(-len(axes), 0)), axes)


class Extreme(Reduction):
    """amax/amin: the gradient is shared evenly among the elements equal to the extreme."""

    __slots__ = ()
    backward_flops_per_element = 1
    pick = "max"

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "a" + ctx.pick)
        empty = [a for a in axes if x.shape[a] == 0]
        if empty or (x.size == 0 and not axes):  # PyTorch's errors: an extreme of nothing is undefined
            if dim is None or not axes:
                raise RuntimeError(f"a{ctx.pick}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            raise IndexError(f"a{ctx.pick}(): Expected reduction dim {empty[0]} to have non-zero size.")
        out = getattr(x, ctx.pick)(axis=axes, keepdims=True)
        hits = x == out
        ctx.save_for_backward((hits / hits.sum(axis=axes, keepdims=True)).astype(x.dtype))
        return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))

    @staticmethod
    def backward(ctx, grad_out):
        (share,) = ctx.saved
        return ctx.spread(grad_out) * share

    @staticmethod
    def graph_backward(ctx, grad_out, share):
        return ctx.spread(grad_out) * share


class Amax(Extreme):
    __slots__ = ()
    vjp_formula = ("g to the maximum (shared by ties)",)
    pick = "max"


class Amin(Extreme):
    __slots__ = ()
    vjp_formula = ("g to the minimum (shared by ties)",)
    pick = "min"


class SelectAlong(Reduction):
    """max(dim)/min(dim) values: the gradient goes to the one element that was picked."""

    __slots__ = ()
    backward_flops_per_element = 1
    vjp_formula = ("g to the selected positions",)

    @staticmethod
    def forward(ctx, x, indices, dim, keepdim=False):
        (axis,) = ctx.setup(x, dim, keepdim, "max")
        xp = array_module(x)
        idx = xp.expand_dims(indices, axis)
        out = xp.take_along_axis(x, idx, axis=axis)
        picked = xp.zeros(x.shape, dtype=bool)
        xp.put_along_axis(picked, idx, True, axis=axis)
        ctx.save_for_backward(picked)
        return out if keepdim else out.squeeze(axis)

    @staticmethod
    def backward(ctx, grad_out):
        (picked,) = ctx.saved
        return ctx.spread(grad_out) * picked

    @staticmethod
    def graph_backward(ctx, grad_out, picked):
        return ctx.spread(grad_out) * picked


class Var(Reduction):
    """Variance with `correction` (1: unbiased, PyTorch's default; 0: population)."""

    __slots__ = ("correction",)
    backward_flops_per_element = 4  # x - mean (a sum and a subtract), times grad and the constant
    vjp_formula = ("g · 2(a − mean) / (N − correction)",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "var")
        ctx.correction = correction
        ctx.save_for_backward(x)
        return x.var(axis=axes, ddof=correction, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        centered = x - x.mean(axis=ctx.axes, keepdims=True)
        return ctx.spread(grad_out) * centered * (2.0 / (ctx.count() - ctx.correction))

    @staticmethod
    def graph_backward(ctx, grad_out, x):
        centered = x - x.mean(ctx.axes, keepdim=True)
        return ctx.spread(grad_out) * centered * (2.0 / (ctx.count() - ctx.correction))


class Std(Reduction):
    __slots__ = ("correction",)
    backward_flops_per_element = 5  # as Var, and a divide by the output
    vjp_formula = ("g · (a − mean) / ((N − correction) · y)",)
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "std")
        ctx.correction = correction
        out = ctx.shaped(x.std(axis=axes, ddof=correction, keepdims=True))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        centered = x - x.mean(axis=ctx.axes, keepdims=True)
        return ctx.spread(grad_out) * centered / (ctx.spread(out) * (ctx.count() - ctx.correction))

    @staticmethod
    def graph_backward(ctx, grad_out, x, out):
        centered = x - x.mean(ctx.axes, keepdim=True)
        return ctx.spread(grad_out) * centered / (ctx.spread(out) * (ctx.count() - ctx.correction))


class LogSumExp(Reduction):
    __slots__ = ()
    backward_flops_per_element = 3
    vjp_formula = ("g · softmax(a)",)
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, x, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "logsumexp")
        xp = array_module(x)
        top = x.max(axis=axes, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        top = xp.where(xp.isfinite(top), top, 0)  # all -inf rows: avoid inf - inf
        out = ctx.shaped(xp.log(xp.exp(x - top).sum(axis=axes, keepdims=True)) + top)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        return ctx.spread(grad_out) * array_module(x).exp(x - ctx.spread(out))

    @staticmethod
    def graph_backward(ctx, grad_out, x, out):
        return ctx.spread(grad_out) * (x - ctx.spread(out)).exp()


class Norm(Reduction):
    """Vector p-norm over `dim` (all elements when None): p = 2 (default), 1, inf, or any p > 0."""

    __slots__ = ("p",)
    backward_flops_per_element = 2  # the 2-norm's grad * x / out
    vjp_formula = ("g · a / y",)
    saves_inputs = True
    saves_output = True

    @staticmethod
    def forward(ctx, x, p=2, dim=None, keepdim=False):
        axes = ctx.setup(x, dim, keepdim, "norm")
        xp = array_module(x)
        ctx.p = float(p) if p not in ("fro",) else 2.0
        magnitude = xp.abs(x)
        if ctx.p == math.inf:
            out = magnitude.max(axis=axes, keepdims=True)
        elif ctx.p == 2.0:
            out = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            out = (magnitude**ctx.p).sum(axis=axes, keepdims=True) ** (1.0 / ctx.p)
        out = ctx.shaped(out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, out = ctx.saved
        xp = array_module(x)
        grad = ctx.spread(grad_out)
        out = ctx.spread(out)
        safe_out = xp.where(out == 0, 1.0, out)  # the norm's subgradient at 0 is taken as 0
        if ctx.p == math.inf:
            hits = xp.abs(x) == out
            return grad * xp.sign(x) * hits / hits.sum(axis=ctx.axes, keepdims=True)
        if ctx.p == 2.0:
            return grad * x / safe_out
        if ctx.p == 1.0:
            return grad * xp.sign(x)
        return grad * xp.sign(x) * xp.abs(x) ** (ctx.p - 1) / safe_out ** (ctx.p - 1)

    @staticmethod
    def graph_backward(ctx, grad_out, x, out):
        grad = ctx.spread(grad_out)
        out = ctx.spread(out)
        safe_out = where(out == 0, 1.0, out)
        if ctx.p == math.inf:
            hits = x.abs() == out  # a comparison: no gradient flows through it
            return grad * x.sign() * hits / hits.sum(ctx.axes, keepdim=True)
        if ctx.p == 2.0:
            return grad * x / safe_out
        if ctx.p == 1.0:
            return grad * x.sign()
        return grad * x.sign() * x.abs() ** (ctx.p - 1) / safe_out ** (ctx.p - 1)


# ---- functions ---------------------------------------------------------------------------


def sum(x, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return Sum.apply(x, dim=dim, keepdim=keepdim)


def mean(x, dim=None, keepdim=False):
    return Mean.apply(x, dim=dim, keepdim=keepdim)


def prod(x, dim=None, keepdim=False):
    return Prod.apply(x, dim=dim, keepdim=keepdim)


def amax(x, dim=None, keepdim=False):
    return Amax.apply(x, dim=dim, keepdim=keepdim)


def amin(x, dim=None, keepdim=False):
    return Amin.apply(x, dim=dim, keepdim=keepdim)


def var(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return Var.apply(x, dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim)


def std(x, dim=None, unbiased=None, keepdim=False, correction=None):
    return Std.apply(x, dim=dim, correction=_correction(unbiased, correction), keepdim=keepdim)


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


def logsumexp(x, dim=None, keepdim=False):
    return LogSumExp.apply(x, dim=dim, keepdim=keepdim)


def norm(x, p=2, dim=None, keepdim=False):
    return Norm.apply(x, p=p, dim=dim, keepdim=keepdim)
