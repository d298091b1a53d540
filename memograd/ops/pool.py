"""2-D max and average pooling over strided window views (see `conv.windows`).

Average pooling is a window *sum* times a constant, and the window sum and its adjoint
(spreading each output back over its window) are each other's gradients, so that pair is
closed under differentiation. Max pooling routes each output gradient to the one input
that won; its graph rule does that routing with IndexAdd, itself differentiable."""
from __future__ import annotations

import math

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from .conv import Geometry, out_shape, pad2d, spread_windows, windows
from .indexing import IndexAdd

# ---- average pooling ---------------------------------------------------------------------


class WindowSum(Op):
    """(N, C, H, W) -> (N, C, OH, OW): the sum of each kernel window."""

    __slots__ = ("geo", "in_shape", "kernel")
    vjp_formula = ("g spread over each window",)

    @staticmethod
    def forward(ctx, x, kernel=None, geo=None):
        ctx.kernel, ctx.geo, ctx.in_shape = kernel, geo, x.shape
        return window_sum_array(x, kernel, geo)

    @staticmethod
    def backward(ctx, grad_out):
        return window_spread_array(grad_out, ctx.kernel, ctx.geo, ctx.in_shape)

    @staticmethod
    def graph_backward(ctx, grad_out):
        return WindowSpread.apply(grad_out, kernel=ctx.kernel, geo=ctx.geo, in_shape=tuple(ctx.in_shape))

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Each output's gradient is added to every pixel of its window."""
        return math.prod(ctx.shape) * math.prod(ctx.kernel)


class WindowSpread(Op):
    """The adjoint of WindowSum: every input pixel gets the sum of the outputs whose window covers it."""

    __slots__ = ("geo", "kernel")
    vjp_formula = ("Σ g over each window",)

    @staticmethod
    def forward(ctx, g, kernel=None, geo=None, in_shape=None):
        ctx.kernel, ctx.geo = kernel, geo
        return window_spread_array(g, kernel, geo, in_shape)

    @staticmethod
    def backward(ctx, grad_out):
        return window_sum_array(grad_out, ctx.kernel, ctx.geo)

    @staticmethod
    def graph_backward(ctx, grad_out):
        return WindowSum.apply(grad_out, kernel=ctx.kernel, geo=ctx.geo)

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """A window sum of the gradient: KH*KW adds per element of the pooled input g."""
        return math.prod(ctx.next[i].shape) * math.prod(ctx.kernel)


def window_sum_array(x, kernel, geo):
    return windows(pad2d(x, geo.pads), kernel, geo, out_shape(x.shape[2:], kernel, geo)).sum(axis=(4, 5))


def window_spread_array(g, kernel, geo, in_shape):
    xp = array_module(g)
    cols = xp.broadcast_to(g[:, :, :, :, None, None], g.shape + tuple(kernel))
    return spread_windows(cols, in_shape, geo)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override=None):
    """Mean of each window, as `torch.nn.functional.avg_pool2d`."""
    from .conv import pair

    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported")
    kernel = pair(kernel_size, "kernel_size")
    ph, pw = pair(padding, "padding")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"avg_pool2d: padding {(ph, pw)} should be at most half of the kernel {kernel}")
    geo = Geometry((pair(stride if stride is not None else kernel, "stride"), (ph, ph, pw, pw), (1, 1)))
    sums = WindowSum.apply(x, kernel=kernel, geo=geo)
    if divisor_override is not None:
        divisor = float(divisor_override)
    elif count_include_pad or not (ph or pw):
        divisor = float(kernel[0] * kernel[1])
    else:  # count only the real pixels of each window: pool a map of ones
        xp = array_module(sums._data)
        ones = xp.ones((1, 1) + tuple(x.shape[2:]), dtype=sums.dtype)
        divisor = window_sum_array(ones, kernel, geo)[0, 0]
    return sums * (1.0 / divisor)


# ---- max pooling -------------------------------------------------------------------------


