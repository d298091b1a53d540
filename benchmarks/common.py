"""Shared timing helpers: settling, interleaved repeats, the share of other load, and the machine description."""
from __future__ import annotations

import os
import platform
import time


def settle(fn, seconds: float) -> None:
    """Call fn (untimed) until `seconds` have passed, at least once when seconds > 0.

    Needed when implementations with different thread pools share a process: after its last
    call, OpenBLAS's worker threads keep polling for work for up to ~0.1 s, and PyTorch's
    OpenMP threads spin too, so whichever runs next loses a core on a 2-core machine. Measured
    on W1: a PyTorch step timed right after a NumPy one took 6.3 ms instead of 2.3 ms."""
    if seconds <= 0:
        return
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def time_samples(candidates: dict, repeats: int, inner: int = 1, warmup: int = 2, settle_s: float = 0.0,
                 clock=time.perf_counter) -> dict:
    """Seconds per call of each candidate, one sample (the mean of `inner` consecutive calls)
    per repeat, running the candidates in turn so that machine noise (another process,
    frequency changes) falls on all of them alike; `settle_s` (see settle) runs before each
    candidate's timed calls. `clock=time.process_time` counts this process's CPU time instead
    of wall time: with single-threaded BLAS on a machine other processes load, that leaves out
    the time spent waiting for a core (see --cpu-time in suite.py)."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            settle(fn, settle_s)
            start = clock()
            for _ in range(inner):
                fn()
            samples[name].append((clock() - start) / inner)
    return samples


class OtherLoad:
    """How much of the machine other processes used while this one ran: busy CPU time from
    /proc/stat minus this process's (and its children's) own CPU time, as a share of all
    cores' wall time. A rough figure for "how noisy was this run"."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
        except OSError:
            return None
        hz = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / hz  # all but idle and iowait
        t = os.times()
        own = t.user + t.system + t.children_user + t.children_system
        return busy, own, time.perf_counter()

    def share(self) -> float | None:
        end = self._read()
        if self.start is None or end is None:
            return None
        busy, own, wall = (e - s for e, s in zip(end, self.start))
        return max(0.0, busy - own) / (wall * (os.cpu_count() or 1)) if wall > 0 else None


def blas_threads() -> int:
    """How many threads NumPy's BLAS runs (OPENBLAS_NUM_THREADS=1 makes it 1): PyTorch gets as
    many, so that neither library has more cores than the other."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return int(os.environ.get("OPENBLAS_NUM_THREADS", os.cpu_count() or 1))
    counts = [i.get("num_threads") for i in threadpool_info() if i.get("user_api") == "blas"
              and "numpy" in str(i.get("filepath", ""))]
    return counts[0] if counts else os.cpu_count() or 1


def try_import_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(blas_threads())
    return torch


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_line() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown BLAS (threadpoolctl not installed)"
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not infos:
        return "unknown BLAS"
    # Other packages (scipy, torch) may load their own BLAS; NumPy's is the one that matters here.
    i = next((i for i in infos if "numpy" in str(i.get("filepath", ""))), infos[0])
    return (f"{i.get('internal_api')} {i.get('version')} (kernel {i.get('architecture')}, "
            f"{i.get('num_threads')} threads)")


def blas_env_note() -> str | None:
    """OpenBLAS variables that change which kernel runs; reported, never changed."""
    seen = [f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                                              "OMP_NUM_THREADS") if k in os.environ]
    return ", ".join(seen) if seen else None


def machine_line(torch=None) -> str:
    import numpy as np

    text = f"{cpu_model()}, {os.cpu_count()} cores, NumPy {np.__version__}, {blas_line()}"
    if torch is not None:
        text += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    note = blas_env_note()
    if note:
        text += f"; environment: {note}"
    return text
