"""Layer by layer: what each layer's derivative needs, and what backprop reuses to get it.

The chapter's argument in one table. The output layer's derivative needs the loss's
derivative; a hidden layer's needs the derivatives of every layer after it. Backprop stores
d(loss)/d(output of layer j) the first time it is computed, so layer i only runs the few
VJPs between the *nearest* stored gradients and its own output; recomputing from the loss
would run every VJP on every path from the loss again ("VJPs if recomputed")."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .dot import to_dot
from .graph import Graph, shape_text
from .naive import path_counts
from .observe import observed_backward
from .table import render


@dataclass
class LayerRow:
    index: int
    name: str
    output_shape: tuple
    grad_shape: tuple | None       # shape of d(loss)/d(layer output); None: no gradient flows
    grad_norm: float | None
    needs: str                     # what the chain rule needs for this derivative
    reuses: list[str]              # the stored gradients it was computed from
    new_vjps: int                  # VJPs run on top of them (backprop with DP)
    vjps_from_loss: int            # VJPs on all paths from the loss (recomputing, no DP)
    param_grad_norms: dict = field(default_factory=dict)


@dataclass
class LayerReport:
    rows: list[LayerRow]
    loss: object
    outputs: list                  # each layer's output tensor
    segments: dict                 # caption -> the nodes a layer (or the loss) recorded
    param_names: dict              # leaf node -> name
    model: object = None           # kept so the parameters (weakly held by the graph) stay alive

    def format(self) -> str:
        body = [[r.index, r.name, shape_text(r.output_shape), shape_text(r.grad_shape) if r.grad_shape else "-",
                 r.grad_norm, r.needs, ", ".join(r.reuses) or "-", r.new_vjps, r.vjps_from_loss]
                for r in self.rows]
        total_new = sum(r.new_vjps for r in self.rows)
        total_naive = sum(r.vjps_from_loss for r in self.rows)
        summary = (f"layer-output derivatives: {total_new} VJPs with stored gradients, "
                   f"{total_naive} if each were recomputed from the loss")
        footer = ["", summary]
        return render(["layer", "name", "output", "dL/d(output)", "|grad|", "needs", "reuses (stored)",
                       "new VJPs", "VJPs if recomputed"], body,
                      title="Derivatives layer by layer (backprop runs the table bottom-up)",
                      footer=footer, align="rllrrllrr")

    def to_dot(self, **options) -> str:
        """The graph with one box per layer and each stored layer-output gradient in red."""
        return to_dot(self.loss, **_layer_dot_options(self, options))

    def draw(self, path, **options) -> str:
        from .dot import draw

        return draw(self.loss, path, **_layer_dot_options(self, options))


def layer_derivatives(model, x, y, loss_fn) -> LayerReport:
    """Run `model` (an iterable of callable layers: a list, nn.Sequential...) on `x` layer by
    layer, compute `loss_fn(output, y)`, run the engine's backward pass (graph retained,
    `.grad` untouched) and report each layer's output derivative.

    >>> from memograd.explain.demo import mlp, regression_batch, mse
    >>> x, y = regression_batch(4, 3)
    >>> report = layer_derivatives(mlp([3, 5, 1]), x, y, mse)
    >>> [(r.name, r.reuses) for r in report.rows]
    [('Affine(3, 5)', ['out 1']), ('Tanh', ['out 2']), ('Affine(5, 1)', ['loss'])]
    """
    layers = _layers(model)
    names = _layer_names(model, layers)
    outputs = []
    h = x
    for layer in layers:
        h = layer(h)
        outputs.append(h)
    loss = loss_fn(h, y)
    graph = Graph(loss)
    param_names = _param_names(model, layers)

    marks: dict = {}  # node -> caption of the stored gradient it holds
    for i, out in enumerate(outputs):
        if getattr(out, "requires_grad", False):
            marks[out._node] = f"out {i}"
    marks.setdefault(graph.root, "loss")
    grads: dict = {}

    def keep(node, grad, grads_in):
        grads[node] = grad

    observed_backward(loss, keep, retain_graph=True, graph=graph)
    _, steps, _ = path_counts(graph)
    segments = layer_segments(graph, outputs, names)

    rows = []
    last = len(layers) - 1
    for i, (layer, out) in enumerate(zip(layers, outputs)):
        node = out._node if getattr(out, "requires_grad", False) else None
        grad = grads.get(node) if node is not None else None
        reuses, new_vjps = _nearest_stored(graph, node, marks) if node is not None else ([], 0)
        params = {}
        for pname, tensor in _named_parameters(layer):
            g = grads.get(tensor._node) if getattr(tensor, "requires_grad", False) else None
            params[pname] = None if g is None else float(np.linalg.norm(np.asarray(g, dtype=np.float64)))
        rows.append(LayerRow(
            index=i, name=names[i], output_shape=tuple(np.shape(out)),
            grad_shape=tuple(grad.shape) if grad is not None else None,
            grad_norm=float(np.linalg.norm(np.asarray(grad, dtype=np.float64))) if grad is not None else None,
            needs="the loss derivative" if i == last else
                  (f"loss + layer {last}" if i + 1 == last else f"loss + layers {i + 1}..{last}"),
            reuses=reuses, new_vjps=new_vjps, vjps_from_loss=steps.get(node, 0) if node is not None else 0,
            param_grad_norms=params,
        ))
    return LayerReport(rows, loss, outputs, segments, param_names, model)


def _nearest_stored(graph: Graph, node, marks: dict) -> tuple[list[str], int]:
    """Walk from `node` towards the loss, stopping at nodes whose gradient is stored (another
    layer's output, or the loss itself). Returns their captions and how many ops' VJPs lie
    on the way (the stopping nodes' own rules included: they turn the stored gradient into
    one for their inputs)."""
    found: list[str] = []
    visited: set = set()
    stack = list(graph.parents[node])
    while stack:
        parent = stack.pop()
        if parent in visited:
            continue
        visited.add(parent)
        if parent in marks:
            found.append(marks[parent])
        else:
            stack.extend(graph.parents[parent])
    return sorted(set(found), key=_caption_order), len(visited)


def _caption_order(caption: str):
    return (1, 0) if caption == "loss" else (0, int(caption.split()[-1]))


def layer_segments(graph: Graph, outputs: list, names: list[str]) -> dict:
    """caption -> nodes recorded while that layer ran (what its output has that its input lacks)."""
    segments = {}
    before: set = set()
    for i, out in enumerate(outputs):
        upto = graph.below(out._node) if getattr(out, "requires_grad", False) and out._node in graph.ids else set()
        segments[f"layer {i}: {names[i]}"] = upto - before
        before = before | upto
    segments["loss"] = set(graph.nodes) - before
    return segments


def _layers(model) -> list:
    try:
        layers = list(model)
    except TypeError:
        raise TypeError(
            f"layer_derivatives: expected an iterable of callable layers (a list or nn.Sequential), "
            f"got {type(model).__name__}"
        ) from None
    for i, layer in enumerate(layers):
        if not callable(layer):
            raise TypeError(f"layer_derivatives: layer {i} ({type(layer).__name__}) is not callable")
    if not layers:
        raise ValueError("layer_derivatives: the model has no layers")
    return layers


def _layer_names(model, layers: list) -> list[str]:
    def name(layer) -> str:
        if hasattr(layer, "__name__"):  # a function or lambda: its repr would show an address
            return layer.__name__
        if type(layer).__repr__ is not object.__repr__:
            return repr(layer)
        return type(layer).__name__

    return [name(layer) for layer in layers]


def _named_parameters(layer) -> list:
    method = getattr(layer, "named_parameters", None)
    return list(method()) if callable(method) else []


def _param_names(model, layers: list) -> dict:
    from .graph import node_names

    if hasattr(model, "named_parameters"):
        return node_names(model)
    pairs = [(f"{i}.{pname}", tensor) for i, layer in enumerate(layers) for pname, tensor in _named_parameters(layer)]
    return node_names(pairs)


def _layer_dot_options(report: LayerReport, options: dict) -> dict:
    """Parameter and layer-output names (so outputs show their values), stored gradients
    highlighted, one box per layer."""
    kept = [(i, out) for i, out in enumerate(report.outputs) if getattr(out, "requires_grad", False)]
    highlight = {out._node: f"stored: dL/d(out {i})" for i, out in kept}
    names = [(f"out {i}", out) for i, out in kept]
    names += [(name, node) for node, name in report.param_names.items()]
    options.setdefault("title", "Each red node's gradient is stored once and reused by the layers below")
    return dict(options, names=names, highlight=highlight, clusters=report.segments)
