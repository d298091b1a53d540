"""2-D convolution (cross-correlation, as in PyTorch), vectorised over the batch and all
pixels: im2col and one matmul (conv_gemm.py). Pooling shares the
geometry helpers and the strided window view (`windows`) defined here.

Three ops close the family under differentiation, so `create_graph=True` works too:

    Conv2d(x, w)          y  = x (*) w
    ConvGradInput(g, w)   dx = the adjoint of Conv2d in x   (col2im, a "transposed conv")
    ConvGradWeight(x, g)  dw = the correlation of x with g

Each one's gradient is made of the other two: the array functions in `backward`, the ops
themselves in `graph_backward`. A transposed convolution (`conv_transpose2d`, at the end) is
ConvGradInput read the other way round, so it needs no op of its own."""
from __future__ import annotations

import math

from numpy.lib.stride_tricks import as_strided

from ..autograd.function import Op
from ..backend import array_module
from . import conv_gemm

# ---- geometry ----------------------------------------------------------------------------


class Geometry(tuple):
    """(stride, pads, dilation): stride and dilation as (h, w); pads as (top, bottom, left, right)."""

    __slots__ = ()

    @property
    def stride(self):
        return self[0]

    @property
    def pads(self):
        return self[1]

    @property
    def dilation(self):
        return self[2]


