"""Convolution as one GEMM over a channels-last window view: the array functions behind
Conv2d, ConvGradInput and ConvGradWeight (ops/conv.py) and so behind conv_transpose2d.

The layout is chosen for all three products at once. The input is padded into a channels-last
(N, H, W, C) buffer; the kernel windows of that buffer are a strided view (N, OH, OW, KH, KW, C)
whose copy (im2col) moves runs of C contiguous values, and whose rows are the
(N*OH*OW, KH*KW*C) matrix of the GEMMs:

    forward       out (N*OH*OW, O)       = cols @ W^T           W as (O, KH*KW*C)
    weight grad   dW^T (KH*KW*C, O)      = cols^T @ g           the columns gathered again (cheap)
    input grad    g @ W[:, :, i, j] for each kernel position, added into a padded buffer

The output of the forward product is channels-last too: it is returned as an (N, O, OH, OW)
view of that memory (no copy), which the next layer's im2col and the gradient's (N*OH*OW, O)
matrix then read without copying. Measured in benchmarks/RESULTS.md (CNN): the gather moving
runs of C values was 4 times faster than gathering runs of OW values channels-first, and
40 times faster than windows ordered (C, KH, KW) over a channels-last buffer.

On float32 NumPy arrays with Numba (memograd.loops), the window copy and the input gradient's
scatter are one compiled loop (`_windows`) that reads the padding as zeros instead of copying x
into a padded buffer; the input gradient is then one GEMM for all kernel positions, whose parts
the loop adds straight into the (unpadded) gradient."""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import loops
from ..backend import array_module


def padded_channels_last(x, pads: tuple):
    """(N, C, H, W) in any memory order -> a C-contiguous (N, H + pads, W + pads, C) copy with
    a zero border (or the channels-last view itself when it is contiguous and unpadded)."""
    xp = array_module(x)
    pt, pb, pl, pr = pads
    last = x.transpose(0, 2, 3, 1)
    if not any(pads):
        return xp.ascontiguousarray(last)
    n, h, w, c = last.shape
    out = xp.empty((n, h + pt + pb, w + pl + pr, c), dtype=x.dtype)
    out[:, :pt] = 0
    out[:, pt + h:] = 0
    out[:, pt:pt + h, :pl] = 0
    out[:, pt:pt + h, pl + w:] = 0
    out[:, pt:pt + h, pl:pl + w] = last
    return out


def window_rows(x, kernel: tuple, geo, out_hw: tuple):
    """(N*OH*OW, KH*KW*C): each kernel window of x (N, C, H, W), zero padded, as one row (a copy)."""
    n, c = x.shape[:2]
    (sh, sw), (pt, _, pl, _), (dh, dw) = geo
    if loops.ready(x):  # straight from x, the padding read as zeros: no padded copy
        cols = np.empty((n,) + tuple(out_hw) + tuple(kernel) + (c,), x.dtype)
        _windows(x.transpose(0, 2, 3, 1), cols, sh, sw, pt, pl, dh, dw, True)
        return cols.reshape(n * out_hw[0] * out_hw[1], -1)
    padded = padded_channels_last(x, geo.pads)
    s_n, s_h, s_w, s_c = padded.strides
    view = as_strided(padded, (n,) + tuple(out_hw) + tuple(kernel) + (c,),
                      (s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c), writeable=False)
    return array_module(padded).ascontiguousarray(view).reshape(n * out_hw[0] * out_hw[1], -1)


def weight_rows(w):
    """(O, C, KH, KW) -> (O, KH*KW*C), the order of window_rows' columns."""
    return array_module(w).ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(w.shape[0], -1)


def rows_of(g):
    """(N, O, OH, OW) -> (N*OH*OW, O): free when g is channels-last in memory (as conv2d's output)."""
    return g.transpose(0, 2, 3, 1).reshape(-1, g.shape[1])


def conv2d(x, w, geo, out_hw: tuple):
    """x (N, C, H, W) with w (O, C, KH, KW) -> (N, O, OH, OW), channels-last in memory."""
    n, o = x.shape[0], w.shape[0]
    cols = window_rows(x, tuple(w.shape[2:]), geo, out_hw)
    out = cols @ weight_rows(w).T
    return out.reshape((n,) + tuple(out_hw) + (o,)).transpose(0, 3, 1, 2)


def conv2d_grad_weight(x, g, w_shape: tuple, geo):
    """dW (O, C, KH, KW) of conv2d(x, w) from its output gradient g (N, O, OH, OW)."""
    o, c, kh, kw = w_shape
    cols = window_rows(x, (kh, kw), geo, tuple(g.shape[2:]))
    # (KH*KW*C, O) = cols^T @ g, not its transpose g^T @ cols: OpenBLAS runs this order faster
    # (CNN's second layer, (8192, 288) and (8192, 64): 1.22 against 1.54 ms)
    grad = cols.T @ rows_of(g)
    return array_module(grad).ascontiguousarray(grad.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


def conv2d_grad_input(g, w, in_shape: tuple, geo):
    """dx (N, C, H, W) of conv2d(x, w) from g (N, O, OH, OW): for each kernel position (i, j),
    g @ W[:, :, i, j] is what the input pixels under that position receive, added in place
    into a channels-last padded buffer. One small GEMM per kernel position instead of one large
    one into a (N*OH*OW, KH*KW*C) matrix scattered back afterwards (col2im): each product is
    added while it is still in cache (measured on the CNN's second layer: 8.9 -> 5.0 ms,
    where the single GEMM alone takes 4.8)."""
    xp = array_module(g)
    n, c, h, w_in = in_shape
    kh, kw = w.shape[2:]
    oh, ow = g.shape[2:]
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = geo
    rows = rows_of(g)
    if loops.ready(g, w):  # the parts added straight into the unpadded gradient
        parts = (rows @ weight_rows(w)).reshape(n, oh, ow, kh, kw, c)
        grad = np.zeros((n, h, w_in, c), dtype=np.float32)
        _windows(grad, parts, sh, sw, pt, pl, dh, dw, False)
        return grad.transpose(0, 3, 1, 2)
    grad = xp.zeros((n, h + pt + pb, w_in + pl + pr, c), dtype=xp.result_type(g, w))
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            part = (rows @ w[:, :, i, j]).reshape(n, oh, ow, c)
            grad[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw] += part
    return grad[:, pt:pt + h, pl:pl + w_in].transpose(0, 3, 1, 2)


@loops.loop
def _windows(image, cols, sh, sw, pt, pl, dh, dw, gather):
    """gather: cols[b, y, x, i, j, :] = image[b, y*sh + i*dh - pt, x*sw + j*dw - pl, :] (im2col over
    a channels-last (N, H, W, C) image, zero outside it: the padding); otherwise the way back, added
    where inside the image: image[b, ...] += cols[b, y, x, i, j, :] (col2im, the input gradient)."""
    n, oh, ow, kh, kw, c = cols.shape
    _, h, w, _ = image.shape
    zero = cols.dtype.type(0)
    for b in range(n):
        for y in range(oh):
            for x in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        row, col = y * sh + i * dh - pt, x * sw + j * dw - pl
                        inside = 0 <= row < h and 0 <= col < w
                        if gather and inside:
                            for k in range(c):
                                cols[b, y, x, i, j, k] = image[b, row, col, k]
                        elif gather:
                            for k in range(c):
                                cols[b, y, x, i, j, k] = zero
                        elif inside:
                            for k in range(c):
                                image[b, row, col, k] += cols[b, y, x, i, j, k]
