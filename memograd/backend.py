"""Which array module holds a tensor's data. Ops ask here instead of importing NumPy
directly, so a CuPy backend can slot in by teaching `array_module` one more type."""
from __future__ import annotations

import numpy as np


def array_module(array):
    """NumPy today; the module of `array` (e.g. CuPy) once another backend is added."""
    module = type(array).__module__
    if module.startswith("cupy"):
        import cupy  # pragma: no cover - no GPU backend yet

        return cupy
    return np


class device:  # noqa: N801 - PyTorch's name
    """`memograd.device("cpu")`: only the CPU exists until a GPU backend is added."""

    __slots__ = ("type",)

    def __init__(self, spec: "str | device" = "cpu"):
        name = spec.type if isinstance(spec, device) else str(spec)
        if name.split(":")[0] != "cpu":
            raise RuntimeError(f"device {name!r} is not available: memograd runs on 'cpu' only")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return isinstance(other, (device, str)) and device(other).type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")


# ---- floating-point warnings -------------------------------------------------------------
# PyTorch computes log(0) = -inf, 1/0 = inf and sqrt(-1) = nan silently; NumPy warns. Ops
# whose forward can meet those inputs run under `quiet()`. `np.errstate` costs ~3 us a call
# (it rebuilds its state object each time); setting NumPy's error-state context variable to
# one prebuilt "ignore" state costs ~0.5 us (measured on 100 floats: log 1.2 us, with
# errstate 4.4-5.2 us, with the variable 1.8 us). The variable is NumPy-internal, so any
# NumPy without it falls back to errstate.
try:
    from numpy._core._multiarray_umath import _extobj_contextvar, _make_extobj

    _IGNORE = _make_extobj(all=None, divide="ignore", invalid="ignore", over="ignore", under="ignore")
except ImportError:  # pragma: no cover - another NumPy layout
    _extobj_contextvar = None


class quiet:  # noqa: N801 - used like np.errstate
    """`with quiet(): ...` computes without NumPy's divide/invalid/overflow warnings."""

    __slots__ = ("token",)

    def __enter__(self):
        if _extobj_contextvar is not None:
            self.token = _extobj_contextvar.set(_IGNORE)
        else:  # pragma: no cover
            self.token = np.errstate(all="ignore")
            self.token.__enter__()

    def __exit__(self, *exc):
        if _extobj_contextvar is not None:
            _extobj_contextvar.reset(self.token)
        else:  # pragma: no cover
            self.token.__exit__(*exc)


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def retain_freed_memory(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Ask the C allocator (glibc's malloc) to keep freed memory for the next allocations
    instead of giving it back to the operating system; returns whether it could.

    A training step frees and allocates the same large arrays every step. By default glibc
    serves arrays above a threshold with fresh mmap'ed pages and trims the heap when its top
    is free, so every step pays a page fault per 4 KiB of temporaries: measured on the LSTM
    language model step (benchmarks W7) 8,000 faults and a quarter of the step's time, on the
    GPT step 9,600. With arrays up to `mmap_threshold` taken from the heap and up to
    `trim_threshold` of free heap kept, there are none. The cost: the process keeps its peak
    memory instead of shrinking after it. Process-wide (it helps every NumPy user in the
    process), so memograd never does it on its own; `memograd train` does.

    >>> memograd.backend.retain_freed_memory()  # once, before training
    True
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))) and bool(mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))
