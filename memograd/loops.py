"""Compiled loops: the chains of elementwise and row-wise work that NumPy runs as many passes,
written once as plain Python loops and compiled by Numba where it is installed
(`pip install memograd[fast]`; the `train` and `test` extras include it).

Why: a NumPy expression of n operations reads and writes its arrays n times; float32 GELU is
some 25 passes (its erf), LayerNorm's forward and backward a dozen, each over the whole array.
One loop reads each element once and keeps the chain in registers: GELU's forward over
(2048, 512) float32 goes from 4.6 ms of passes to 1.0 ms on one core (benchmarks/RESULTS.md).

Without Numba, or with MEMOGRAD_JIT=0 in the environment, every op takes its NumPy path, which
stays the reference: the loops are tested against it (tests/test_loops.py). How the loops keep
the NumPy path's arithmetic:
- constants are float32 (`np.float32(...)`): a Python float would promote the loop to float64;
- error_model="numpy": a division by zero gives inf or nan as in NumPy, and no per-element check
  (which would also stop the loop from being vectorised);
- no fastmath: no fused multiply-adds, no reordering, so an elementwise loop that does NumPy's
  operations in NumPy's order gives NumPy's bits. A loop that sums (`@loop(reorder_sums=True)`)
  may add in any order, so that its sums run in vector lanes (2-3x faster; LayerNorm's rows): its
  results round differently from NumPy's pairwise sums, and are the same on every call.
Transcendentals (exp, tanh) stay NumPy passes between loops: Numba calls the C library once per
element for them, which is slower than NumPy's vectorised ones and rounds differently.

The loops release the interpreter lock, so `memograd.blockwise` runs their slices on all of
memograd's threads. Numba compiles a loop on its first call (about a second) and keeps the
machine code on disk, so later processes load it."""
from __future__ import annotations

import os
import threading
import types

import numpy as np

_numba = None
_checked = False
_lock = threading.RLock()  # blockwise's threads may make the first call together; reentrant for inner loops


def available() -> bool:
    """True when loops are compiled: Numba is importable and MEMOGRAD_JIT is not 0 (read once,
    at the first call; Numba is imported then, not when memograd is)."""
    global _numba, _checked
    if not _checked:
        with _lock:
            if not _checked and os.environ.get("MEMOGRAD_JIT", "1") != "0":
                try:
                    import numba as _numba
                except ImportError:
                    _numba = None
            _checked = True
    return _numba is not None


def ready(*arrays, dtype=np.float32) -> bool:
    """Whether an op may hand `arrays` to its loops: each one (None skipped) a NumPy array of
    `dtype` (the loops are written and tested for float32), and Numba available."""
    return all(a is None or (type(a) is np.ndarray and a.dtype == dtype) for a in arrays) and available()


def loop(fn=None, *, reorder_sums: bool = False):
    """Decorator: `@loop` or `@loop(reorder_sums=True)` makes `fn` a Loop."""
    if fn is None:
        return lambda fn: Loop(fn, reorder_sums=reorder_sums)
    return Loop(fn)


class Loop:
    """A plain Python loop over arrays, compiled on its first call. `.python` is the loop as written."""

    def __init__(self, fn, *, reorder_sums: bool = False):
        self.python = fn
        self.__name__, self.__doc__ = fn.__name__, fn.__doc__
        self._options = {"nogil": True, "cache": True, "error_model": "numpy"}
        if reorder_sums:
            self._options["fastmath"] = {"reassoc", "nsz"}
        self._compiled = None

    def __call__(self, *arrays):
        compiled = self._compiled
        if compiled is None:
            compiled = self.dispatcher()
        return compiled(*arrays)

    def dispatcher(self):
        """Numba's dispatcher for the loop (compiling at its first call). A loop may call other
        loops: the names it reads that are Loops are given to Numba as their dispatchers. Numba's
        cache checks only the caller's own file: after editing an inner loop in another file,
        delete that caller's cache (__pycache__/*.nbi, *.nbc)."""
        if not available():
            raise RuntimeError(f"memograd.loops: {self.__name__} called without Numba "
                               "(check loops.available() first)")
        with _lock:
            if self._compiled is None:
                self._compiled = _numba.njit(_with_inner_dispatchers(self.python), **self._options)
            return self._compiled


def _with_inner_dispatchers(fn):
    """`fn`, or a copy of it whose global and closure names bound to Loops are their dispatchers."""
    inner = {name: value.dispatcher() for name in fn.__code__.co_names
             if isinstance(value := fn.__globals__.get(name), Loop)}
    cells = fn.__closure__ or ()
    inner_cells = [isinstance(cell.cell_contents, Loop) for cell in cells]
    if not inner and not any(inner_cells):
        return fn
    closure = tuple(types.CellType(cell.cell_contents.dispatcher()) if is_loop else cell
                    for cell, is_loop in zip(cells, inner_cells))
    return types.FunctionType(fn.__code__, {**fn.__globals__, **inner}, fn.__name__, fn.__defaults__, closure or None)
