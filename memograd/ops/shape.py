"""Ops that move elements without changing them: reshape, permute, expand, repeat,
concatenation, stacking and padding. Their gradients move the elements back."""
from __future__ import annotations

import math

from ..autograd.function import Op
from ..backend import array_module
from . import dual


class Reshape(Op):
    """reshape/view/flatten/squeeze/unsqueeze all come down to this one op."""

    __slots__ = ("in_shape",)
    backward_flops_per_element = 0
    vjp_formula = ("reshape g back",)
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out.reshape(ctx.in_shape)


class Permute(Op):
    __slots__ = ("axes",)
    backward_flops_per_element = 0
    vjp_formula = ("inverse permutation of g",)
    is_view = True

    @staticmethod
    def forward(ctx, x, axes):
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"permute: {tuple(axes)} is not a permutation of the {x.ndim} dimensions")
        ctx.axes = tuple(a % x.ndim for a in axes)
        return x.transpose(ctx.axes)

    @staticmethod
    def backward(ctx, grad_out):
        inverse = [0] * len(ctx.axes)
        for i, a in enumerate(ctx.axes):
            inverse[a] = i
        return dual.permute(grad_out, tuple(inverse))


class Expand(Op):
    """A broadcast view; its gradient sums over the broadcast axes (done by the engine)."""

    __slots__ = ()
    backward_flops_per_element = 1  # the engine's sum over the broadcast axes
    vjp_formula = ("sum g over the expanded axes",)
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        return array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


class Repeat(Op):
    """Tile `repeats` times along each axis (PyTorch's `repeat`, NumPy's `tile`)."""

    __slots__ = ("in_shape", "repeats")
    backward_flops_per_element = 1
    vjp_formula = ("sum g over the copies",)

    @staticmethod
    def forward(ctx, x, repeats):
        if len(repeats) < x.ndim:
            raise ValueError(f"repeat: {len(repeats)} repeats given for a tensor with {x.ndim} dimensions")
        ctx.in_shape = (1,) * (len(repeats) - x.ndim) + x.shape
        ctx.repeats = tuple(repeats)
        return array_module(x).tile(x, repeats)

    @staticmethod
    def backward(ctx, grad_out):
        # View the output as (r0, s0, r1, s1, ...) and sum over the repeat axes.
        split = []
        for r, s in zip(ctx.repeats, ctx.in_shape):
            split += [r, s]
        grad = grad_out.reshape(tuple(split)).sum(axis=tuple(range(0, len(split), 2)))
        return grad


class Cat(Op):
    __slots__ = ("axis", "sizes")
    backward_flops_per_element = 0
    vjp_formula = ("g[piece {i}]",)

    @staticmethod
    def forward(ctx, *xs, dim=0):
        if not xs:
            raise ValueError("cat: expected a non-empty list of tensors")
        ndim = xs[0].ndim
        if ndim == 0:
            raise ValueError("cat: zero-dimensional tensors cannot be concatenated")
        ctx.axis = dim % ndim
        ctx.sizes = [x.shape[ctx.axis] for x in xs]
        return array_module(xs[0]).concatenate(xs, axis=ctx.axis)

    @staticmethod
    def backward(ctx, grad_out):
        grads = []
        start = 0
        lead = (slice(None),) * ctx.axis
        for size in ctx.sizes:
            grads.append(grad_out[lead + (slice(start, start + size),)])
            start += size
        return tuple(grads)


class Stack(Op):
    __slots__ = ("axis", "count")
    backward_flops_per_element = 0
    vjp_formula = ("g[{i}]",)

    @staticmethod
    def forward(ctx, *xs, dim=0):
        if not xs:
            raise ValueError("stack: expected a non-empty list of tensors")
        ctx.axis = dim % (xs[0].ndim + 1)
        ctx.count = len(xs)
        return array_module(xs[0]).stack(xs, axis=ctx.axis)

    @staticmethod
    def backward(ctx, grad_out):
        lead = (slice(None),) * ctx.axis
        return tuple(grad_out[lead + (i,)] for i in range(ctx.count))


