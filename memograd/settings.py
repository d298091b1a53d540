"""Process-wide switches that programs set at start-up. memograd honours what it can:
its results are already deterministic (NumPy on the CPU), so the determinism switch is a
recorded flag; thread counts and matmul precision are recorded for `get_*` to report,
since NumPy's BLAS threads are fixed when NumPy loads."""
from __future__ import annotations

import os

_state = {"deterministic": False, "warn_only": False, "threads": os.cpu_count() or 1, "precision": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    _state["deterministic"], _state["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _state["warn_only"]


def set_num_threads(n: int) -> None:
    if n <= 0:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    _state["threads"] = int(n)


def get_num_threads() -> int:
    return _state["threads"]


def set_float32_matmul_precision(precision: str) -> None:
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision {precision!r}: expected 'highest', 'high' or 'medium'")
    _state["precision"] = precision


def get_float32_matmul_precision() -> str:
    return _state["precision"]
