"""Shared timing helpers: interleaved repeats, medians, and the machine description."""
from __future__ import annotations

import os
import platform
import statistics
import time


def time_interleaved(candidates: dict, repeats: int, inner: int = 1, warmup: int = 2) -> dict:
    """Median seconds per call of each candidate, running them in turn so that machine noise
    (another process, frequency changes) falls on all of them alike."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            start = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - start) / inner)
    return {name: statistics.median(s) for name, s in samples.items()}


def try_import_torch():
    try:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        return torch
    except ImportError:
        return None


def machine_line() -> str:
    import numpy as np

    blas = "unknown BLAS"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if infos:
            blas = f"{infos[0].get('internal_api')} {infos[0].get('version')} ({infos[0].get('architecture')})"
    except ImportError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, NumPy {np.__version__}, {blas}"


def report(title: str, times: dict, unit: str = "ms", scale: float = 1e3, baseline: str | None = None) -> None:
    print(f"\n{title}")
    for name, t in times.items():
        ratio = f"  {t / times[baseline]:.2f}x {baseline}" if baseline and baseline in times and name != baseline else ""
        print(f"  {name:<22} {t * scale:10.2f} {unit}{ratio}")
