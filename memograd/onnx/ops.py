"""Recorded ops translated to ONNX, one row per op class name (the glue between layers:
residual adds, reshapes, reductions, functional calls).

Each translation is `fn(ex, node, inputs) -> name`, where `inputs[i]` is the name of the
value behind `node.next_functions[i]`, or None when that argument was a constant. What a
translation may read from `node` is what the op keeps for its backward: the saved values
(`node.saved`, the inputs in argument order for ops that save them) and the op's own
settings (`axes`, `geo`, ...). A constant that the op did not save cannot be recovered, and
the translation says so instead of guessing."""
from __future__ import annotations

import numpy as np

from .layers import conv, gelu, gemm, softplus

# The ops that save their arguments, in argument order, for backward: a constant argument of
# these can be read back from `node.saved`.
SAVES_ARGUMENTS = {"Mul", "Div", "Pow", "MatMul", "Linear", "Conv2d", "LayerNorm", "ScaledDotProductAttention"}


def op_name(node) -> str:
    return type(node).__name__


def operand(ex, node, inputs, i: int, dtype=None) -> str:
    """The name of argument i: a traced value, or the constant the op saved for backward."""
    if inputs[i] is not None:
        return inputs[i]
    saved = node.saved or ()
    if op_name(node) not in SAVES_ARGUMENTS or i >= len(saved):
        raise NotImplementedError(
            f"memograd.onnx.export: the op {op_name(node)} has a constant operand (a number or an array "
            "that does not require grad, as in `x + 1.0`) that the recorded graph does not keep; "
            "make it a Parameter or a registered buffer of the model, or use the layer that does this")
    other = next((n for n in inputs if n is not None), None)
    dtype = dtype or (ex.b.dtypes[other] if other else np.asarray(saved[i]).dtype)
    return ex.b.constant(saved[i], dtype)


def binary(op_type: str):
    def translate(ex, node, inputs):
        return ex.b.node(op_type, [operand(ex, node, inputs, 0), operand(ex, node, inputs, 1)])
    return translate


def unary(op_type: str):
    return lambda ex, node, inputs: ex.b.node(op_type, [inputs[0]])


def rsqrt(ex, node, inputs):
    return ex.b.node("Reciprocal", [ex.b.node("Sqrt", [inputs[0]])])


def log1p(ex, node, inputs):
    b = ex.b
    return b.node("Log", [b.node("Add", [inputs[0], b.constant(1.0, b.dtypes[inputs[0]], "one")])])


def reduction(op_type: str):
    return lambda ex, node, inputs: ex.b.reduce(op_type, inputs[0], node.axes, node.keepdim)


def softmax(op_type: str):
    return lambda ex, node, inputs: ex.b.node(op_type, [inputs[0]], axis=node.axis if node.axis is not None else 0)


# ---- shapes -----------------------------------------------------------------------------------


def free_leading(in_shape: tuple, out_shape: tuple) -> list:
    """A Reshape target that keeps a free batch axis free: the leading dim is copied (0) when
    it did not change and inferred (-1) when it did; the other dims are as traced."""
    shape = [int(n) for n in out_shape]
    if shape:
        shape[0] = 0 if in_shape and in_shape[0] == out_shape[0] else -1
    return shape


def reshape(ex, node, inputs):
    return ex.b.node("Reshape", [inputs[0], ex.b.ints(free_leading(node.in_shape, node.shape))])


def permute(ex, node, inputs):
    return ex.b.node("Transpose", [inputs[0]], perm=list(node.axes))


def expand(ex, node, inputs):
    """Expand broadcasts both ways: a dim the input already had is given as 1, so a free
    batch axis of the input stays free."""
    in_shape, out_shape = ex.shapes[inputs[0]], tuple(node.shape)
    offset = len(out_shape) - len(in_shape)
    target = [1 if i >= offset and in_shape[i - offset] == n else n for i, n in enumerate(out_shape)]
    return ex.b.node("Expand", [inputs[0], ex.b.ints(target)])


def cat(ex, node, inputs):
    return ex.b.node("Concat", [operand(ex, node, inputs, i) for i in range(len(inputs))], axis=node.axis)


