"""A gradient that is zero except in one block: what a basic-indexing view (`x[2:5]`, the pieces
of `split` and `chunk`) sends back to its input.

Written out, each piece's gradient is a zero array of the input's shape with the piece's values
in their place, and the engine then adds those full-size arrays: for the three pieces q, k, v of
a GPT block's (32, 64, 384) projection, three 3 MiB zero arrays and two 3 MiB sums per layer. The
engine keeps such gradients as Placed while only they reach a slot, and writes them into ONE
zero array when the node runs: ((0 + a) + b) + c at every element, the sum the full-size arrays
gave, so the same bits. (Not used when backward is observed or builds a graph: then every
gradient is an ordinary array.)"""
from __future__ import annotations

from ..backend import array_module


class Placed:
    """zeros(shape) plus `values` at `index` for each (index, values) in `parts` (basic indices)."""

    __slots__ = ("dtype", "parts", "shape")

    def __init__(self, shape: tuple, index, values):
        self.shape, self.dtype, self.parts = shape, values.dtype, [(index, values)]

    def plus(self, other: Placed) -> Placed:
        """This sum with `other`'s parts added after its own (this object is changed and returned)."""
        self.parts.extend(other.parts)
        return self

    def dense(self):
        (index, values), *rest = self.parts
        out = array_module(values).zeros(self.shape, dtype=self.dtype)
        out[index] = values
        for index, values in rest:
            out[index] += values
        return out


def dense(grad):
    """`grad` as an array (a Placed written out)."""
    return grad.dense() if type(grad) is Placed else grad
