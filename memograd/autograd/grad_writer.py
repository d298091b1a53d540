"""The one writer of `.grad`: after a backward pass has succeeded, each gradient that reached
a leaf (or a tensor that retains its gradient) is added into that tensor's `.grad`. Eager
steps call `write_grads`; memograd.compile's replays call the same three primitives below,
in the branch that eager took while recording."""
from __future__ import annotations

from . import function, hooks
from .function import AccumulateGrad
from .modes import modes


def write_grads(kept: dict, create_graph: bool, owners: dict | None = None) -> None:
    """Add each kept gradient into its tensor's `.grad` (the leaf's or retained tensor's, or the
    one `owners` names for the node, for `backward(inputs=...)`), then run post-accumulate hooks."""
    delivered = set()  # ids of arrays already stored as some tensor's .grad in this pass
    leaves = []
    for node, grad in kept.items():
        if owners is not None:
            tensor = owners[node]
        else:
            tensor = node.leaf_ref() if type(node) is AccumulateGrad else node.retained
        if tensor is None:  # the leaf died; nothing wants its gradient
            continue
        deposit(tensor, grad, create_graph, delivered)
        leaves.append(tensor)
    if hooks.post_accumulate_hooks:
        hooks.run_post_accumulate_hooks(leaves)


def deposit(tensor, grad, create_graph: bool, delivered: set) -> None:
    """Add `grad` into `tensor.grad`. Gradient arrays are only ever shared between gradients
    (rules never write into them), so one is stored as it is unless its memory already
    backs another `.grad` of this pass, or is read-only (a broadcast): then it is copied,
    so that later in-place updates of one `.grad` never change another."""
    if create_graph:
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        return
    owner = id(grad if grad.base is None else grad.base)
    arrived = grad
    if owner in delivered or not grad.flags.writeable:
        grad = grad.copy()
        owner = id(grad)
    existing = tensor.grad
    if modes.recorder is not None:  # memograd.compile records where this gradient goes
        modes.recorder.deposit(tensor, arrived, grad is not arrived, existing)
    if existing is None:
        delivered.add(owner)
        set_grad(tensor, grad)
    elif not existing._requires_grad and existing._data.flags.writeable and existing.shape == grad.shape:
        add_to_grad(tensor, grad)
    else:
        sum_into_grad(tensor, grad)


def set_grad(tensor, grad) -> None:
    """`tensor.grad` becomes `grad` (keeping the `.grad` tensor object if there is one)."""
    held = tensor.grad
    if held is None:
        tensor.grad = function.Tensor._make(grad, None)
    else:
        held._data = grad


def add_to_grad(tensor, grad) -> None:
    """`tensor.grad += grad`, in place."""
    held = tensor.grad
    if held is None:  # cleared between replays: start from a copy, never from a shared array
        tensor.grad = function.Tensor._make(grad.copy(), None)
    else:
        held._data += grad


def sum_into_grad(tensor, grad) -> None:
    """`tensor.grad = tensor.grad + grad`, a new array (when it cannot be added in place)."""
    held = tensor.grad
    tensor.grad = function.Tensor._make(grad.copy() if held is None else held._data + grad, None)
