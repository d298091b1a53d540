"""In-place updates: `+= -= *= /=`, `add_ sub_ mul_ div_ copy_ fill_ clamp_`, `x[i] = v`.

When nothing needs recording (inside `no_grad()`, or no tensor involved requires grad) the
array is written in place, so views see the change and the usual manual step
`with no_grad(): w -= lr * w.grad` touches no graph. The write bumps the tensor's version:
a node that saved this tensor for backward then refuses to use the stale value.

When the update must be recorded, it is computed out of place and the tensor is rebound to
the result (its `grad_fn` becomes the update's node); the arrays saved by earlier nodes stay
intact, so gradients remain correct."""
from __future__ import annotations
from .autograd.modes import modes

import numpy as np

from .autograd import function, grad_mode, compile_hooks
from .autograd.function import tick
from .backend import array_module
from .ops import arith, indexing
from .ops.select import Where
from .ops.shape import expand


def _needs_recording(tensor, other) -> bool:
    return modes.grad_enabled and (
        tensor._requires_grad or (isinstance(other, function.Tensor) and other._requires_grad)
    )


def _check_leaf(tensor, op: str) -> None:
    if tensor._requires_grad and tensor.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad cannot be changed in place while recording; "
            "wrap the update in `with memograd.no_grad():`"
        )


_RECORDED = {np.add: arith.Add, np.subtract: arith.Sub, np.multiply: arith.Mul, np.true_divide: arith.Div}


def update(tensor, ufunc, other, op: str):
    """tensor = ufunc(tensor, other), in place."""
    if _needs_recording(tensor, other):
        _check_leaf(tensor, op)
        return _rebind(tensor, _RECORDED[ufunc].apply(tensor, other))
    value = other._data if isinstance(other, function.Tensor) else other
    try:
        ufunc(tensor._data, value, out=tensor._data, casting="same_kind")
    except (ValueError, TypeError) as err:
        raise type(err)(f"{op}: cannot update a tensor of shape {tensor.shape} and dtype {tensor.dtype} "
                        f"with {getattr(value, 'shape', type(value).__name__)}: {err}") from None
    if modes.recorder is not None:  # memograd.compile records the write
        modes.recorder.inplace(ufunc, tensor, value)
    bump_version(tensor)
    return tensor


def assign(tensor, value, op: str):
    """tensor[...] = value (broadcast), in place."""
    return setitem(tensor, Ellipsis, value, op)


def setitem(tensor, index, value, op: str = "__setitem__"):
    index = indexing.normalize_index(index)
    if _needs_recording(tensor, value):
        _check_leaf(tensor, op)
        xp = array_module(tensor._data)
        keep = xp.ones(tensor.shape, dtype=bool)
        keep[index] = False
        placed = indexing.IndexAdd.apply(_expand_value(value, tensor, index), shape=tensor.shape, index=index)
        return _rebind(tensor, Where.apply(keep, tensor, placed))
    value = value._data if isinstance(value, function.Tensor) else value
    try:
        tensor._data[index] = value
    except (ValueError, IndexError, TypeError) as err:
        raise type(err)(f"{op}: cannot write {getattr(value, 'shape', type(value).__name__)} "
                        f"into index {indexing.describe(index)} of a tensor of shape {tensor.shape}: {err}") from None
    if modes.recorder is not None:
        modes.recorder.setitem(tensor, index, value)
    bump_version(tensor)
    return tensor


def _expand_value(value, tensor, index):
    """The value broadcast to the shape `tensor[index]` has."""
    target = tensor._data[index].shape
    if not isinstance(value, function.Tensor):
        return np.broadcast_to(np.asarray(value, dtype=tensor.dtype), target).copy()
    return value if value.shape == target else expand(value, *target)


def _rebind(tensor, result):
    tensor._data = result._data
    tensor.grad_fn = result.grad_fn
    tensor._requires_grad = result._requires_grad
    tensor._base = None
    # No version bump: the old memory, which earlier nodes may have saved, is left intact,
    # and the tensor now owns fresh memory. Bumping would make those nodes refuse to run.
    return tensor


def bump_version(tensor) -> None:
    """Record that the memory behind `tensor` changed (views share their base's version).
    A node whose saved *output* is this memory is marked stale as well."""
    root = tensor._root()
    root._version = tick()
    for t in (tensor, root):
        node = t.grad_fn
        if node is not None and node.saves_output and node.saved:
            node.stamp = -1
