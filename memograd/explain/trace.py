"""A trace: one real forward and backward pass, written down as a JSON document.

`record(loss)` reads the graph behind `loss` (its nodes in forward order and the values it
keeps), then runs memograd's engine from `loss` with a recorder among the engine's observers,
so every number in the trace is one the engine produced: the gradient each node's rule
received, what it sent to each input's memo slot, what the slot held before and after the
addition, how many consumers each slot still waits for, and which saved arrays the engine
released. Leaves' `.grad` is not touched. The interactive page, the SVG drawing and the tests
are all views of this one document.

The document (version 1), all plain JSON:

    format, version       "memograd-trace", 1
    title                 a caption, or null
    retain_graph          whether the engine kept the saved arrays (false: releases are shown)
    nodes[id]             id (forward order), op, label, leaf, root, shape, dtype,
                          inputs (one node id per input, null for an input without gradient),
                          consumers (edges into the node: the engine's count), saved_bytes,
                          value (a summary, or null when the graph kept no copy of it),
                          rule (the local VJP per input, as a formula), paths (paths from the
                          loss to the node) and naive_vjps (VJPs the naive chain rule spends on
                          all of them; explain.naive's exact count)
    steps[]               {"phase": "forward", "node"} once per node, in forward order, then
                          {"phase": "backward", "kind": "seed", "node", "slot"}: d loss / d loss,
                          then one {"phase": "backward", "kind": "run", ...} per node the
                          engine ran, in its order: "node", "grad" (the complete gradient in
                          its slot), "vjp" (an op's rule ran; false for leaves), "sends" (one
                          per input edge: "to", "input", "left" = consumers the slot still waits
                          for, and when a gradient flowed "raw", "reduced" (summed back to the
                          input's shape), "previous", "total", "count" = contributions summed so
                          far), "released" and "released_bytes" (saved arrays the engine freed),
                          "vjps" (backprop's VJPs so far) and "naive" (naive VJPs for the
                          parameter gradients finished so far)
    totals                backprop_vjps, naive_vjps, nodes, leaves, saved_bytes, released_bytes
    groups[]              {"label", "nodes"}: captions drawn over sets of nodes (a model's
                          layers), may be empty

A summary is {"shape", "text", "short", "norm", "mean", "std", "min", "max"} plus "values"
(the whole array, flattened) when it is small enough (see `record`); non-finite numbers
are the strings "nan", "inf", "-inf" so the document stays strict JSON.

The engine reports only nodes that received a gradient: a node no gradient reached (every
consumer's rule returned None for it) is absent from the backward steps, and the consumer
counts of its own inputs are not ticked down in the trace."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..autograd import _root_gradients
from ..autograd.engine import Observer, run_backward
from .graph import Graph, describe, is_freed, is_leaf, known_values, node_names, saved_bytes
from .naive import path_counts
from .rules import rule_for

FORMAT, VERSION = "memograd-trace", 1
SMALL = 6   # arrays with at most this many elements are written out whole in "text"
SHORT = 3   # ... and in "short", the line drawn inside a node's box


def record(loss, names=None, *, retain_graph: bool = False, gradient=None, title: str | None = None,
           groups: dict | None = None, max_values: int = 64, max_grad_values: int = 4096,
           backward: bool = True) -> Trace:
    """Record one backward pass from `loss` (and the forward values its graph kept) as a Trace.

    Like `loss.backward()`, the engine frees the graph's saved arrays unless
    `retain_graph=True` (the trace shows each release); unlike it, no `.grad` is written.
    `names` labels tensors ({tensor: name}, {name: tensor}, pairs, or a Module); `groups` maps a
    caption to the tensors or nodes drawn in one box. Arrays of at most `max_values` elements
    are written out whole, and each node's complete gradient up to `max_grad_values`.
    `backward=False` records the forward pass only (a graph already freed can still be drawn).

    >>> import memograd as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> trace = record((x * x).sum(), names={x: "x"})
    >>> [n["label"] for n in trace.nodes], trace.totals["backprop_vjps"]
    (['x', 'Mul', 'Sum'], 2)
    >>> trace.gradients()[0].tolist(), x.grad is None
    ([2.0, 4.0], True)
    """
    graph = Graph(loss)
    for node in graph.ops if backward else ():
        if is_freed(node):
            raise RuntimeError(
                f"explain: {node.name} already freed its saved values in an earlier backward(), so the "
                "pass cannot be watched again; recompute the loss, or call backward(retain_graph=True)")
    labels = node_names(names)
    summarize = _Summarizer(max_values, max_grad_values)
    values = known_values(graph, names)
    paths, naive_steps, _ = path_counts(graph)
    nodes = [_node_entry(graph, node, labels, values.get(node), paths, naive_steps, summarize)
             for node in graph.nodes]
    steps = [{"phase": "forward", "node": graph.ids[node]} for node in graph.nodes]
    recorder = _Recorder(graph, naive_steps, summarize)
    if backward:
        seeds = _root_gradients([loss], None if gradient is None else [gradient], False)
        run_backward([graph.root], seeds, retain_graph=retain_graph, targets=set(graph.leaves),
                     observers=(recorder,))
        recorder.settle()
    steps += recorder.steps
    runs = [s for s in recorder.steps if s["kind"] == "run"]
    data = {
        "format": FORMAT, "version": VERSION, "title": title, "retain_graph": bool(retain_graph or not backward),
        "nodes": nodes, "steps": steps,
        "totals": {
            "backprop_vjps": recorder.vjps,
            "naive_vjps": sum(naive_steps.get(leaf, 0) for leaf in graph.leaves if leaf is not graph.root),
            "nodes": len(nodes), "leaves": len(graph.leaves),
            "saved_bytes": sum(n["saved_bytes"] for n in nodes),
            "released_bytes": sum(s["released_bytes"] for s in runs),
        },
        "groups": _groups(graph, groups),
    }
    return Trace(data)


class Trace:
    """A recorded forward and backward pass (`data` is the JSON document described above)."""

    def __init__(self, data: dict):
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(f"not a {FORMAT} version {VERSION} document "
                             f"(format {data.get('format')!r}, version {data.get('version')!r})")
        self.data = data

    @property
    def nodes(self) -> list:
        return self.data["nodes"]

    @property
    def steps(self) -> list:
        return self.data["steps"]

    @property
    def totals(self) -> dict:
        return self.data["totals"]

    def backward_steps(self) -> list:
        return [s for s in self.steps if s["phase"] == "backward"]

    def gradients(self) -> dict:
        """{node id: complete gradient as float64 array} for every node whose gradient the
        trace holds in full (at most `max_grad_values` elements)."""
        found = {}
        for step in self.backward_steps():
            if step["kind"] == "run":
                array = summary_array(step["grad"])
                if array is not None:
                    found[step["node"]] = array
        return found

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.data, indent=indent, ensure_ascii=False, allow_nan=False)

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path) -> Trace:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def html(self, lang: str = "en") -> str:
        """The interactive page for this trace (see explain.page)."""
        from .page import page_html

        return page_html(self, lang=lang)

    def _repr_html_(self) -> str:
        from .page import notebook_frame

        return notebook_frame(self.html())

    def __repr__(self) -> str:
        t = self.totals
        return (f"<Trace: {t['nodes']} nodes, {t['backprop_vjps']} VJPs by backprop, "
                f"{t['naive_vjps']} by the naive chain rule>")


def summary_array(summary: dict | None):
    """The array a summary holds in full, or None when it holds statistics only."""
    if summary is None or "values" not in summary:
        return None
    values = [float(v) for v in summary["values"]]  # "nan"/"inf" strings parse too
    return np.array(values, dtype=np.float64).reshape(summary["shape"])


# ---- recording ------------------------------------------------------------------------------


class _Recorder(Observer):
    """Writes one step per node the engine runs, filling in each send when its gradient
    lands in a slot (`slot_added` follows `node_ran` in the engine, edge by edge), and notes a
    node's release once the engine has moved past it."""

    def __init__(self, graph: Graph, naive_steps: dict, summarize):
        self.graph = graph
        self.ids = graph.ids
        self.naive_steps = naive_steps
        self.summarize = summarize
        self.left = dict(graph.fan_out)
        self.count: dict = {}
        self.steps: list = []
        self.pending: list = []  # sends of the latest step still waiting for their slot_added
        self.last = None         # (node, step, bytes it held) until its release is checked
        self.vjps = 0
        self.naive = 0

    def begins(self, roots, root_grads, retain_graph, create_graph, targets) -> None:
        for root, grad in zip(roots, root_grads):
            self.count[root] = 1
            self.steps.append({"phase": "backward", "kind": "seed", "node": self.ids[root],
                               "slot": self.summarize(grad)})

    def node_ran(self, node, grad, grads_in) -> None:
        self.settle()
        leaf = is_leaf(node)
        if not leaf:
            self.vjps += 1
        elif node is not self.graph.root:
            self.naive += self.naive_steps.get(node, 0)
        sends = []
        for i, child in enumerate(node.next):
            if child is None:
                continue
            self.left[child] -= 1
            send = {"to": self.ids[child], "input": i, "left": self.left[child]}
            if i < len(grads_in) and grads_in[i] is not None:
                self.pending.append((child, send))
            sends.append(send)
        step = {"phase": "backward", "kind": "run", "node": self.ids[node], "grad": self.summarize.grad(grad),
                "vjp": not leaf, "sends": sends, "released": False, "released_bytes": 0,
                "vjps": self.vjps, "naive": self.naive}
        self.steps.append(step)
        self.last = (node, step, saved_bytes(node))

    def slot_added(self, child, raw, previous, total) -> None:
        self.settle()
        if not self.pending or self.pending[0][0] is not child:
            raise RuntimeError("explain.trace: the engine reported gradients in an unexpected order")
        _, send = self.pending.pop(0)
        self.count[child] = self.count.get(child, 0) + 1
        send.update(raw=self.summarize(raw), reduced=tuple(raw.shape) != tuple(child.shape),
                    previous=None if previous is None else self.summarize(previous),
                    total=self.summarize(total), count=self.count[child])

    def settle(self) -> None:
        """The engine frees a node's saved arrays right after its observers saw it run."""
        if self.last is None:
            return
        node, step, held = self.last
        if held and is_freed(node):
            step.update(released=True, released_bytes=held)
        self.last = None


