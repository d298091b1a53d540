"""What the backward pass will hold in memory, read from the graph before it runs.

Every op keeps what its local rule needs (inputs, its output, or a mask) until backward
uses it; that is the memory price of not recomputing the forward pass. The report lists
those saved arrays per op, and in total. `total_bytes` is the plain sum of their sizes;
`unique_bytes` counts an array saved by several ops (or twice by one, as in x * x) once."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .graph import Graph, is_freed, saved_arrays, shape_text
from .table import format_bytes, render


@dataclass
class MemoryRow:
    node_id: int
    op: str
    shape: tuple                 # the op's output shape
    saved: list[tuple]           # (shape, dtype name) of each saved array
    bytes: int
    freed: bool                  # an earlier backward() already released them


@dataclass
class MemoryReport:
    rows: list[MemoryRow]
    total_bytes: int
    unique_bytes: int

    def by_op(self) -> dict:
        """{op name: (node count, bytes)}, largest first."""
        totals: dict = defaultdict(lambda: [0, 0])
        for row in self.rows:
            totals[row.op][0] += 1
            totals[row.op][1] += row.bytes
        return dict(sorted(((k, tuple(v)) for k, v in totals.items()), key=lambda kv: -kv[1][1]))

    def format(self) -> str:
        rows = [[f"#{r.node_id}", r.op, shape_text(r.shape), _describe_saved(r), format_bytes(r.bytes)]
                for r in self.rows]
        summary = render(["op", "nodes", "saved"],
                         [[op, n, format_bytes(b)] for op, (n, b) in self.by_op().items()], align="lrr")
        footer = [
            "",
            f"total saved for backward: {format_bytes(self.total_bytes)}"
            + (f" ({self.total_bytes:,} bytes)" if self.total_bytes >= 1024 else "") + " "
            f"in {sum(len(r.saved) for r in self.rows)} arrays; "
            f"{format_bytes(self.unique_bytes)} distinct memory",
            "",
            summary,
        ]
        return render(["node", "op", "output", "saved for backward", "bytes"], rows,
                      title="Memory the backward pass will hold (saved by the forward pass)",
                      footer=footer, align="rlllr")

    def __str__(self) -> str:
        return self.format()


def memory_report(loss) -> MemoryReport:
    """Walk the graph of `loss` (nothing runs) and report the bytes each op saved.

    >>> import memograd as mg
    >>> x = mg.ones(4, requires_grad=True)
    >>> report = memory_report((x * x).tanh().sum())
    >>> [(r.op, r.bytes) for r in report.rows], report.total_bytes, report.unique_bytes
    ([('Mul', 32), ('Tanh', 16), ('Sum', 0)], 48, 32)
    """
    graph = Graph(loss)
    rows = []
    seen: set = set()
    unique = 0
    for node in graph.ops:
        arrays = saved_arrays(node)
        for array in arrays:
            owner = id(array if array.base is None else array.base)
            if owner not in seen:  # memory shared by several saved views counts once
                seen.add(owner)
                unique += int(array.nbytes if array.base is None else array.base.nbytes)
        rows.append(MemoryRow(
            node_id=graph.ids[node], op=node.name, shape=tuple(node.shape),
            saved=[(tuple(a.shape), str(a.dtype)) for a in arrays],
            bytes=sum(int(a.nbytes) for a in arrays), freed=is_freed(node),
        ))
    return MemoryReport(rows, sum(r.bytes for r in rows), unique)


def print_memory_report(loss) -> MemoryReport:
    report = memory_report(loss)
    print(report.format())
    return report


def _describe_saved(row: MemoryRow) -> str:
    if row.freed:
        return "(freed by an earlier backward)"
    if not row.saved:
        return "nothing"
    return ", ".join(f"{shape_text(shape)} {dtype}" for shape, dtype in row.saved)
