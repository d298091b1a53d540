"""The recorded graph as Graphviz DOT text: ops with their output shapes, forward values
(or statistics for big tensors), and the gradient the backward pass stored for each.

Values come from what the graph itself keeps: the loss, the leaves, outputs saved by their
op (tanh, sigmoid, exp...) and inputs saved by the ops that consumed them. An intermediate
that no op needed is shown as "value not kept", which is itself worth seeing: the graph
holds only what backward needs. Name a tensor in `names` to show its value anyway."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from .graph import Graph, describe, is_leaf, known_values, node_names, shape_text
from .observe import observed_backward

_SVG_OPTIONS = ("names", "highlight", "clusters", "title", "show_values", "show_grads")
SMALL = 6  # tensors with at most this many elements are shown whole, larger ones as statistics


def to_dot(tensor, show_values: bool = True, show_grads: bool = True, names=None, *,
           highlight: dict | None = None, clusters: dict | None = None, title: str | None = None) -> str:
    """DOT text for the graph that produced `tensor`.

    `names` labels tensors (a {tensor: name} dict or a Module); `highlight` maps nodes to an
    extra line drawn in bold red; `clusters` maps a box title to the nodes drawn inside it.
    Gradients are computed by running the engine (graph retained, `.grad` untouched) when
    `tensor` is a scalar and the graph still holds its saved values.

    >>> import memograd as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> text = to_dot((x * x).sum(), names={x: "x"})
    >>> text.splitlines()[0], "n0 -> n1" in text
    ('digraph memograd {', True)
    """
    graph = Graph(tensor)
    labels = node_names(names)
    values = known_values(graph, names) if show_values else {}
    grads, note = _gradients(graph) if show_grads else ({}, None)
    highlight = highlight or {}
    lines = ["digraph memograd {",
             '  graph [rankdir=LR, fontname="Helvetica", fontsize=11'
             + (f', label="{_escape(_caption(title, note))}", labelloc=t' if title or note else "") + "];",
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [color="#555555"];']
    placed = set()
    for c, (caption, members) in enumerate((clusters or {}).items()):
        inside = [n for n in graph.nodes if n in members and n not in placed]
        if not inside:
            continue
        lines.append(f"  subgraph cluster_{c} {{")
        lines.append(f'    label="{_escape(str(caption))}"; style=rounded; color="#888888";')
        for node in inside:
            lines.append("    " + _node_line(graph, node, labels, values, grads, highlight))
            placed.add(node)
        lines.append("  }")
    for node in graph.nodes:
        if node not in placed:
            lines.append("  " + _node_line(graph, node, labels, values, grads, highlight))
    for node in graph.nodes:
        for child in node.next:
            if child is not None:
                lines.append(f"  n{graph.ids[child]} -> n{graph.ids[node]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw(tensor, path, fmt: str | None = None, **options) -> str:
    """Write the graph to `<path>.dot` and render it to SVG (or PNG/PDF, from `fmt` or the
    suffix of `path`) with Graphviz's `dot`; without `dot`, memograd draws `<path>.svg` itself
    (explain.svg: same values and gradients, its own layout). Returns one line saying what
    was written.

    >>> import memograd as mg, tempfile, os
    >>> x = mg.tensor(2.0, requires_grad=True)
    >>> message = draw(x * x, os.path.join(tempfile.mkdtemp(), "graph"))
    >>> "graph.dot" in message
    True
    """
    path = Path(path)
    if path.suffix.lower() in (".svg", ".png", ".pdf"):
        fmt = fmt or path.suffix[1:].lower()
        path = path.with_suffix("")
    elif path.suffix.lower() == ".dot":
        path = path.with_suffix("")
    fmt = fmt or "svg"
    dot_file = Path(os.fspath(path) + ".dot")
    out_file = Path(os.fspath(path) + "." + fmt)
    dot_file.parent.mkdir(parents=True, exist_ok=True)
    dot_file.write_text(to_dot(tensor, **options), encoding="utf-8")
    executable = shutil.which("dot")
    if executable is None:  # memograd draws the SVG itself; other formats need Graphviz
        from .svg import draw_svg

        svg_file = Path(os.fspath(path) + ".svg")
        draw_svg(tensor, svg_file, **{k: v for k, v in options.items() if k in _SVG_OPTIONS})
        message = f"wrote {svg_file} (drawn by memograd; Graphviz's `dot` is not on PATH) and {dot_file}"
        if fmt != "svg":
            message += f"; for {fmt.upper()}, install Graphviz and run: dot -T{fmt} {dot_file} -o {out_file}"
        return message
    done = subprocess.run([executable, f"-T{fmt}", os.fspath(dot_file), "-o", os.fspath(out_file)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return f"wrote {dot_file}; `dot` failed to render it: {done.stderr.strip().splitlines()[-1:]}"
    return f"wrote {out_file} (and {dot_file})"


# ---- labels -------------------------------------------------------------------------------


def _node_line(graph: Graph, node, labels: dict, values: dict, grads: dict, highlight: dict) -> str:
    parts = [describe(node, labels) if is_leaf(node) else node.name]
    if not is_leaf(node) and node in labels:
        parts[0] = f"{labels[node]} = {node.name}"
    parts.append(shape_text(node.shape))
    if values is not None and (values or node in values):
        parts.append(_summary(values[node]) if node in values else "value not kept")
    if node in grads:
        parts.append("grad " + _summary(grads[node]))
    attrs = {"label": "\n".join(parts)}
    if node is graph.root:
        attrs.update(shape="box", style="filled,bold", fillcolor="#ffe08a")
    elif is_leaf(node):
        attrs.update(shape="box", style="filled", fillcolor="#cfe3ff")
    else:
        attrs.update(shape="box", style="rounded")
    if node in highlight:
        attrs["label"] += "\n" + str(highlight[node])
        attrs.update(color="#c0392b", fontcolor="#c0392b", penwidth="2.2")
    body = ", ".join(f'{key}="{_escape(value)}"' for key, value in attrs.items())
    return f"n{graph.ids[node]} [{body}];"


def _summary(array) -> str:
    """A small tensor's values, or a large one's mean/std/min/max, to 3 significant digits."""
    data = np.asarray(array, dtype=np.float64)
    if data.size <= SMALL:
        flat = ", ".join(f"{v:.3g}" for v in data.ravel())
        return flat if data.ndim == 0 else f"[{flat}]"
    return f"mean {data.mean():.3g} std {data.std():.3g} in [{data.min():.3g}, {data.max():.3g}]"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _caption(title: str | None, note: str | None) -> str:
    return "\n".join(part for part in (title, note) if part)


# ---- where the numbers come from ----------------------------------------------------------


def _gradients(graph: Graph) -> tuple[dict, str | None]:
    """{node: d(root)/d(node output)} from an observed engine run, or a note saying why not."""
    if np.size(graph.tensor._data) != 1:
        return {}, "gradients not shown: the output is not a scalar"
    grads = {}

    def keep(node, grad, grads_in):
        grads[node] = grad

    try:
        observed_backward(graph.tensor, keep, retain_graph=True, graph=graph)
    except RuntimeError as err:
        if "second time" not in str(err):
            raise
        return {}, "gradients not shown: an earlier backward() freed the graph (use retain_graph=True)"
    return grads, None