class Pad(Op):
    """Constant padding with PyTorch's `pad` order: (left, right) of the last axis first."""

    __slots__ = ("inner",)
    backward_flops_per_element = 0
    vjp_formula = ("g without the padding",)

    @staticmethod
    def forward(ctx, x, pad, value=0.0):
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: {tuple(pad)} must hold (before, after) pairs for at most {x.ndim} dimensions")
        if any(p < 0 for p in pad):
            raise ValueError(f"pad: negative padding {tuple(pad)} is not supported")
        widths = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        ctx.inner = tuple(slice(before, before + n) for (before, _), n in zip(widths, x.shape))
        return array_module(x).pad(x, widths, constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out[ctx.inner]


# ---- functions ---------------------------------------------------------------------------


def reshape(x, *shape):
    shape = _shape_arg(shape)
    return Reshape.apply(x, shape=infer_shape(shape, x.shape, "reshape"))


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def infer_shape(shape: tuple, old: tuple, op: str) -> tuple:
    """Resolve one -1 and check the element count, with an error naming both shapes."""
    size = math.prod(old)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1:
        raise ValueError(f"{op}: only one dimension can be -1, got {shape}")
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(f"{op}: shape {shape} is invalid for input of shape {old} ({size} elements)")
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif known != size:
        raise ValueError(f"{op}: shape {shape} is invalid for input of shape {old} ({size} elements)")
    return shape


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    shape = x.shape
    if not shape:
        return reshape(x, (1,))
    start, end = start_dim % len(shape), end_dim % len(shape)
    return reshape(x, shape[:start] + (math.prod(shape[start : end + 1]),) + shape[end + 1 :])


def squeeze(x, dim=None):
    shape = x.shape
    if dim is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    dims = {d % max(len(shape), 1) for d in ((dim,) if isinstance(dim, int) else dim)}
    return reshape(x, tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))


def unsqueeze(x, dim: int):
    shape = list(x.shape)
    if not -len(shape) - 1 <= dim <= len(shape):
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a tensor with {len(shape)} dimensions")
    shape.insert(dim % (len(shape) + 1), 1)
    return reshape(x, tuple(shape))


def permute(x, *dims):
    return Permute.apply(x, axes=_shape_arg(dims))


def transpose(x, dim0: int, dim1: int):
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return Permute.apply(x, axes=tuple(axes))


def expand(x, *sizes):
    sizes = _shape_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: cannot expand shape {x.shape} to {sizes} (fewer dimensions)")
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return Expand.apply(x, shape=shape)


def repeat(x, *repeats):
    return Repeat.apply(x, repeats=_shape_arg(repeats))


def cat(tensors, dim: int = 0):
    return Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0):
    return Stack.apply(*tensors, dim=dim)


def pad(x, pad, mode: str = "constant", value: float = 0.0):
    if mode != "constant":
        raise NotImplementedError(f"pad: mode {mode!r} is not supported (only 'constant')")
    return Pad.apply(x, pad=tuple(pad), value=value)


def split(x, split_size_or_sections, dim: int = 0) -> tuple:
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the given sizes."""
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, n - start) for start in range(0, n, step)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not add up to the size {n} of dim {dim}")
    lead = (slice(None),) * (dim % x.ndim)
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[lead + (slice(start, start + size),)])
        start += size
    return several_views(tuple(pieces))


def several_views(pieces: tuple) -> tuple:
    """Mark the outputs of split/chunk/unbind: PyTorch refuses to change them in place while
    recording (their gradients are gathered by one node)."""
    for piece in pieces:
        if piece._view is not None:
            piece._view.multi = True
    return pieces


def chunk(x, chunks: int, dim: int = 0) -> tuple:
    n = x.shape[dim]
    return split(x, -(-n // chunks) if n else 1, dim)
