"""A recorded training step as a flat program: one line per array-level call, turned into
a plain Python function.

Names in the program:

    a0 a1 ...   the step's tensor arguments (new ones on every call)
    v0 v1 ...   arrays: the arguments' data, parameters' data, every intermediate result
    t0 t1 ...   tensors that outlive the step (parameters, buffers), read at the start
    c0 c1 ...   one ctx per recorded op, reused by every replay (forward fills it, backward reads it)
    k0 k1 ...   constants; b0 b1 ... preallocated buffers written with out=

The lines are made into source code and compiled once, so a replay runs the NumPy calls
with nothing in between: no Tensor objects, no graph, no Python dispatch."""
from __future__ import annotations

import re

import numpy as np

from ..autograd import function
from ..ops import gradients
from . import runtime

_INLINE = (bool, int, float, str, type(None))


class Constant:
    """A value the program reads as it was recorded. Two recordings agree on it when it is
    the same object, or (for arrays and tensors) holds the same bytes."""

    __slots__ = ("key", "value")

    def __init__(self, value):
        self.value = value
        data = value._data if isinstance(value, function.Tensor) else value
        if isinstance(data, np.ndarray | np.generic):
            self.key = (type(value), data.shape, data.dtype.str, np.ascontiguousarray(data).tobytes())
        else:
            self.key = (type(value), value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Constant) and (self.value is other.value or self.key == other.key)

    __hash__ = None


class Program:
    """The steps of one recorded call, and the function that replays them."""

    def __init__(self, n_inputs: int):
        self.n_inputs = n_inputs
        self.prologue = [f"v{i} = a{i}._data" for i in range(n_inputs)]
        self.lines: list[str] = []  # the body, one call per line (comments included)
        self.signature: list = []  # what two recordings must agree on
        self.names = {"np": np, "Tensor": function.Tensor, "sum_to": gradients.sum_to, "cast": gradients.cast,
                      "asarray": np.asarray, **runtime.HELPERS}
        self.tensors: list = []  # (tensor, shape, dtype, requires_grad): checked before a replay
        self.counts = {"v": n_inputs}
        self.result = "None"
        self.fn = None

    # ---- building ----------------------------------------------------------------------

    def fresh(self, prefix: str) -> str:
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}{n}"

    def bind(self, prefix: str, value, name: str | None = None) -> str:
        """A name for `value` in the replay's namespace."""
        name = name or self.fresh(prefix)
        self.names[name] = value
        return name

    def constant(self, value) -> tuple[str, Constant]:
        """(code, signature entry) for a value the program reads as recorded."""
        if type(value) in _INLINE and _finite(value):  # written into the source as a literal
            return repr(value), Constant(value)
        return self.bind("k", value), Constant(value)

    def outlives(self, tensor, t: str) -> str:
        """Bind a tensor from outside the step, named `t`: its array is read at the start of
        each replay, and gets the name returned."""
        v = self.fresh("v")
        self.prologue.append(f"{v} = {t}._data")
        self.tensors.append((tensor, tensor._data.shape, tensor._data.dtype, tensor._requires_grad))
        self.signature.append(("outlives", t))
        return v

    def emit(self, line: str, note: str = "", signature=()) -> None:
        self.lines.append(f"{line}  # {note}" if note else line)
        self.signature.append(signature)

    def finish(self, result: str) -> None:
        self.result = result
        source = self.source()
        code = compile(source, "<memograd.compile program>", "exec")
        exec(code, self.names)  # noqa: S102 - our own generated source, see source()
        self.fn = self.names["replay"]

    # ---- reading -----------------------------------------------------------------------

    def source(self) -> str:
        args = ", ".join(f"a{i}" for i in range(self.n_inputs))
        body = released(self.prologue + self.lines, self.result) + [f"return {self.result}"]
        return f"def replay({args}):\n" + "".join(f"    {line}\n" for line in body)

    def __len__(self) -> int:
        return sum(1 for line in self.lines if not line.startswith("#"))

    def same_as(self, other: Program) -> bool:
        return (other is not None and self.n_inputs == other.n_inputs and self.result == other.result
                and self.signature == other.signature)

    def guards_hold(self) -> bool:
        """The tensors read from outside still have the shape, dtype and grad flag recorded."""
        for tensor, shape, dtype, requires_grad in self.tensors:
            data = tensor._data
            if data.shape != shape or data.dtype != dtype or tensor._requires_grad != requires_grad:
                return False
        return True


_VALUE = re.compile(r"\bv\d+\b")
_RULE = re.compile(r"\.backward\((c\d+),")


def released(lines: list, result: str) -> list:
    """`lines` with each array name deleted after the last line that reads it, and each op's
    saved values dropped once its backward rule has run, as the eager engine frees them: a
    replay is one Python function, whose locals would otherwise keep every intermediate array
    of the step alive until it returns (measured on W6: a traced peak of 232 MiB against
    eager's 104; with the deletions, 104)."""
    last = {}
    for i, line in enumerate(lines):
        for name in _VALUE.findall(line.split("  #", 1)[0]):
            last[name] = i
    kept = set(_VALUE.findall(result))
    dead_after = {}
    for name, i in last.items():
        if name not in kept:
            dead_after.setdefault(i, []).append(name)
    out = []
    for i, line in enumerate(lines):
        out.append(line)
        rule = _RULE.search(line)
        if rule:
            out.append(f"{rule.group(1)}.saved = ()")
        if i in dead_after:
            out.append("del " + ", ".join(sorted(dead_after[i], key=lambda n: int(n[1:]))))
    return out


def _finite(value) -> bool:
    return not isinstance(value, float) or value - value == 0.0
