"""Run the model's forward once and collect what the exporter translates.

The forward runs in eval mode with grad recording on and every floating parameter, buffer
and input marked `requires_grad`, so every op that depends on any of them leaves a node.
From the outputs, the exporter then walks the recorded graph backwards through the public
links only: `tensor.grad_fn`, `node.next_functions`, and `.variable` on the nodes of leaves.

The layers that `layers.LAYERS` translates whole are watched while the forward runs (their
instance's `forward` is wrapped for the duration): each call is remembered by the node of its
output. The walk stops at such a node and continues from the layer's input instead, so the
ops inside a translated layer are never looked at."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .layers import translation_of


@dataclass
class LayerCall:
    module: object
    translate: object
    inputs: tuple   # the tensors (or other values) the layer was called with
    output: Tensor


@contextmanager
def watching_layers(model, calls: dict):
    """Wrap the forward of every translatable layer in `model`; `calls` collects
    {id(output node): LayerCall}."""
    wrapped = []
    for module in model.modules():
        translate = translation_of(module)
        if translate is None or "forward" in module.__dict__:
            continue
        original = module.forward

        def forward(*args, _original=original, _module=module, _translate=translate, **kwargs):
            out = _original(*args, **kwargs)
            node = out.grad_fn if isinstance(out, Tensor) else None
            passes_through = any(isinstance(a, Tensor) and (a is out or a.grad_fn is node) for a in args)
            if node is not None and not passes_through and not kwargs:
                calls[id(node)] = LayerCall(_module, _translate, args, out)
            return out

        module.__dict__["forward"] = forward
        wrapped.append(module)
    try:
        yield
    finally:
        for module in wrapped:
            module.__dict__.pop("forward", None)


@contextmanager
def recording(model, inputs: list):
    """Eval mode, grad recording on, floating parameters and buffers requiring grad; all
    restored afterwards. Yields the inputs to call the model with: floating inputs detached
    and requiring grad (the graph then starts at them), others as given."""
    modes = [(m, m.training) for m in model.modules()]
    tensors = [t for t in list(model.parameters()) + list(model.buffers()) if t.dtype.kind == "f"]
    flags = [(t, t.requires_grad) for t in tensors]
    try:
        model.eval()
        for t in tensors:
            t.requires_grad_(True)
        traced = [x.detach().requires_grad_(True) if isinstance(x, Tensor) and x.dtype.kind == "f" else x
                  for x in inputs]
        with enable_grad():
            yield traced
    finally:
        for t, flag in flags:
            t.requires_grad_(flag)
        for m, mode in modes:
            m.training = mode


# ---- the walk ------------------------------------------------------------------------------


def key_of(value):
    """What the walk visits for a value: the node that made a tensor, the tensor itself for a
    leaf, and None for anything else (a constant)."""
    if not isinstance(value, Tensor):
        return None
    return value.grad_fn if value.grad_fn is not None else value


def edge_key(edge):
    """A `next_functions` entry: None (a constant), a leaf's node (-> the leaf), or an op."""
    if edge is None:
        return None
    leaf = getattr(edge, "variable", None)
    return leaf if leaf is not None else edge


def children(item, calls: dict) -> list:
    if isinstance(item, Tensor):
        return []
    call = calls.get(id(item))
    if call is not None:
        return [key_of(v) for v in call.inputs]
    return [edge_key(e) for e, _ in item.next_functions]


def walk(outputs: list, calls: dict) -> list:
    """Every item reachable from the outputs, each after all of its inputs, as
    (item, [child keys]). Iterative, so any depth works."""
    order, seen = [], set()
    stack = []
    for out in outputs:
        root = key_of(out)
        if root is not None and id(root) not in seen:
            seen.add(id(root))
            stack.append((root, children(root, calls), 0))
        while stack:
            item, kids, i = stack.pop()
            while i < len(kids) and (kids[i] is None or id(kids[i]) in seen):
                i += 1
            if i == len(kids):
                order.append((item, kids))
                continue
            stack.append((item, kids, i + 1))
            child = kids[i]
            seen.add(id(child))
            stack.append((child, children(child, calls), 0))
    return order
