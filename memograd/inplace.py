"""In-place ops: `+= -= *= /=`, the methods ending in `_`, and `x[index] = value`.

An in-place op writes into the tensor's own memory, so every alias (its base, its views, its
`detach()`es) sees the change, and bumps the version counter they share: a node that saved the
old values then refuses to run backward, as in PyTorch, instead of returning a wrong gradient.

While recording, the op is also recorded as PyTorch does: its node takes the tensor's old
history as input and becomes the tensor's `grad_fn`; through a view, the view's base gets the
new history instead (`autograd.views.copy_slices`), and every other view of that base follows.
Under `no_grad()` (an optimizer step, a manual update) only the memory changes."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .autograd import function, views
from .autograd.modes import modes
from .autograd.version import CLOCK
from .ops import arith, convert, indexing

_new = object.__new__


def apply(tensor, cls, others: tuple, name: str, **params):
    """tensor <- cls(tensor, *others, **params), written into tensor's memory."""
    check_writable(tensor, name)
    if not _recording(tensor, others):
        ctx = _new(cls)
        ctx.saved = ()
        try:
            out = cls.forward(ctx, tensor._data, *(_array(o) for o in others), **params)
        except (ValueError, TypeError, IndexError) as err:
            raise _plain(err)(f"{name}: cannot write {', '.join(_describe(o) for o in others)} into "
                            f"{_describe_target(tensor)}: {err}") from None
        write(tensor, out, name)
        return tensor
    _check_history(tensor, name)
    result = cls.apply(tensor, *others, **params)
    node = result._grad_fn
    if node is None:  # an integer result records nothing
        write(tensor, result._data, name)
        return tensor
    _keep_saved_values(node, tensor, result._data)
    write(tensor, result._data, name)
    node.stamp = CLOCK.now
    node.dtype = tensor._data.dtype
    if tensor._view is None:
        tensor._grad_fn = node
        tensor._requires_grad = True
    else:
        views.copy_slices(tensor, node)
    return tensor


def update(tensor, ufunc, other, name: str):
    """tensor = ufunc(tensor, other) for + - * /: NumPy writes straight into the memory when
    nothing records (the hot path of manual updates)."""
    check_result_dtype(tensor, _array(other), ufunc, name)
    if _recording(tensor, (other,)):
        return apply(tensor, _RECORDED[ufunc], (other,), name)
    check_writable(tensor, name)
    value = _array(other)
    try:
        ufunc(tensor._data, value, out=tensor._data, casting="same_kind")
    except (ValueError, TypeError) as err:
        raise _plain(err)(f"{name}: cannot update a tensor of shape {tensor.shape} and dtype {tensor.dtype} "
                        f"with {_describe(value)}: {err}") from None
    if modes.recorder is not None:  # memograd.compile records the write
        modes.recorder.inplace(ufunc, tensor, value)
    bump_version(tensor)
    return tensor


def setitem(tensor, index, value):
    """`tensor[index] = value`. Basic indexing writes through a view (`tensor[index].copy_(value)`,
    as PyTorch does); integer-array and boolean indexing put the values in place as one op."""
    index = indexing.normalize_index(index)
    if indexing.is_basic(index):
        apply(indexing.View.apply(tensor, index=index), convert.Assign, (value,), "__setitem__")
    else:
        apply(tensor, indexing.IndexPut, (value,), "__setitem__", index=index)


def write(tensor, out, name: str) -> None:
    """Copy `out` into tensor's memory (unless the op wrote it there itself) and bump the version."""
    if out is tensor._data:
        bump_version(tensor)
        return
    try:
        np.copyto(tensor._data, out, casting="same_kind")
    except (ValueError, TypeError) as err:
        raise _plain(err)(f"{name}: a result of shape {_describe(out)} cannot be written in place into "
                        f"{_describe_target(tensor)}: {err}") from None
    if modes.recorder is not None:
        modes.recorder.setitem(tensor, Ellipsis, out)
    bump_version(tensor)