def pair(value, name: str) -> tuple:
    """An int or a pair, as PyTorch's `_pair`."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    return value


def make_geometry(kernel: tuple, stride, padding, dilation) -> Geometry:
    """Resolve PyTorch's arguments; padding may be an int, a pair, 'valid' or 'same'."""
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        pads = ()
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            pads += (total // 2, total - total // 2)  # any odd pixel goes after, as PyTorch does
    else:
        ph, pw = pair(padding, "padding")
        pads = (ph, ph, pw, pw)
    if min(stride) < 1 or min(dilation) < 1 or min(pads) < 0:
        raise ValueError(f"invalid geometry: stride {stride}, padding {pads}, dilation {dilation}")
    return Geometry((stride, pads, dilation))


def out_size(n: int, k: int, stride: int, pad_before: int, pad_after: int, dilation: int) -> int:
    return (n + pad_before + pad_after - dilation * (k - 1) - 1) // stride + 1


def out_shape(in_hw: tuple, kernel: tuple, geo: Geometry) -> tuple:
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = geo
    oh = out_size(in_hw[0], kernel[0], sh, pt, pb, dh)
    ow = out_size(in_hw[1], kernel[1], sw, pl, pr, dw)
    if oh < 1 or ow < 1:
        raise ValueError(f"the kernel {kernel} (dilation {geo.dilation}) is larger than the padded input {in_hw}")
    return oh, ow


def pad2d(x, pads: tuple, value=0.0):
    pt, pb, pl, pr = pads
    if not any(pads):
        return x
    return array_module(x).pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def windows(x_padded, kernel: tuple, geo: Geometry, out_hw: tuple):
    """A read-only view (N, C, OH, OW, KH, KW) of every kernel window: no copy."""
    n, c = x_padded.shape[:2]
    s_n, s_c, s_h, s_w = x_padded.strides
    (sh, sw), _, (dh, dw) = geo
    return as_strided(x_padded, (n, c) + tuple(out_hw) + tuple(kernel),
                      (s_n, s_c, s_h * sh, s_w * sw, s_h * dh, s_w * dw), writeable=False)


def spread_windows(cols, in_shape: tuple, geo: Geometry):
    """The adjoint of `windows`: add each window entry (N, C, OH, OW, KH, KW) back to the
    input pixel it came from, then cut the padding off. One slice-add per kernel position."""
    n, c, oh, ow, kh, kw = cols.shape
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = geo
    h, w = in_shape[2] + pt + pb, in_shape[3] + pl + pr
    if (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and (oh * kh, ow * kw) == (h, w):
        # Windows that tile the input exactly (2x2 pooling with stride 2): a reshape, no sums.
        tiled = cols.transpose(0, 1, 2, 4, 3, 5).reshape(n, c, h, w)
        return tiled[:, :, pt:pt + in_shape[2], pl:pl + in_shape[3]]
    out = array_module(cols).zeros((n, c, h, w), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, :, top:top + sh * (oh - 1) + 1:sh, left:left + sw * (ow - 1) + 1:sw] += cols[:, :, :, :, i, j]
    return out[:, :, pt:pt + in_shape[2], pl:pl + in_shape[3]]


# ---- array functions ---------------------------------------------------------------------
# One GEMM each over a channels-last window view (conv_gemm.py); the ops below call these.


def conv2d_array(x, w, geo: Geometry):
    return conv_gemm.conv2d(x, w, geo, out_shape(x.shape[2:], tuple(w.shape[2:]), geo))


def conv2d_grad_input_array(g, w, in_shape: tuple, geo: Geometry):
    return conv_gemm.conv2d_grad_input(g, w, in_shape, geo)


def conv2d_grad_weight_array(x, g, w_shape: tuple, geo: Geometry):
    return conv_gemm.conv2d_grad_weight(x, g, w_shape, geo)


# ---- ops ---------------------------------------------------------------------------------


class Conv2d(Op):
    """x (N, C, H, W), weight (O, C, KH, KW), bias (O,) or None -> (N, O, OH, OW)."""

    __slots__ = ("geo",)
    vjp_formula = ("transposed convolution of g with W", "correlation of x with g", "Σ g")
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, weight, bias=None, geo=None):
        if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[1]:
            raise ValueError(f"conv2d: input {x.shape} and weight {weight.shape} do not fit "
                             f"(expected (N, {weight.shape[1] if weight.ndim == 4 else 'C'}, H, W))")
        ctx.geo = geo
        ctx.save_for_backward(x, weight)
        out = conv2d_array(x, weight, geo)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved
        x_edge, w_edge, b_edge = ctx.next
        grad_x = conv2d_grad_input_array(grad_out, weight, x.shape, ctx.geo) if x_edge is not None else None
        grad_w = conv2d_grad_weight_array(x, grad_out, weight.shape, ctx.geo) if w_edge is not None else None
        grad_b = bias_grad(grad_out) if b_edge is not None else None
        return grad_x, grad_w, grad_b

    @staticmethod
    def graph_backward(ctx, grad_out, x, weight):
        x_edge, w_edge, b_edge = ctx.next
        grad_x = grad_w = grad_b = None
        if x_edge is not None:
            grad_x = ConvGradInput.apply(grad_out, weight, in_shape=tuple(x.shape), geo=ctx.geo)
        if w_edge is not None:
            grad_w = ConvGradWeight.apply(x, grad_out, w_shape=tuple(weight.shape), geo=ctx.geo)
        if b_edge is not None:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """x's and the weight's gradients are each one matmul as large as the forward's;
        the bias's is a sum, one add per output element."""
        out_size = math.prod(ctx.shape)
        if i == 2:
            return out_size
        return conv_flops(out_size, edge_shape(ctx, 1))


def bias_grad(g):
    """sum of g (N, O, OH, OW) over all but O: on channels-last memory (as conv2d's output is)
    one matrix-vector product with a vector of ones (BLAS), 3-10x faster than sum(axis=(0, 2, 3))
    on the CNN's (128, 64, 8, 8) and (128, 32, 8, 8)."""
    last = g.transpose(0, 2, 3, 1)
    if not last.flags.c_contiguous:
        return g.sum(axis=(0, 2, 3))
    rows = last.reshape(-1, g.shape[1])
    return array_module(g).ones(rows.shape[0], dtype=g.dtype) @ rows


class ConvGradInput(Op):
    """dx of Conv2d, from the output gradient g and the weight."""

    __slots__ = ("geo", "in_shape")
    vjp_formula = ("convolution of g with b", "correlation of g with a")
    saves_inputs = True

    @staticmethod
    def forward(ctx, g, weight, in_shape=None, geo=None):
        ctx.geo, ctx.in_shape = geo, in_shape
        ctx.save_for_backward(g, weight)
        return conv2d_grad_input_array(g, weight, in_shape, geo)

    @staticmethod
    def backward(ctx, grad_out):
        g, weight = ctx.saved
        g_edge, w_edge = ctx.next
        # As a transposed convolution's forward, g is often a net's input (a GAN's noise), so
        # skip the gradients nobody needs, as Conv2d does.
        grad_g = conv2d_array(grad_out, weight, ctx.geo) if g_edge is not None else None
        grad_w = conv2d_grad_weight_array(grad_out, g, weight.shape, ctx.geo) if w_edge is not None else None
        return grad_g, grad_w

    @staticmethod
    def graph_backward(ctx, grad_out, g, weight):
        g_edge, w_edge = ctx.next
        grad_g = grad_w = None
        if g_edge is not None:
            grad_g = Conv2d.apply(grad_out, weight, None, geo=ctx.geo)
        if w_edge is not None:
            grad_w = ConvGradWeight.apply(grad_out, g, w_shape=tuple(weight.shape), geo=ctx.geo)
        return grad_g, grad_w

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Either gradient is a convolution of the forward's size: g (N, O, OH, OW) against
        the weight, C*KH*KW terms per element of g."""
        g = edge_shape(ctx, 0)
        return conv_flops(math.prod(g if g is not None else ctx.shape), edge_shape(ctx, 1))


class ConvGradWeight(Op):
    """dw of Conv2d, from the input x and the output gradient g."""

    __slots__ = ("geo", "w_shape")
    vjp_formula = ("transposed convolution of b with g", "convolution of a with g")
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, g, w_shape=None, geo=None):
        ctx.geo, ctx.w_shape = geo, w_shape
        ctx.save_for_backward(x, g)
        return conv2d_grad_weight_array(x, g, w_shape, geo)

    @staticmethod
    def backward(ctx, grad_out):
        x, g = ctx.saved
        return conv2d_grad_input_array(g, grad_out, x.shape, ctx.geo), conv2d_array(x, grad_out, ctx.geo)

    @staticmethod
    def graph_backward(ctx, grad_out, x, g):
        return (ConvGradInput.apply(g, grad_out, in_shape=tuple(x.shape), geo=ctx.geo),
                Conv2d.apply(x, grad_out, None, geo=ctx.geo))

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Either gradient is a convolution of the forward's size: g (N, O, OH, OW) against
        a weight of this op's output shape, C*KH*KW terms per element of g."""
        g = edge_shape(ctx, 1)
        return conv_flops(math.prod(g if g is not None else ctx.shape), ctx.shape)


def edge_shape(node, i: int):
    """The shape of input i of a recorded node, or None when that input has no gradient edge."""
    edge = node.next[i]
    return edge.shape if edge is not None else None


def conv_flops(out_size: int, weight_shape) -> int:
    """A convolution with `out_size` outputs: a multiply and an add per output and weight
    term (C*KH*KW of them; 1 when the weight's shape is unknown)."""
    per_out = math.prod(weight_shape[1:]) if weight_shape is not None else 1
    return 2 * out_size * per_out


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Cross-correlate (N, C, H, W) with (O, C, KH, KW) weights, as `torch.nn.functional.conv2d`."""
    kernel = tuple(weight.shape[2:])
    return Conv2d.apply(x, weight, bias, geo=make_geometry(kernel, stride, padding, dilation))


# ---- transposed convolution ----------------------------------------------------------------
# conv_transpose2d(x, w) is the adjoint in its input of the convolution with the same weight and
# geometry: x (N, in, H, W) plays the output gradient, and the (in, out, KH, KW) weight is that
# convolution's (O, C, KH, KW) weight. So its forward is ConvGradInput, and its backward is
# ConvGradInput's: a convolution for x, a weight gradient for w. No second im2col.


def transposed_out_size(n: int, k: int, stride: int, pad: int, dilation: int, output_padding: int) -> int:
    """The size whose convolution (same k, stride, pad, dilation) has n outputs, plus output_padding."""
    return (n - 1) * stride - 2 * pad + dilation * (k - 1) + 1 + output_padding


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """(N, in, H, W) with weights (in, out, KH, KW) -> (N, out, OH, OW), as
    `torch.nn.functional.conv_transpose2d` with groups=1:
    OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1."""
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose2d: padding must be an int or a pair of ints, got {padding!r}")
    if x.ndim != 4 or weight.ndim != 4 or x.shape[1] != weight.shape[0]:
        raise ValueError(f"conv_transpose2d: input {tuple(x.shape)} and weight {tuple(weight.shape)} do not fit "
                         f"(expected (N, {weight.shape[0] if weight.ndim == 4 else 'in'}, H, W))")
    kernel = tuple(weight.shape[2:])
    geo = make_geometry(kernel, stride, padding, dilation)
    extra = pair(output_padding, "output_padding")
    for op, s, d in zip(extra, geo.stride, geo.dilation):
        if op < 0 or (op >= s and op >= d):
            raise ValueError(f"conv_transpose2d: output padding must be smaller than either stride or dilation, "
                             f"got output_padding {extra}, stride {geo.stride}, dilation {geo.dilation}")
        if op >= s:
            # The adjoint convolution would then see more rows than the input has.
            raise NotImplementedError("torch.nn.functional.conv_transpose2d with output_padding >= stride "
                                      "(allowed by PyTorch when smaller than dilation) is not supported")
    out_hw = tuple(transposed_out_size(n, k, s, p, d, op) for n, k, s, p, d, op in
                   zip(x.shape[2:], kernel, geo.stride, geo.pads[::2], geo.dilation, extra))
    if min(out_hw) < 1:
        raise ValueError(f"conv_transpose2d: input {tuple(x.shape)} with kernel {kernel}, stride {geo.stride}, "
                         f"padding {geo.pads[::2]} gives an empty output {out_hw}")
    out = ConvGradInput.apply(x, weight, in_shape=(x.shape[0], weight.shape[1]) + out_hw, geo=geo)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out
