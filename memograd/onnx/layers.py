"""Layers translated whole, from their attributes (the names PyTorch gives them).

A layer listed here is exported as the ONNX operator it stands for (Linear -> Gemm,
BatchNorm2d -> BatchNormalization, ...) instead of the ops its forward recorded. Two reasons:
the recorded graph keeps only what backward needs, so some settings are not in it (the eps
added inside LayerNorm, BatchNorm's running mean, LeakyReLU's slope); and one fused ONNX
operator is what runtimes optimise best. A subclass that overrides `forward` is not
translated here: its forward is traced op by op like any other module.

Each translation is `fn(ex, module, x, t_in, t_out) -> name`: `ex` the exporter (its
builder `ex.b` and `ex.leaf(tensor)`, the name of a parameter or buffer), `x` the name of the
input, `t_in`/`t_out` the traced input and output tensors (for their shapes)."""
from __future__ import annotations

import math

import numpy as np

from .. import nn
from ..ops.conv import make_geometry, pair

# ---- affine layers --------------------------------------------------------------------------


def gemm(b, x: str, w: str, bias: str | None, in_ndim: int) -> str:
    """x @ W.T + b: one Gemm for 2-D inputs, MatMul (+ Add) for any other rank."""
    if in_ndim == 2:
        return b.node("Gemm", [x, w] + ([bias] if bias else []), transB=1)
    out = b.node("MatMul", [x, b.node("Transpose", [w], perm=[1, 0])])
    return b.node("Add", [out, bias]) if bias else out


def linear_layer(ex, m, x, t_in, t_out):
    return gemm(ex.b, x, ex.leaf(m.weight), ex.leaf(m.bias) if m.bias is not None else None, t_in.ndim)


def batched(ex, x: str, t_in, fn) -> str:
    """Run a (N, C, H, W) operator on an unbatched (C, H, W) input too, as memograd does."""
    if t_in.ndim == 3:
        return ex.b.squeeze(fn(ex.b.unsqueeze(x, [0])), [0])
    return fn(x)


def conv(b, x: str, w: str, bias: str | None, kernel: tuple, geo) -> str:
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = geo
    return b.node("Conv", [x, w] + ([bias] if bias else []), kernel_shape=list(kernel), strides=[sh, sw],
                  pads=[pt, pl, pb, pr], dilations=[dh, dw], group=1)


def conv2d_layer(ex, m, x, t_in, t_out):
    kernel = tuple(m.weight.shape[2:])
    geo = make_geometry(kernel, m.stride, m.padding, m.dilation)
    w, bias = ex.leaf(m.weight), ex.leaf(m.bias) if m.bias is not None else None
    return batched(ex, x, t_in, lambda v: conv(ex.b, v, w, bias, kernel, geo))


# ---- pooling ----------------------------------------------------------------------------------


def pool_attrs(kernel_size, stride, padding, ceil_mode) -> dict:
    kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else kernel_size, "stride")
    ph, pw = pair(padding, "padding")
    return {"kernel_shape": [kh, kw], "strides": [sh, sw], "pads": [ph, pw, ph, pw], "ceil_mode": int(ceil_mode)}


def max_pool_layer(ex, m, x, t_in, t_out):
    if m.return_indices:
        raise NotImplementedError("memograd.onnx.export: MaxPool2d(return_indices=True) has no ONNX translation")
    attrs = pool_attrs(m.kernel_size, m.stride, m.padding, m.ceil_mode)
    attrs["dilations"] = list(pair(m.dilation, "dilation"))
    return batched(ex, x, t_in, lambda v: ex.b.node("MaxPool", [v], **attrs))


def avg_pool_layer(ex, m, x, t_in, t_out):
    attrs = pool_attrs(m.kernel_size, m.stride, m.padding, m.ceil_mode)
    if m.divisor_override is None:
        return batched(ex, x, t_in, lambda v: ex.b.node("AveragePool", [v], count_include_pad=int(
            m.count_include_pad), **attrs))
    # The window sum divided by the given divisor: the padded mean times (window size / divisor).
    factor = math.prod(attrs["kernel_shape"]) / float(m.divisor_override)
    return batched(ex, x, t_in, lambda v: ex.b.scaled(ex.b.node("AveragePool", [v], count_include_pad=1,
                                                                **attrs), factor))


# ---- normalisation and lookup ------------------------------------------------------------------


def batch_norm_layer(ex, m, x, t_in, t_out):
    if m.running_mean is None or m.running_var is None:
        raise NotImplementedError(f"memograd.onnx.export: {type(m).__name__}(track_running_stats=False) uses the "
                                  "batch's statistics at inference; only running statistics are exported")
    b, dtype = ex.b, ex.b.dtypes[x]
    scale = ex.leaf(m.weight) if m.weight is not None else b.constant(np.ones(m.num_features), dtype, "ones")
    shift = ex.leaf(m.bias) if m.bias is not None else b.constant(np.zeros(m.num_features), dtype, "zeros")
    return b.node("BatchNormalization", [x, scale, shift, ex.leaf(m.running_mean), ex.leaf(m.running_var)],
                  epsilon=float(m.eps))