def _node_entry(graph: Graph, node, labels: dict, value, paths: dict, naive_steps: dict, summarize) -> dict:
    leaf = is_leaf(node)
    label = describe(node, labels)
    if not leaf and node in labels:
        label = f"{labels[node]} = {node.name}"
    return {
        "id": graph.ids[node], "op": "leaf" if leaf else node.name, "label": label, "leaf": leaf,
        "root": node is graph.root, "shape": list(node.shape), "dtype": str(np.dtype(node.dtype)),
        "inputs": [None if child is None else graph.ids[child] for child in node.next],
        "consumers": graph.fan_out[node], "saved_bytes": saved_bytes(node),
        "value": None if value is None else summarize(value),
        "rule": [] if leaf else rule_for(node.name, len(node.next)),
        "paths": paths.get(node, 0), "naive_vjps": naive_steps.get(node, 0),
    }


def _groups(graph: Graph, groups: dict | None) -> list:
    found = []
    for label, members in (groups or {}).items():
        nodes = {getattr(m, "_node", m) for m in members}
        ids = sorted(graph.ids[n] for n in nodes if n in graph.ids)
        if ids:
            found.append({"label": str(label), "nodes": ids})
    return found


# ---- summaries ------------------------------------------------------------------------------


class _Summarizer:
    def __init__(self, max_values: int, max_grad_values: int):
        self.max_values = max_values
        self.max_grad_values = max(max_values, max_grad_values)

    def __call__(self, array) -> dict:
        return summarize(array, self.max_values)

    def grad(self, array) -> dict:
        return summarize(array, self.max_grad_values)


