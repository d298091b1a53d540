"""The graph of a trace drawn as SVG by memograd itself (no Graphviz): boxes placed by
explain.layout, edges as curves into one port per input, and in each box the op, shape,
forward value, memo slot (gradient) and a status line.

The interactive page embeds this same markup and updates its texts and classes step by step;
`memograd explain graph` writes it as a standalone file (the state after the whole backward
pass) when Graphviz's `dot` is not installed.

>>> import memograd as mg
>>> from memograd.explain.trace import record
>>> x = mg.tensor([1.0, 2.0], requires_grad=True)
>>> text = graph_svg(record((x * x).sum(), names={x: "x"}))
>>> text.startswith("<svg") and 'class="slot">[2, 4]<' in text
True
"""
from __future__ import annotations

from html import escape

from .graph import shape_text
from .layout import ARC, NODE_H, NODE_W, Layout, layered
from .page_text import text_for
from .replay import states
from .table import format_bytes

TITLE_H = 30
GROUP_H = 30   # the row of group captions (a model's layers) above the graph

# Standalone drawings carry their own style; the page styles the same classes in page.css.
STANDALONE_STYLE = """
text { font: 11px system-ui, "Noto Sans", "Nanum Gothic", sans-serif; fill: #222; }
.title-text { font-size: 15px; font-weight: 600; }
.node .box { fill: #fff; stroke: #6b7280; stroke-width: 1.2; }
.node.leaf .box { fill: #e0ecff; }
.node.root .box { fill: #ffefc2; stroke-width: 2; }
.node.mark .box { stroke: #c0392b; stroke-width: 2.4; }
.node .name { font-weight: 600; font-size: 12px; }
.node .shape { fill: #6b7280; }
.node .slot-line { fill: #1d4ed8; }
.node .slot { fill: #1d4ed8; }
.node .status { fill: #555; }
.node.mark .status { fill: #c0392b; font-weight: 600; }
.edge { fill: none; stroke: #8a8f98; stroke-width: 1.3; }
.group path { fill: none; stroke: #9aa1ab; }
.group text { fill: #6b7280; font-size: 11px; }
.arrow { fill: #8a8f98; }
"""


def graph_svg(trace, lang: str = "en", *, position: int | None = None, highlight: dict | None = None,
              title: str | None = None, layout: Layout | None = None, standalone: bool = False,
              show_values: bool = True) -> str:
    """SVG markup of `trace` at `position` (default: after the last step). `highlight` maps node
    ids to a line drawn in red instead of the status; `standalone` adds a style and a white
    background so the file renders on its own."""
    words = text_for(lang)
    layout = layout or layout_of(trace)
    all_states = states(trace)
    state = all_states[len(all_states) - 1 if position is None else position]
    highlight = highlight or {}
    caption = title if title is not None else trace.data.get("title")
    groups = trace.data.get("groups") or ()
    top = (TITLE_H if standalone and caption else 0) + (GROUP_H if groups else 0)
    width, height = layout.width, layout.height + top
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {width:.0f} {height:.0f}" '
              f'width="{width:.0f}" height="{height:.0f}" data-nodes="{len(trace.nodes)}">')]
    parts.append('<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" markerHeight="8" '
                 'markerUnits="userSpaceOnUse" orient="auto"><path class="arrow" d="M0,0 L8,4 L0,8 z"/></marker></defs>')
    if standalone:
        parts.append(f"<style>{STANDALONE_STYLE}</style>")
        parts.append(f'<rect width="{width:.0f}" height="{height:.0f}" fill="#fff"/>')
        if caption:
            parts.append(f'<text class="title-text" x="24" y="22">{escape(caption)}</text>')
    parts.append(f'<g class="scene" transform="translate(0,{top})">')
    parts.extend(_group(group, layout, trace.nodes) for group in groups)
    parts.append('<g class="edges">')
    for node in trace.nodes:
        count = len(node["inputs"])
        for i, child in enumerate(node["inputs"]):
            if child is not None:
                parts.append(_edge(layout, child, node["id"], i, count))
    parts.append("</g><g class=\"nodes\">")
    for node in trace.nodes:
        parts.append(_node(node, state.nodes[node["id"]], layout, words, highlight.get(node["id"]), show_values))
    parts.append("</g></g></svg>")
    return "".join(parts)


def draw_svg(tensor, path, *, names=None, highlight: dict | None = None, clusters: dict | None = None,
             title: str | None = None, show_values: bool = True, show_grads: bool = True, lang: str = "en"):
    """Draw the graph behind `tensor` to the SVG file `path` with values and gradients (the
    state after a backward pass run with the graph retained; `.grad` untouched). `highlight`
    maps tensors or nodes to a red line, `clusters` a caption to the tensors or nodes under it.
    Returns a note when gradients could not be shown, else None."""
    from pathlib import Path

    from .graph import Graph
    from .trace import record

    note = None
    want_grads = show_grads and getattr(tensor, "_data", None) is not None and tensor._data.size == 1
    try:
        trace = record(tensor, names, retain_graph=True, title=title, groups=clusters, backward=want_grads)
    except RuntimeError as err:
        if "freed" not in str(err):
            raise
        trace, note = record(tensor, names, title=title, groups=clusters, backward=False), str(err)
    if show_grads and not want_grads:
        note = "the output is not a scalar"
    ids = Graph(tensor).ids
    marks = {ids[getattr(k, "_node", k)]: str(v) for k, v in (highlight or {}).items()
             if getattr(k, "_node", k) in ids}
    caption = " · ".join(part for part in (title, note and f"{text_for(lang)['graph_note_no_grads']}: {note}") if part)
    text = graph_svg(trace, lang, highlight=marks, title=caption or None, standalone=True, show_values=show_values)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n", encoding="utf-8")
    return note