class MaxPool2d(Op):
    """(N, C, H, W) -> (N, C, OH, OW): the max of each window. At ties the first wins."""

    __slots__ = ("geo", "in_shape", "kernel", "out_hw")
    backward_flops_per_element = 2  # a compare and a multiply per window position (the tiled rule)
    vjp_formula = ("g to each window's maximum",)

    @staticmethod
    def forward(ctx, x, kernel=None, geo=None, out_hw=None):
        ctx.kernel, ctx.geo, ctx.in_shape, ctx.out_hw = kernel, geo, x.shape, out_hw
        if tiles(x.shape, kernel, geo, out_hw) and _loop_fits(x):  # one pass, channels last
            n, c = x.shape[:2]
            out = np.empty((n,) + tuple(out_hw) + (c,), x.dtype)
            arg = np.empty(out.shape, np.int8)
            _tiled_max_loop(x.transpose(0, 2, 3, 1), out, arg, kernel[0], kernel[1])
            out, arg = out.transpose(0, 3, 1, 2), arg.transpose(0, 3, 1, 2)
            ctx.save_for_backward(arg)
            return out
        if tiles(x.shape, kernel, geo, out_hw):
            swap = channels_outermost(x)
            out, arg = tiled_max(x.transpose(1, 0, 2, 3) if swap else x, kernel, out_hw)
            if not array_module(out).isnan(out).any():  # NaN: argmax below picks the first one
                if swap:
                    out, arg = out.transpose(1, 0, 2, 3), arg.transpose(1, 0, 2, 3)
                ctx.save_for_backward(arg)
                return out
        fill = -float("inf") if x.dtype.kind == "f" else array_module(x).iinfo(x.dtype).min
        cols = windows(pad2d(x, geo.pads, fill), kernel, geo, out_hw)
        flat = cols.reshape(cols.shape[:4] + (-1,))  # one copy: (N, C, OH, OW, KH*KW)
        arg = flat.argmax(axis=-1)
        ctx.save_for_backward(arg)
        return array_module(x).take_along_axis(flat, arg[..., None], axis=-1)[..., 0]

    @staticmethod
    def backward(ctx, grad_out):
        (arg,) = ctx.saved
        if tiles(ctx.in_shape, ctx.kernel, ctx.geo, ctx.out_hw) and _loop_fits(arg, np.int8) and loops.ready(grad_out):
            n, c, h, w = ctx.in_shape
            grad_in = np.zeros((n, h, w, c), grad_out.dtype)
            rows = np.ascontiguousarray(grad_out.transpose(0, 2, 3, 1))  # channels innermost, as arg
            _tiled_max_grad_loop(rows, arg.transpose(0, 2, 3, 1), grad_in, *ctx.kernel)
            return grad_in.transpose(0, 3, 1, 2)
        if tiles(ctx.in_shape, ctx.kernel, ctx.geo, ctx.out_hw):
            grad_out, grad_in = in_memory_order_of(arg, grad_out, ctx.in_shape)
            for k, tile in enumerate(tile_views(grad_in, ctx.kernel, ctx.out_hw)):
                tile[...] = grad_out * (arg == k).view("int8")
            return grad_in
        kh, kw = ctx.kernel
        cols = array_module(grad_out).zeros(grad_out.shape + (kh, kw), dtype=grad_out.dtype)
        for k in range(kh * kw):
            cols[..., k // kw, k % kw] = grad_out * (arg == k)
        return spread_windows(cols, ctx.in_shape, ctx.geo)

    @staticmethod
    def graph_backward(ctx, grad_out, arg):
        winners = winner_index(arg, ctx.kernel, ctx.geo, ctx.in_shape)
        return IndexAdd.apply(grad_out, shape=ctx.in_shape, index=winners)


def _loop_fits(x, dtype=np.float32) -> bool:
    """The compiled loops take NumPy arrays (float32 inputs, int8 winners) that are channels-last
    in memory, as a convolution's output is (conv_gemm.py)."""
    return loops.ready(x, dtype=dtype) and x.transpose(0, 2, 3, 1).flags.c_contiguous


@loops.loop
def _tiled_max_loop(x, out, arg, kh, kw):
    """out[b, y, x, c] = the max of x's (kh, kw) tile, arg its position (the first at ties; the
    first NaN, as argmax), over (N, H, W, C) views; the channels innermost, so that the loop runs
    in vector lanes."""
    n, oh, ow, c = out.shape
    for b in range(n):
        for y in range(oh):
            for x_ in range(ow):
                for ch in range(c):
                    out[b, y, x_, ch] = x[b, y * kh, x_ * kw, ch]
                    arg[b, y, x_, ch] = 0
                for k in range(1, kh * kw):
                    row, col = y * kh + k // kw, x_ * kw + k % kw
                    for ch in range(c):
                        v = x[b, row, col, ch]
                        best = out[b, y, x_, ch]
                        wins = v > best or (np.isnan(v) and not np.isnan(best))  # the first NaN wins, as argmax
                        out[b, y, x_, ch] = v if wins else best
                        arg[b, y, x_, ch] = k if wins else arg[b, y, x_, ch]


@loops.loop
def _tiled_max_grad_loop(grad_out, arg, grad_in, kh, kw):
    """Each output gradient to its tile's winner, zero to the other pixels of the tile, over
    (N, H, W, C) views (grad_in zeroed: pixels in no tile stay 0)."""
    n, oh, ow, c = grad_out.shape
    zero = grad_out.dtype.type(0)
    for b in range(n):
        for y in range(oh):
            for x_ in range(ow):
                for k in range(kh * kw):
                    row, col = y * kh + k // kw, x_ * kw + k % kw
                    for ch in range(c):
                        g = grad_out[b, y, x_, ch]
                        grad_in[b, row, col, ch] = g if arg[b, y, x_, ch] == k else zero


def tiles(in_shape: tuple, kernel: tuple, geo: Geometry, out_hw: tuple) -> bool:
    """Windows that tile the input without overlap or padding (2x2 pooling with stride 2)."""
    (sh, sw), pads, dilation = geo
    return ((sh, sw) == tuple(kernel) and not any(pads) and dilation == (1, 1)
            and kernel[0] * kernel[1] <= 127)  # the winner fits an int8


def channels_outermost(x) -> bool:
    """True for an (N, C, H, W) array stored channel by channel, (C, N, H, W) in memory, as
    Conv2d's output is: pooling treats N and C alike, so it runs on the swapped view, whose
    elementwise passes then sweep whole (H, W) planes instead of 4-pixel rows."""
    return not x.flags.c_contiguous and x.transpose(1, 0, 2, 3).flags.c_contiguous


def in_memory_order_of(arg, grad_out, in_shape: tuple) -> tuple:
    """grad_out, and a zero input gradient, laid out in memory as the winners `arg` are
    (channels-last after a convolution, see conv_gemm.py): the tiled rule's passes then read
    and write in one order (measured 1.29 -> 0.43 ms for 2x2 pooling of (128, 64, 8, 8))."""
    xp = array_module(grad_out)
    n, c, h, w = in_shape
    if arg.flags.c_contiguous or not arg.transpose(0, 2, 3, 1).flags.c_contiguous:
        return grad_out, xp.zeros(in_shape, dtype=grad_out.dtype)
    ordered = xp.empty_like(arg, dtype=grad_out.dtype)  # empty_like keeps arg's memory order
    ordered[...] = grad_out
    return ordered, xp.zeros((n, h, w, c), dtype=grad_out.dtype).transpose(0, 3, 1, 2)


def tile_views(x, kernel: tuple, out_hw: tuple) -> list:
    """For each position (i, j) of a tiling window, the (N, C, OH, OW) view of the pixels at
    that position in every window: strided views, no copies. Rows and columns past the last
    whole window (floor mode) are in none."""
    (kh, kw), (oh, ow) = kernel, out_hw
    return [x[:, :, i:i + kh * oh:kh, j:j + kw * ow:kw] for i in range(kh) for j in range(kw)]


def tiled_max(x, kernel: tuple, out_hw: tuple) -> tuple:
    """(max, winner) of tiling windows, taken position by position over the strided views:
    a handful of passes over the output-sized arrays, where the general path copies every
    window out and reduces along a short last axis (measured 5.4 -> 1.1 ms for 2x2 pooling of
    (128, 64, 8, 8)). The first maximum wins at ties, as in argmax."""
    xp = array_module(x)
    views = tile_views(x, kernel, out_hw)
    out = views[0].copy(order="K")  # in x's memory order (channels-last after a convolution)
    arg = xp.zeros_like(out, dtype=xp.int8)
    for k, view in enumerate(views[1:], 1):
        # The latest position to beat the running max wins; positions come in increasing k,
        # so that is a running max of k where it beats. (Arithmetic: NumPy's masked copyto
        # with a scalar is 50 times slower.)
        xp.maximum(arg, (view > out).view(xp.int8) * xp.int8(k), out=arg)
        xp.maximum(out, view, out=out)  # propagates NaN, which the caller checks for
    return out, arg


def winner_index(arg, kernel, geo, in_shape) -> tuple:
    """The (n, c, row, col) of the input pixel that won each window, for `index_add`."""
    xp = array_module(arg)
    arg = arg.astype(xp.intp)  # an int8 from tiled_max would overflow in the arithmetic below
    n, c, oh, ow = arg.shape
    (sh, sw), (pt, _, pl, _), (dh, dw) = geo
    rows = xp.arange(oh)[:, None] * sh + (arg // kernel[1]) * dh - pt
    cols = xp.arange(ow)[None, :] * sw + (arg % kernel[1]) * dw - pl
    return (xp.arange(n)[:, None, None, None], xp.arange(c)[None, :, None, None], rows, cols)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Max of each window, as `torch.nn.functional.max_pool2d` (padding counts as -inf)."""
    from .conv import pair

    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    kernel = pair(kernel_size, "kernel_size")
    stride = pair(stride if stride is not None else kernel, "stride")
    ph, pw = pair(padding, "padding")
    dilation = pair(dilation, "dilation")
    if ph > kernel[0] // 2 or pw > kernel[1] // 2:
        raise ValueError(f"max_pool2d: padding {(ph, pw)} should be at most half of the kernel {kernel}")
    h, w = x.shape[-2:]
    out_hw, extra = [], []
    for n, k, s, p, d in ((h, kernel[0], stride[0], ph, dilation[0]), (w, kernel[1], stride[1], pw, dilation[1])):
        span = n + 2 * p - d * (k - 1) - 1
        size = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (size - 1) * s >= n + p:  # the last window must start inside the input
            size -= 1
        out_hw.append(size)
        extra.append(max(0, (size - 1) * s + d * (k - 1) + 1 - (n + 2 * p)))
    if min(out_hw) < 1:
        raise ValueError(f"max_pool2d: kernel {kernel} is larger than the padded input {(h, w)}")
    geo = Geometry((stride, (ph, ph + extra[0], pw, pw + extra[1]), dilation))
    return MaxPool2d.apply(x, kernel=kernel, geo=geo, out_hw=tuple(out_hw))
