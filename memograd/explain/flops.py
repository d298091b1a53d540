"""Floating-point operation estimates for one vector-Jacobian product, from shapes alone.

Estimates, not measurements: what matters for the naive-versus-backprop comparison is that
both sides are counted with the same ruler. A product of an (m, k) and a (k, n) matrix costs
2*m*k*n (one multiply and one add per term); an elementwise rule costs a few operations per
element; a gradient summed back over broadcast axes costs one add per element."""
from __future__ import annotations

import math

# Operations per output element for the elementwise and reduction rules: tanh's rule is
# grad * (1 - out * out), three operations; an add's rule passes the gradient through.
PER_ELEMENT = {
    "Add": 0, "Sub": 1, "Neg": 1, "Mul": 1, "Div": 3, "Pow": 4, "Maximum": 1, "Minimum": 1,
    "Exp": 1, "Log": 1, "Log1p": 2, "Sqrt": 2, "Rsqrt": 3, "Reciprocal": 3, "Sin": 2, "Cos": 2,
    "Tanh": 3, "Sigmoid": 3, "Relu": 1, "LeakyRelu": 2, "Gelu": 8, "Softplus": 4, "Erf": 4,
    "Abs": 1, "Sign": 0, "Clamp": 1, "Sum": 0, "Mean": 1, "Softmax": 4, "LogSoftmax": 3,
    "Reshape": 0, "Permute": 0, "Expand": 1, "View": 0, "GetItem": 1, "Clone": 0, "Cast": 1,
}
DEFAULT_PER_ELEMENT = 1


def size(shape) -> int:
    return math.prod(shape) if shape is not None else 0


def vjp_flops(node, i: int) -> int:
    """Estimated FLOPs for `node`'s rule to produce the gradient of its input `i`, including
    the sum that brings a broadcast gradient back to the input's shape."""
    child = node.next[i]
    out_size = size(node.shape)
    in_shape = child.shape if child is not None else None
    name = type(node).__name__
    if name == "MatMul":
        flops = 2 * out_size * _inner_dim(node, i)
    elif name == "Linear":
        flops = out_size if i == 2 else 2 * out_size * _linear_in(node)
    elif name == "Conv2d":
        weight = node.next[1].shape if node.next[1] is not None else None
        per_out = size(weight[1:]) if weight is not None else 1
        flops = out_size if i == 2 else 2 * out_size * per_out
    else:
        per = PER_ELEMENT.get(name, DEFAULT_PER_ELEMENT)
        flops = per * max(out_size, size(in_shape))
    if in_shape is not None and size(in_shape) < out_size and name not in ("MatMul", "Linear", "Conv2d"):
        flops += out_size  # summing the broadcast axes away
    return flops


def sum_flops(shape, contributions: int) -> int:
    """Adding `contributions` gradients of `shape` into one slot costs (contributions - 1) adds per element."""
    return max(contributions - 1, 0) * size(shape)


def _inner_dim(node, i: int) -> int:
    """The contracted length k of a matmul, read from whichever operand's shape is known."""
    a_edge, b_edge = node.next
    if a_edge is not None and len(a_edge.shape):
        return a_edge.shape[-1]
    if b_edge is not None and len(b_edge.shape):
        return b_edge.shape[-2] if len(b_edge.shape) > 1 else b_edge.shape[0]
    return 1


def _linear_in(node) -> int:
    for edge, axis in ((node.next[0], -1), (node.next[1], 1)):
        if edge is not None and len(edge.shape):
            return edge.shape[axis]
    return 1
