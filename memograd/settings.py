"""Process-wide switches that programs set at start-up. memograd honours what it can:
its results are already deterministic (NumPy on the CPU), so the determinism switch is a
recorded flag; the thread count is how many threads memograd's own elementwise kernels use
(memograd.blockwise; NumPy's BLAS threads are fixed when NumPy loads); matmul precision is
recorded for `get_*` to report."""
from __future__ import annotations

import os


def _default_threads() -> int:
    """As PyTorch: OMP_NUM_THREADS if set (or OPENBLAS_NUM_THREADS, which NumPy's BLAS follows),
    else one per core."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


_state = {"deterministic": False, "warn_only": False, "threads": _default_threads(), "precision": "highest"}


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
