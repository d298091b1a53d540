"""Every code block of the tutorials runs, and prints what the tutorial shows.

A ```python block is executed (blocks of one file share a namespace, in order); when a
```text block follows it, the block's printed output must match it. `...` in the expected
text stands for any characters (timings, machine-dependent digits)."""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.DOTALL)


def blocks(path: Path) -> list[tuple[str, str | None]]:
    """(code, expected output or None) pairs, in order."""
    found = BLOCK.findall(path.read_text(encoding="utf-8"))
    pairs = []
    for i, (kind, body) in enumerate(found):
        if kind == "python":
            following = found[i + 1] if i + 1 < len(found) else None
            pairs.append((body, following[1] if following and following[0] == "text" else None))
    return pairs


def matches(expected: str, actual: str) -> bool:
    pattern = ".*?".join(re.escape(part) for part in expected.strip().split("..."))
    return re.fullmatch(pattern, actual.strip(), re.DOTALL) is not None


@pytest.mark.parametrize("name", ["tutorial.md", "tutorial.ko.md"])
def test_tutorial_blocks_run_and_print_what_they_show(name, tmp_path, monkeypatch):
    path = DOCS / name
    pairs = blocks(path)
    assert len(pairs) >= 9, f"{name}: expected a code block for each step of the chapter"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__tutorial__"}
    for number, (code, expected) in enumerate(pairs, start=1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{name} block {number}", "exec"), namespace)
        if expected is not None:
            assert matches(expected, out.getvalue()), (
                f"{name} block {number} printed:\n{out.getvalue()}\n--- but the tutorial shows:\n{expected}")
    assert os.getcwd() == str(tmp_path)
