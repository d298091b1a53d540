"""The suite's summary table: one row per workload with medians, ratios and the issue's
target, rendered as aligned text or as Markdown. With `--compiled`, three more columns:
the compiled (replayed) memograd step and its ratios; the targets stay eager memograd's."""
from __future__ import annotations

from dataclasses import dataclass, field

COMPILED = "memograd compiled"
IMPLS = ("memograd", "pytorch", "numpy")
HEADER = ["workload", "unit", "memograd", "PyTorch", "NumPy", "mg/PyTorch", "mg/NumPy", "target", "met"]
COMPILED_HEADER = ["compiled", "comp/PyTorch", "comp/NumPy"]


@dataclass
class Row:
    workload: str
    unit: str
    values: dict  # impl -> value in `unit`
    target: str = ""
    checks: list = field(default_factory=list)  # booleans; all true -> "yes"
    note: str = ""
    compare: bool = True  # False: the values are not costs to divide (e.g. a ratio per implementation)

    def ratio(self, other: str, impl: str = "memograd") -> float | None:
        if not self.compare:
            return None
        a, b = self.values.get(impl), self.values.get(other)
        return a / b if a is not None and b else None

    def cells(self, compiled: bool = False) -> list:
        def num(v):
            if v is None:
                return "-"
            return f"{v:.3g}" if v < 100 else f"{v:.0f}"

        def ratio(r):
            return "-" if r is None else f"{r:.2f}x"

        met = "" if not self.checks else ("yes" if all(self.checks) else "no")
        cells = [self.workload, self.unit] + [num(self.values.get(i)) for i in IMPLS] + \
                [ratio(self.ratio("pytorch")), ratio(self.ratio("numpy")), self.target, met]
        if compiled:
            cells += [num(self.values.get(COMPILED)), ratio(self.ratio("pytorch", COMPILED)),
                      ratio(self.ratio("numpy", COMPILED))]
        return cells


def render(rows: list, markdown: bool = False) -> str:
    compiled = any(COMPILED in r.values for r in rows)
    header = HEADER + (COMPILED_HEADER if compiled else [])
    body = [r.cells(compiled) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(c) + " |" for c in body]
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
        lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in [header] + body]
        lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"{r.workload}: {r.note}" for r in rows if r.note]
    if notes:
        lines += [""] + [("- " if markdown else "  ") + n for n in notes]
    return "\n".join(lines)