def stack(ex, node, inputs):
    parts = [ex.b.unsqueeze(operand(ex, node, inputs, i), [node.axis]) for i in range(len(inputs))]
    return ex.b.node("Concat", parts, axis=node.axis)


def cast(ex, node, inputs):
    from onnx import helper

    return ex.b.node("Cast", [inputs[0]], dtype=node.dtype, to=helper.np_dtype_to_tensor_dtype(np.dtype(node.dtype)))


def getitem(ex, node, inputs):
    """Basic indexing (ints, slices, None, Ellipsis): Slice, then Squeeze the int axes and
    Unsqueeze the new ones. Slices that keep a whole axis emit nothing for it, so a free
    batch axis stays free under `x[:, 0]`."""
    b, in_shape = ex.b, node.in_shape
    index = node.index if isinstance(node.index, tuple) else (node.index,)
    if not all(isinstance(p, (int, np.integer, slice)) or p is None or p is Ellipsis for p in index):
        raise NotImplementedError(f"memograd.onnx.export: {op_name(node)} with an integer-array or boolean index "
                                  "has no ONNX translation (only ints, slices, None and ...)")
    n_real = sum(p is not None and p is not Ellipsis for p in index)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (len(in_shape) - n_real) + index[at + 1:]
    starts, ends, axes, steps, dropped, added = [], [], [], [], [], []
    axis = out_axis = 0
    for part in index:
        if part is None:
            added.append(out_axis)
            out_axis += 1
            continue
        n = in_shape[axis]
        if isinstance(part, slice):
            if part != slice(None):
                start, stop, step = part.indices(n)
                if step < 0 and stop < 0:
                    stop = -(2 ** 63)  # "before the first element" when walking backwards
                starts, ends, axes, steps = starts + [start], ends + [stop], axes + [axis], steps + [step]
            out_axis += 1
        else:
            i = int(part) % n
            starts, ends, axes, steps = starts + [i], ends + [i + 1], axes + [axis], steps + [1]
            dropped.append(axis)
        axis += 1
    x = inputs[0]
    if axes:
        x = b.node("Slice", [x, b.ints(starts, "starts"), b.ints(ends, "ends"), b.ints(axes, "axes"),
                             b.ints(steps, "steps")])
    if dropped:
        x = b.squeeze(x, dropped)
    if added:
        x = b.unsqueeze(x, added)
    return x


# ---- layers' ops, when called as functions ---------------------------------------------------


def linear(ex, node, inputs):
    """F.linear. A bias that is a constant (not a parameter) is not kept by the op: an empty
    bias edge is read as "no bias", which is what nn.Linear(bias=False) records."""
    x_saved = node.saved[0]
    bias = inputs[2] if len(inputs) > 2 else None
    return gemm(ex.b, inputs[0], operand(ex, node, inputs, 1), bias, np.ndim(x_saved))


def conv2d(ex, node, inputs):
    kernel = tuple(node.saved[1].shape[2:])
    bias = inputs[2] if len(inputs) > 2 else None
    return conv(ex.b, inputs[0], operand(ex, node, inputs, 1), bias, kernel, node.geo)


def max_pool(ex, node, inputs):
    (sh, sw), (pt, pb, pl, pr), (dh, dw) = node.geo
    floor_hw = tuple((n + p0 + p1 - d * (k - 1) - 1) // s + 1 for n, k, s, p0, p1, d in zip(
        node.in_shape[2:], node.kernel, (sh, sw), (pt, pl), (pb, pr), (dh, dw)))
    return ex.b.node("MaxPool", [inputs[0]], kernel_shape=list(node.kernel), strides=[sh, sw],
                     pads=[pt, pl, pb, pr], dilations=[dh, dw], ceil_mode=int(tuple(node.out_hw) != floor_hw))


def window_sum(ex, node, inputs):
    """The sum of each window (average pooling before its division): the padded mean times
    the window size."""
    (sh, sw), (pt, pb, pl, pr), _ = node.geo
    kh, kw = node.kernel
    mean = ex.b.node("AveragePool", [inputs[0]], kernel_shape=[kh, kw], strides=[sh, sw],
                     pads=[pt, pl, pb, pr], count_include_pad=1)
    return ex.b.scaled(mean, float(kh * kw))


