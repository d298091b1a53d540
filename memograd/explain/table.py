"""Aligned plain-text tables, the one output format every `explain` report shares.

Text rather than a rich widget, so a table pastes unchanged into a terminal, a bug report
or a slide. Numbers are right-aligned (digits line up), words left-aligned."""
from __future__ import annotations

from collections.abc import Sequence


def format_number(value) -> str:
    """Integers with thousands separators, floats with 4 significant digits, None as '-'.

    >>> format_number(1234567), format_number(0.000123456), format_number(None)
    ('1,234,567', '0.0001235', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1e5 or abs(value) < 1e-4:
            return f"{value:.3g}"
        return f"{value:.4g}"
    return str(value)


def format_bytes(count: int | None) -> str:
    """Bytes in B/KiB/MiB/GiB, readable at a glance.

    >>> format_bytes(512), format_bytes(4096), format_bytes(None)
    ('512 B', '4.0 KiB', '-')
    """
    if count is None:
        return "-"
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"  # unreachable; keeps type checkers calm


def format_seconds(seconds: float | None) -> str:
    """Wall time in the unit that keeps 3 significant digits readable.

    >>> format_seconds(0.0001618), format_seconds(2.5), format_seconds(None)
    ('162 µs', '2.50 s', '-')
    """
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s" if seconds >= 10 else f"{seconds:.2f} s"


def render(headers: Sequence[str], rows: Sequence[Sequence], title: str | None = None,
           footer: Sequence[str] = (), align: str | None = None) -> str:
    """`rows` as an aligned table under `headers`; cells are formatted with `format_number`.
    Columns of numbers are right-aligned, others left-aligned, unless `align` gives one
    letter per column ('l' or 'r').

    >>> print(render(["op", "count"], [["MatMul", 3], ["Add", 12]]))
    op      count
    ------  -----
    MatMul      3
    Add        12
    """
    cells = [[c if isinstance(c, str) else format_number(c) for c in row] for row in rows]
    if align is None:
        numeric = [bool(rows) and all(_is_numeric(row[j]) for row in rows) for j in range(len(headers))]
    else:
        numeric = [a == "r" for a in align]
    widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]

    def line(values) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)]
        return "  ".join(parts).rstrip()

    out = [title] if title else []
    out.append(line(headers))
    out.append("  ".join("-" * w for w in widths))
    out.extend(line(r) for r in cells)
    out.extend(footer)
    return "\n".join(out)


def _is_numeric(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
