"""The convolution array functions memograd used before conv_gemm.py (channels-first im2col:
columns (C*KH*KW, N*OH*OW), product (O, N*OH*OW)) and conv_gemm's first input gradient
(col2im), kept here only so that benchmarks/fusions.py can time them side by side with the
current ones."""
from __future__ import annotations

from memograd.backend import array_module
from memograd.ops.conv import out_shape, pad2d, spread_windows, windows
from memograd.ops.conv_gemm import rows_of, weight_rows


def columns(x, kernel: tuple, geo, out_hw: tuple):
    """(C*KH*KW, N*OH*OW): each kernel window of the padded input as one column (a copy)."""
    c = x.shape[1]
    view = windows(pad2d(x, geo.pads), kernel, geo, out_hw)  # (N, C, OH, OW, KH, KW), no copy
    gathered = array_module(x).ascontiguousarray(view.transpose(1, 4, 5, 0, 2, 3))
    return gathered.reshape(c * kernel[0] * kernel[1], -1)


def conv2d_array(x, w, geo):
    n = x.shape[0]
    o, c, kh, kw = w.shape
    oh, ow = out_shape(x.shape[2:], (kh, kw), geo)
    out = w.reshape(o, c * kh * kw) @ columns(x, (kh, kw), geo, (oh, ow))  # (O, N*OH*OW)
    return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)


def flat_channels_first(g):
    n, o, oh, ow = g.shape
    return g.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)


def conv2d_grad_input_array(g, w, in_shape: tuple, geo):
    n, o, oh, ow = g.shape
    c, kh, kw = w.shape[1:]
    cols = (w.reshape(o, c * kh * kw).T @ flat_channels_first(g)).reshape(c, kh, kw, n, oh, ow)
    spread = spread_windows(cols.transpose(0, 3, 4, 5, 1, 2), (c, n) + tuple(in_shape[2:]), geo)
    return spread.transpose(1, 0, 2, 3)


def conv2d_grad_weight_array(x, g, w_shape: tuple, geo):
    kernel, out_hw = tuple(w_shape[2:]), tuple(g.shape[2:])
    return (flat_channels_first(g) @ columns(x, kernel, geo, out_hw).T).reshape(w_shape)


def col2im_grad_input(g, w, in_shape: tuple, geo):
    """conv_gemm's input gradient before it went per kernel position: one GEMM into a
    (N*OH*OW, KH*KW*C) matrix, then each window's row added back (col2im)."""
    xp = array_module(g)
    n, c, h, w_in = in_shape
    kh, kw = w.shape[2:]
    oh, ow = g.shape[2:]
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = geo
    cols = (rows_of(g) @ weight_rows(w)).reshape(n, oh, ow, kh, kw, c)
    grad = xp.zeros((n, h + pt + pb, w_in + pl + pr, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            grad[:, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw] += cols[:, :, :, i, j]
    return grad[:, pt:pt + h, pl:pl + w_in].transpose(0, 3, 1, 2)