def write_out(out, result, name: str):
    """`torch.fn(..., out=out)`: no history (PyTorch refuses out= while recording a tensor that
    requires grad); the values go into out's memory, or out takes the result's shape."""
    if modes.grad_enabled and (out.requires_grad or result.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out.shape != result.shape:
        out._data = result._data.astype(out.dtype, copy=False)
        bump_version(out)
        return out
    write(out, result._data, name)
    return out


def check_result_dtype(tensor, value, ufunc, name: str) -> None:
    """As PyTorch: an in-place op may not write a result of a higher category into the tensor
    (`int_tensor += 1.5`, `int_tensor /= 2`, `bool_tensor += 1`); a lower one is cast."""
    result = arith.result_type(tensor._data, value)
    if result is None:
        return
    if ufunc is np.true_divide and result.kind != "f":
        result = dtypes.get_default_dtype()
    if not arith.can_cast(result, tensor._data.dtype):
        raise RuntimeError(f"{name}: result type {result} can't be cast to the desired output type "
                           f"{tensor._data.dtype}")


def bump_version(tensor) -> None:
    """Record that the memory behind `tensor` changed (its views and detach()es share the count)."""
    tensor._shared_counter().bump()


def check_writable(tensor, name: str) -> None:
    array = tensor._data
    if array.size and any(step == 0 and n > 1 for step, n in zip(array.strides, array.shape)):
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor (shape "
            f"{tensor.shape}) refers to a single memory location (an expand()ed tensor). Please clone() "
            "the tensor before performing the operation.")


def _recording(tensor, others) -> bool:
    if not modes.grad_enabled:
        return False
    return tensor.requires_grad or any(isinstance(o, function.Tensor) and o.requires_grad for o in others)


def _check_history(tensor, name: str) -> None:
    """The in-place changes PyTorch refuses while recording."""
    info = tensor._view
    if info is None:
        if tensor._requires_grad and tensor._grad_fn is None:
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an in-place "
                               "operation; wrap the update in `with memograd.no_grad():`")
        return
    base = info.base
    if base._requires_grad and base._grad_fn is None:
        raise RuntimeError(f"{name}: a view of a leaf Variable that requires grad is being used in an in-place "
                           "operation; wrap the update in `with memograd.no_grad():`")
    if info.multi and base._requires_grad:
        raise RuntimeError(
            f"{name}: this view is one of several outputs of split/chunk/unbind, and such views may not be "
            "modified in place while recording; clone() the output first (as in PyTorch)")


def _keep_saved_values(node, tensor, out) -> None:
    """The op's node may have saved the tensor's old values, which are about to be overwritten:
    keep a copy of those (PyTorch's original_self). A saved output becomes the tensor's own
    memory, watched by its version counter, as when PyTorch saves an in-place op's result."""
    memory = tensor._data
    if node.saves_inputs:
        saved, sources = list(node.saved), list(node.saved_src)
        for i, value in enumerate(saved):
            if isinstance(value, np.ndarray) and value is not out and np.may_share_memory(value, memory):
                saved[i] = value.copy()
                if i < len(sources) and sources[i] is tensor:
                    # the old value keeps its old history, so that a gradient of this node's
                    # gradient (create_graph) flows into it, as through PyTorch's original_self
                    sources[i] = function.Tensor._make(saved[i], tensor._grad_fn)
        node.saved, node.saved_src = tuple(saved), tuple(sources)
    if node.guards_output:
        if node.saves_output and node.saved and node.saved[-1] is out:
            node.saved = node.saved[:-1] + (memory,)
        node.out_counter = tensor._shared_counter()


def _plain(err: Exception) -> type:
    """The built-in type of `err` to re-raise with a new message (NumPy's own subclasses, such as
    its casting errors, cannot be built from a message alone)."""
    for kind in (IndexError, TypeError, ValueError):
        if isinstance(err, kind):
            return kind
    return RuntimeError


def _array(value):
    return value._data if isinstance(value, function.Tensor) else value


def _describe_target(tensor) -> str:
    seen = f"a tensor of shape {tuple(tensor.shape)} and dtype {tensor.dtype}"
    if tensor._view is not None:
        seen += f" (a view of a tensor of shape {tuple(tensor._view.base.shape)})"
    return seen


def _describe(value) -> str:
    return str(tuple(value.shape)) if hasattr(value, "shape") else type(value).__name__


_RECORDED = {np.add: arith.Add, np.subtract: arith.Sub, np.multiply: arith.Mul, np.true_divide: arith.Div}