def summarize(array, max_values: int = 256) -> dict:
    """A JSON-safe description of an array: shape, a text for panels, a short text for node
    boxes, statistics, and the values themselves when there are at most `max_values`.

    >>> s = summarize(np.array([0.5, -1.0]))
    >>> s["text"], s["short"], s["values"]
    ('[0.5, -1]', '[0.5, -1]', [0.5, -1.0])
    >>> summarize(np.arange(12.0).reshape(3, 4))["short"]
    'μ 5.5 σ 3.45'
    """
    data = np.asarray(getattr(array, "_data", array), dtype=np.float64)
    flat = data.ravel()
    with np.errstate(all="ignore"):  # statistics of non-finite arrays are simply "nan"/"inf"
        found = {"shape": list(data.shape), "text": _text(data), "short": _short(data)}
        if flat.size:
            found.update(norm=float(np.linalg.norm(flat)), mean=float(flat.mean()), std=float(flat.std()),
                         min=float(flat.min()), max=float(flat.max()))
    for key in ("norm", "mean", "std", "min", "max"):
        if key in found:
            found[key] = _json_number(found[key])
    if flat.size <= max_values:
        found["values"] = [_json_number(float(v)) for v in flat]
    return found


def fmt(value: float) -> str:
    """Three significant digits, as every explain drawing prints numbers.

    >>> fmt(0.5), fmt(-1.0), fmt(1234.5), fmt(float("nan"))
    ('0.5', '-1', '1.23e+03', 'nan')
    """
    return f"{value:.3g}"


def _text(data) -> str:
    if data.size <= SMALL:
        flat = ", ".join(fmt(v) for v in data.ravel())
        return flat if data.ndim == 0 else f"[{flat}]"
    return f"mean {fmt(data.mean())} std {fmt(data.std())} in [{fmt(data.min())}, {fmt(data.max())}]"


def _short(data) -> str:
    if data.size <= SHORT:
        return _text(data)
    return f"μ {fmt(data.mean())} σ {fmt(data.std())}"


def _json_number(value: float):
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
