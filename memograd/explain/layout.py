"""A layered left-to-right layout of a recorded graph, for the SVG drawing and the page.

Columns follow the forward pass: every node sits one column left of its nearest consumer (as
late as its consumers allow), so the loss ends the drawing and each weight is drawn next to
the op that uses it rather than in one far-away column of all parameters. Within a column,
nodes are ordered and placed near the average height of their neighbours (a few sweeps
left-to-right and back, the barycentre method), then pushed apart to a minimum gap; chains
come out straight. Ops are placed first; then each leaf takes the free spot nearest its
consumers, so parameters hang beside the chain instead of bending it. Long edges are curves.

>>> lay = layered([[], [0], [1, None], [2, 0]], leaves={0})
>>> lay.column
[0, 1, 2, 3]
>>> all(lay.x[b] > lay.x[a] for b, ins in enumerate([[], [0], [1], [2, 0]]) for a in ins)
True
"""
from __future__ import annotations

from dataclasses import dataclass

NODE_W, NODE_H = 200, 74     # a node's box, in SVG units
COL_GAP, ROW_GAP = 64, 22    # free space between columns and between boxes of one column
MARGIN = 24
ARC = 72                     # how high an edge that skips columns bends (it passes over the boxes)
SWEEPS = 6


@dataclass
class Layout:
    x: list          # left edge of each node's box
    y: list          # top edge
    column: list
    width: float
    height: float

    def port_in(self, node: int, index: int, count: int) -> tuple[float, float]:
        """Where input `index` of `count` enters a node's box (its left side, top to bottom)."""
        return self.x[node], self.y[node] + NODE_H * (index + 1) / (count + 1)

    def port_out(self, node: int) -> tuple[float, float]:
        return self.x[node] + NODE_W, self.y[node] + NODE_H / 2


def layered(inputs: list, leaves=()) -> Layout:
    """Lay out nodes 0..n-1, where `inputs[i]` lists node i's input ids (None: no edge) and
    every input comes before its consumer (the trace's forward order)."""
    n = len(inputs)
    preds = [[j for j in ins if j is not None] for ins in inputs]
    succs: list = [[] for _ in range(n)]
    for i, ins in enumerate(preds):
        for j in ins:
            succs[j].append(i)
    leaves = set(leaves)
    column = _columns(preds, succs, leaves)
    by_column: dict = {}
    for i in range(n):
        if i not in leaves:
            by_column.setdefault(column[i], []).append(i)
    ys = [0.0] * n
    for members in by_column.values():
        _pack(members, {i: float(i) * (NODE_H + ROW_GAP) for i in members}, ys)
    for sweep in range(SWEEPS):  # the ops first: chains straighten out
        forward = sweep % 2 == 0
        for c in sorted(by_column, reverse=not forward):
            members = by_column[c]
            wanted = {}
            for i in members:
                neighbours = [j for j in (preds[i] if forward else succs[i]) if j not in leaves]
                if not neighbours:  # nothing on this side: listen to the other side
                    neighbours = [j for j in (succs[i] if forward else preds[i]) if j not in leaves]
                wanted[i] = sum(ys[j] for j in neighbours) / len(neighbours) if neighbours else ys[i]
            _pack(members, wanted, ys)
    taken: dict = {c: [ys[i] for i in members] for c, members in by_column.items()}
    for i in sorted(leaves, key=lambda i: (column[i], i)):  # then each leaf in the free spot nearest its consumers
        near = [ys[j] for j in succs[i]]
        ys[i] = _free_spot(sum(near) / len(near) if near else 0.0, taken.setdefault(column[i], []))
        taken[column[i]].append(ys[i])
    top = min(ys) if ys else 0.0
    skips = any(column[i] - column[j] > 1 for i in range(n) for j in preds[i])
    ys = [y - top + MARGIN + (ARC * 0.75 - NODE_H / 2 if skips else 0) for y in ys]
    xs = [MARGIN + c * (NODE_W + COL_GAP) for c in column]
    width = (max(xs) + NODE_W + MARGIN) if xs else 2 * MARGIN
    height = (max(ys) + NODE_H + MARGIN) if ys else 2 * MARGIN
    return Layout(xs, ys, column, width, height)


def _columns(preds: list, succs: list, leaves: set) -> list:
    """Each node as far right as its consumers allow (one column before the nearest): the
    loss ends the last column, and work on parameters alone (a leaf, a reshaped weight) sits
    right before the op that uses it instead of at the far left."""
    n = len(preds)
    depth = [0] * n  # longest path to a node without consumers (the loss)
    for i in reversed(range(n)):  # consumers come later in forward order, so one pass suffices
        if succs[i]:
            depth[i] = max(depth[j] for j in succs[i]) + 1
    last = max(depth) if n else 0
    return [last - d for d in depth]


def _free_spot(wanted: float, taken: list) -> float:
    """The height nearest `wanted` where a box overlaps none of the boxes at `taken` (ties go
    below, so parameters hang under the chain they feed)."""
    step = NODE_H + ROW_GAP
    candidates = [wanted] + [t + step for t in taken] + [t - step for t in taken]
    free = [y for y in candidates if all(abs(y - t) >= step - 1e-9 for t in taken)]
    return min(free, key=lambda y: (abs(y - wanted), -y))


def _pack(members: list, wanted: dict, ys: list) -> None:
    """Place `members` at their wanted heights, in that order, at least one box apart, with
    the least total movement (a block that collides is moved as one, to its members' mean)."""
    order = sorted(members, key=lambda i: (wanted[i], i))
    step = NODE_H + ROW_GAP
    blocks: list = []  # [first wanted offset, members]
    for i in order:
        blocks.append([wanted[i], [i]])
        while len(blocks) > 1:
            (top_a, a), (top_b, b) = blocks[-2], blocks[-1]
            if top_a + len(a) * step <= top_b:
                break
            merged = a + b
            mean = sum(wanted[k] - step * p for p, k in enumerate(merged)) / len(merged)
            blocks[-2:] = [[mean, merged]]
    for top, block in blocks:
        for p, i in enumerate(block):
            ys[i] = top + p * step