def layer_norm_layer(ex, m, x, t_in, t_out):
    b, shape = ex.b, tuple(m.normalized_shape)
    scale = ex.leaf(m.weight) if m.weight is not None else b.constant(np.ones(shape), b.dtypes[x], "ones")
    inputs = [x, scale] + ([ex.leaf(m.bias)] if m.bias is not None else [])
    return b.node("LayerNormalization", inputs, axis=-len(shape), epsilon=float(m.eps))


def embedding_layer(ex, m, x, t_in, t_out):
    if m.max_norm is not None:
        raise NotImplementedError("memograd.onnx.export: Embedding(max_norm=...) renormalises rows on lookup; "
                                  "it has no ONNX translation")
    weight = ex.leaf(m.weight)
    return ex.b.node("Gather", [weight, x], dtype=ex.b.dtypes[weight], axis=0)


# ---- activations ----------------------------------------------------------------------------------


def gelu(b, x: str, approximate: str) -> str:
    """Opset 20 has a Gelu operator; before it, the formula itself."""
    if b.opset >= 20:
        return b.node("Gelu", [x], approximate=approximate)
    dtype = b.dtypes[x]
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
        inner = b.node("Add", [x, b.scaled(cube, 0.044715)])
        phi = b.node("Tanh", [b.scaled(inner, math.sqrt(2.0 / math.pi))])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        phi = b.node("Erf", [b.scaled(x, 1.0 / math.sqrt(2.0))])
    half_x = b.scaled(x, 0.5)
    return b.node("Mul", [half_x, b.node("Add", [phi, b.constant(1.0, dtype, "one")])])


def softplus(b, x: str, beta: float, threshold: float) -> str:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (PyTorch's rule)."""
    z = b.scaled(x, beta)
    soft = b.scaled(b.node("Softplus", [z]), 1.0 / beta)
    above = b.node("Greater", [z, b.constant(threshold, b.dtypes[x], "threshold")], dtype=np.bool_)
    return b.node("Where", [above, x, soft], dtype=b.dtypes[x])


def softmax_dim(dim, ndim: int) -> int:
    return (0 if ndim in (0, 1, 3) else 1) if dim is None else dim  # PyTorch's implicit-dim rule


def flatten_layer(ex, m, x, t_in, t_out):
    """Flatten(1, -1) is ONNX's Flatten; other ranges a Reshape that copies the leading
    dims (0) and lets the merged one be inferred (-1), so a free batch axis stays free."""
    ndim = t_in.ndim
    start, end = m.start_dim % max(ndim, 1), m.end_dim % max(ndim, 1)
    if start == 1 and end == ndim - 1:
        return ex.b.node("Flatten", [x], axis=1)
    shape = [0] * start + [-1] + list(t_in.shape[end + 1:])
    return ex.b.node("Reshape", [x, ex.b.ints(shape)])


def unflatten_layer(ex, m, x, t_in, t_out):
    dim = m.dim % t_in.ndim
    shape = [0] * dim + list(m.unflattened_size) + list(t_in.shape[dim + 1:])
    return ex.b.node("Reshape", [x, ex.b.ints(shape)])


def unary(op_type: str):
    return lambda ex, m, x, t_in, t_out: ex.b.node(op_type, [x])


LAYERS = {
    nn.Linear: linear_layer,
    nn.Conv2d: conv2d_layer,
    nn.MaxPool2d: max_pool_layer,
    nn.AvgPool2d: avg_pool_layer,
    nn.BatchNorm1d: batch_norm_layer,
    nn.BatchNorm2d: batch_norm_layer,
    nn.LayerNorm: layer_norm_layer,
    nn.Embedding: embedding_layer,
    nn.ReLU: unary("Relu"),
    nn.Sigmoid: unary("Sigmoid"),
    nn.Tanh: unary("Tanh"),
    nn.LeakyReLU: lambda ex, m, x, t_in, t_out: ex.b.node("LeakyRelu", [x], alpha=float(m.negative_slope)),
    nn.GELU: lambda ex, m, x, t_in, t_out: gelu(ex.b, x, m.approximate),
    nn.Softplus: lambda ex, m, x, t_in, t_out: softplus(ex.b, x, float(m.beta), float(m.threshold)),
    nn.Softmax: lambda ex, m, x, t_in, t_out: ex.b.node("Softmax", [x], axis=softmax_dim(m.dim, t_in.ndim)),
    nn.LogSoftmax: lambda ex, m, x, t_in, t_out: ex.b.node("LogSoftmax", [x], axis=softmax_dim(m.dim, t_in.ndim)),
    nn.Flatten: flatten_layer,
    nn.Unflatten: unflatten_layer,
}


def translation_of(module):
    """The translation for `module`, or None when its class (or the class whose forward it
    runs) is not listed: then its forward is traced op by op."""
    for cls in type(module).__mro__:
        if cls in LAYERS:
            return LAYERS[cls] if type(module).forward is cls.forward else None
    return None
