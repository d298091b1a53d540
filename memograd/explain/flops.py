"""Floating-point operation estimates for one vector-Jacobian product, from shapes alone.

Estimates, not measurements: what matters for the naive-versus-backprop comparison is that
both sides are counted with the same ruler. Each op states its own cost next to its backward
(memograd.ops): most rules cost a fixed number of operations per element, written as the class
attribute `backward_flops_per_element` (tanh's rule, grad * (1 - out * out), is 3; an add's
rule passes the gradient through, 0); the ops whose cost depends on shapes (a product of an
(m, k) and a (k, n) matrix costs 2*m*k*n) say so in a static method `backward_flops(ctx, i)`.
This module only reads them, and adds what the engine does around every rule: a gradient
summed back over broadcast axes costs one add per element."""
from __future__ import annotations

import math

# Nodes that state no cost (user-defined Functions): one operation per element.
DEFAULT_PER_ELEMENT = 1


def size(shape) -> int:
    return math.prod(shape) if shape is not None else 0


def vjp_flops(node, i: int) -> int:
    """Estimated FLOPs for `node`'s rule to produce the gradient of its input `i`, including
    the sum that brings a broadcast gradient back to the input's shape."""
    op = type(node)
    by_shape = getattr(op, "backward_flops", None)
    if by_shape is not None:  # the op counts everything itself
        return by_shape(node, i)
    child = node.next[i]
    out_size = size(node.shape)
    in_size = size(child.shape) if child is not None else 0
    flops = getattr(op, "backward_flops_per_element", DEFAULT_PER_ELEMENT) * max(out_size, in_size)
    if child is not None and in_size < out_size:
        flops += out_size  # summing the broadcast axes away
    return flops


def sum_flops(shape, contributions: int) -> int:
    """Adding `contributions` gradients of `shape` into one slot costs (contributions - 1) adds per element."""
    return max(contributions - 1, 0) * size(shape)
