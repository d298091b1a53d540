"""The memo table: the engine's dynamic programming, one row per gradient slot.

Each row is one node, in the order the engine runs it. `fan_out` is how many ops consumed
the node's output; `summed` is how many gradient contributions the engine added into the
node's slot before running it. A node with fan-out 3 is *computed once* and its one stored
gradient serves all three paths: that is the chapter's "store each value the first time"."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .graph import Graph, describe, is_leaf, node_names, saved_bytes, shape_text
from .observe import observed_backward
from .table import format_bytes, render


@dataclass
class MemoRow:
    step: int            # position in the backward pass (0 runs first)
    node_id: int         # forward-order id, shared by every explain report
    op: str              # op name, or the parameter's name for a leaf
    shape: tuple         # the node's output shape (= its gradient's shape)
    fan_out: int         # consumers of this node's output in the graph
    summed: int          # gradient contributions summed into this node's slot
    grad_norm: float     # L2 norm of the complete gradient in the slot
    saved_bytes: int     # bytes this node kept for its backward
    leaf: bool

    def as_dict(self) -> dict:
        return asdict(self)


def memo_table(loss, retain_graph: bool = True, names=None, accumulate: bool = False) -> list[MemoRow]:
    """Run the backward pass from `loss` through memograd's engine and return one `MemoRow`
    per node, in the order the engine ran them. Leaves' `.grad` are left untouched unless
    `accumulate=True`.

    >>> import memograd as mg
    >>> x = mg.tensor(2.0, requires_grad=True); w = mg.tensor(3.0, requires_grad=True)
    >>> a = x * w; b = a + a; c = b * a
    >>> rows = memo_table(c, names={x: "x", w: "w"})
    >>> [(r.op, r.fan_out, r.summed) for r in rows]
    [('Mul', 0, 1), ('Add', 1, 1), ('Mul', 3, 3), ('w', 1, 1), ('x', 1, 1)]
    """
    graph = Graph(loss)
    labels = node_names(names)
    contributions = {graph.root: 1}  # the seed gradient d(loss)/d(loss) = 1
    rows: list[MemoRow] = []

    def observe(node, grad, grads_in):
        for child, child_grad in zip(node.next, grads_in):
            if child is not None and child_grad is not None:
                contributions[child] = contributions.get(child, 0) + 1
        rows.append(MemoRow(
            step=len(rows), node_id=graph.ids[node], op=describe(node, labels), shape=tuple(node.shape),
            fan_out=graph.fan_out[node], summed=contributions.get(node, 0),
            grad_norm=float(np.linalg.norm(np.asarray(grad, dtype=np.float64))),
            saved_bytes=saved_bytes(node), leaf=is_leaf(node),
        ))

    observed_backward(loss, observe, retain_graph=retain_graph, accumulate=accumulate, graph=graph)
    return rows


def format_table(rows: list[MemoRow]) -> str:
    """The memo table as aligned text, with a one-line summary of the reuse it shows."""
    body = [
        [r.step, f"#{r.node_id}", r.op, shape_text(r.shape), r.fan_out, r.summed, r.grad_norm,
         format_bytes(r.saved_bytes)]
        for r in rows
    ]
    shared = [r for r in rows if r.summed > 1]
    ops = sum(1 for r in rows if not r.leaf)
    footer = [
        "",
        f"{ops} local rules (VJPs) ran, one per op: each gradient was computed once and stored.",
        f"{len(shared)} slot(s) summed several contributions (outputs used more than once): "
        + (", ".join(f"#{r.node_id} {r.op} x{r.summed}" for r in shared) if shared else "none"),
    ]
    return render(["step", "node", "op", "shape", "fan-out", "summed", "|grad|", "saved"], body,
                  title="Backward pass, in the order the engine ran it", footer=footer, align="rrllrrrr")


def print_memo_table(loss, retain_graph: bool = True, names=None) -> list[MemoRow]:
    """Print `memo_table(loss)` as text and return its rows."""
    rows = memo_table(loss, retain_graph=retain_graph, names=names)
    print(format_table(rows))
    return rows