# ---- fused ops (ops/gelu.py, normalization.py, attention.py) -------------------------------------------


def layer_norm(ex, node, inputs):
    b, x = ex.b, inputs[0]
    shape = tuple(node.saved[0].shape[-node.ndim:])
    weight, bias = node.saved[1], node.saved[2]
    scale = operand(ex, node, inputs, 1) if weight is not None else b.constant(np.ones(shape), b.dtypes[x], "ones")
    shift = [operand(ex, node, inputs, 2)] if bias is not None else []
    return b.node("LayerNormalization", [x, scale] + shift, axis=-node.ndim, epsilon=float(node.eps))


def attention(ex, node, inputs):
    """softmax(q k^T * scale + mask) v; the mask (causal, bool or float) becomes an added
    constant of 0 and -inf. (A query whose keys are all masked gives NaN in ONNX, 0 here.)"""
    b = ex.b
    q, k, v = (operand(ex, node, inputs, i) for i in range(3))
    rank = np.ndim(node.saved[1])
    key_t = b.node("Transpose", [k], perm=list(range(rank - 2)) + [rank - 1, rank - 2])
    scores = b.node("MatMul", [b.scaled(q, float(node.scale)), key_t])
    mask = node.mask
    if node.causal:
        length, keys = node.saved[0].shape[-2], node.saved[1].shape[-2]
        mask = np.tril(np.ones((length, keys), dtype=bool))
    if mask is not None:
        added = np.where(mask, 0.0, -np.inf) if mask.dtype == bool else mask
        scores = b.node("Add", [scores, b.constant(added, b.dtypes[scores], "mask")])
    return b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])


OPS = {
    "Add": binary("Add"), "Sub": binary("Sub"), "Mul": binary("Mul"), "Div": binary("Div"),
    "Pow": binary("Pow"), "MatMul": binary("MatMul"), "Maximum": binary("Max"), "Minimum": binary("Min"),
    "Neg": unary("Neg"), "Exp": unary("Exp"), "Log": unary("Log"), "Sqrt": unary("Sqrt"),
    "Reciprocal": unary("Reciprocal"), "Sin": unary("Sin"), "Cos": unary("Cos"), "Tanh": unary("Tanh"),
    "Sigmoid": unary("Sigmoid"), "Relu": unary("Relu"), "Abs": unary("Abs"),
    "Sign": unary("Sign"), "Erf": unary("Erf"), "Clone": unary("Identity"), "Rsqrt": rsqrt, "Log1p": log1p,
    "Gelu": lambda ex, node, inputs: gelu(ex.b, inputs[0], "none"),
    "Softplus": lambda ex, node, inputs: softplus(ex.b, inputs[0], float(node.beta), float(node.threshold)),
    "Softmax": softmax("Softmax"), "LogSoftmax": softmax("LogSoftmax"),
    "Sum": reduction("ReduceSum"), "Mean": reduction("ReduceMean"), "Amax": reduction("ReduceMax"),
    "Amin": reduction("ReduceMin"), "LogSumExp": reduction("ReduceLogSumExp"),
    "Reshape": reshape, "Permute": permute, "Expand": expand, "Cat": cat, "Stack": stack, "Cast": cast,
    "GetItem": getitem, "View": getitem,
    "Linear": linear, "Conv2d": conv2d, "MaxPool2d": max_pool, "WindowSum": window_sum,
    "FusedGelu": lambda ex, node, inputs: gelu(ex.b, inputs[0], "none"), "LayerNorm": layer_norm,
    "ScaledDotProductAttention": attention,
}

# Ops whose settings the recorded graph does not keep: the layer form is translated instead.
HINTS = {
    "LeakyRelu": "the op does not keep its slope; use nn.LeakyReLU",
    "Clamp": "the op does not keep its bounds",
    "Where": "the op does not keep its constant branches",
    "LSTMSequence": "nn.LSTM's layer (one fused op) has no ONNX translation yet",
}


def translation_of(node):
    name = op_name(node)
    if name not in OPS:
        hint = HINTS.get(name, "")
        raise NotImplementedError(f"memograd.onnx.export: the op {name} has no ONNX translation"
                                  + (f" ({hint})" if hint else ""))
    return OPS[name]
