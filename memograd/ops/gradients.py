"""Fitting a gradient to the input it flows to: the engine sums it over the axes that input was
broadcast along (`sum_to`) and casts it to the input's dtype (`cast`), so that no backward rule
repeats that bookkeeping.

The engine's gradients are arrays in plain backprop and tensors under `create_graph=True`
(where they are the outputs of graph rules), so both helpers take either."""
from __future__ import annotations

from ..autograd import function


def sum_to(grad, shape: tuple):
    """Undo broadcasting: sum `grad` down to `shape`. The one place where a broadcast
    input's gradient is reduced back to that input's shape."""
    lead = len(grad.shape) - len(shape)
    if lead:  # summing leading axes away gives a fresh array, not a view
        grad = grad.sum(axis=tuple(range(lead)))
    kept = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if kept:
        grad = grad.sum(axis=kept, keepdims=True)
    return grad


def cast(grad, dtype):
    """`grad` as `dtype` (a Cast node under create_graph, so the cast is differentiated too)."""
    if grad.dtype == dtype:
        return grad
    if isinstance(grad, function.Tensor):
        return grad.to(dtype)
    return grad.astype(dtype)