def layout_of(trace) -> Layout:
    return layered([n["inputs"] for n in trace.nodes], leaves={n["id"] for n in trace.nodes if n["leaf"]})


def node_title(node: dict) -> str:
    return f"#{node['id']} {node['label']}"


def fitted_title(node: dict) -> str:
    """The title cut with '…' where it would run into the shape on the same line (the whole
    title is the box's tooltip and the side panel's heading)."""
    room = int((NODE_W - 26) / 7.4) - len(shape_text(tuple(node["shape"])))
    title = node_title(node)
    return title if len(title) <= room else title[:max(room - 1, 4)] + "…"


def value_text(node: dict, computed: bool, words: dict) -> str:
    """The box's second line: the value, once the forward pass produced it."""
    if not computed:
        return ""
    if node["value"] is None:
        return words["not_kept_box"]
    return f"{words['value_short']} {node['value']['short']}"


def status_text(node: dict, state, words: dict) -> str:
    """The box's last line: what the node waits for, whether it ran, what it holds."""
    parts = []
    if state.ran:
        parts.append(words["ran_box"])
    elif state.slot is not None and state.left == 0:
        parts.append(words["ready"])
    elif node["consumers"]:
        parts.append(words["waits_box"].format(left=state.left, n=node["consumers"]))
    if node["saved_bytes"]:
        saved = format_bytes(node["saved_bytes"])
        parts.append(words["freed_box" if state.released else "saved_box"].format(bytes=saved))
    return " · ".join(parts)


def _node(node: dict, state, layout: Layout, words: dict, mark: str | None, show_values: bool = True) -> str:
    i = node["id"]
    kinds = ["node", "leaf" if node["leaf"] else "op"]
    if node["root"]:
        kinds.append("root")
    if mark:
        kinds.append("mark")
    slot = state.slot["short"] if state.slot is not None else ""
    status = mark if mark else status_text(node, state, words)
    return (
        f'<g class="{" ".join(kinds)}" id="n{i}" data-id="{i}" '
        f'transform="translate({layout.x[i]:.1f},{layout.y[i]:.1f})">'
        f'<rect class="box" width="{NODE_W}" height="{NODE_H}" rx="7"/>'
        f'<rect class="fill" x="1" y="{NODE_H - 5}" width="0" height="4" rx="2"/>'
        f'<title>{escape(node_title(node))}</title>'
        f'<text class="name" x="9" y="17">{escape(fitted_title(node))}</text>'
        f'<text class="shape" x="{NODE_W - 9}" y="17" text-anchor="end">{shape_text(tuple(node["shape"]))}</text>'
        f'<text class="meta" x="9" y="33">{escape(value_text(node, state.computed and show_values, words))}</text>'
        f'<text class="slot-line" x="9" y="49">∂L <tspan class="slot">{escape(slot)}</tspan></text>'
        f'<text class="status" x="9" y="65">{escape(status)}</text>'
        "</g>"
    )


def _edge(layout: Layout, child: int, consumer: int, index: int, count: int) -> str:
    """A curve from the child's right side into the consumer's port; an edge that skips
    columns bends up over the boxes between (skip connections stay visible)."""
    x1, y1 = layout.port_out(child)
    x2, y2 = layout.port_in(consumer, index, count)
    bend = max(28.0, (x2 - x1) / 2)
    lift = ARC if layout.column[consumer] - layout.column[child] > 1 else 0.0
    if lift:
        bend = min(bend, 90.0)
    return (f'<path class="edge" data-from="{child}" data-to="{consumer}" data-input="{index}" '
            f'marker-end="url(#arrow)" d="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1 - lift:.1f} '
            f'{x2 - bend:.1f},{y2 - lift:.1f} {x2 - 2:.1f},{y2:.1f}"/>')


def _group(group: dict, layout: Layout, nodes: list) -> str:
    """A caption over the columns of a group's ops (its parameters hang in the column before,
    so boxes around whole groups would overlap), with a bracket line under it."""
    ids = [i for i in group["nodes"] if not nodes[i]["leaf"]] or group["nodes"]
    left = min(layout.x[i] for i in ids) + 4
    right = max(layout.x[i] for i in ids) + NODE_W - 4
    return (f'<g class="group"><path d="M{left:.1f},-4 V-10 H{right:.1f} V-4"/>'
            f'<text x="{(left + right) / 2:.1f}" y="-15" text-anchor="middle">{escape(group["label"])}</text></g>')
