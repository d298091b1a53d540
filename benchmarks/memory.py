"""W5: the extra peak memory of one W2 training step (MLP 784-2048-2048-10, batch 1024,
float32), for one implementation, in this fresh process. Run by suite.py, or by hand:

    python benchmarks/memory.py memograd|numpy|pytorch

Prints one JSON line. Method: build the model and data, run one warm-up step, drop the
gradients, collect garbage and give freed heap pages back to the OS (malloc_trim), then read
the current RSS as the baseline and reset the kernel's peak-RSS mark (writing 5 to
/proc/self/clear_refs). After one step, extra = peak RSS - baseline: everything the step
needed beyond the parameters and the data, gradients included. The peak is read as VmHWM
from /proc/self/status, the counter getrusage's ru_maxrss is built on: ru_maxrss itself also
keeps the high-water mark from before exec, which for a child forked by a big parent (the
suite) is the parent's size, so it would report that instead. For the
NumPy-based implementations (memograd, numpy) a second figure comes from tracemalloc (NumPy
reports its buffers to it): the traced peak during one more step minus the traced memory
before it."""
from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import sys
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads.nets import LR, as_tensors, load_weights, mlp_data, mlp_model, mlp_weights

SIZES = (784, 2048, 2048, 10)
BATCH = 1024
MiB = 1024 * 1024


def current_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_rss() -> int:
    """The high-water mark of RSS of this process's memory (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def trim() -> None:
    """Give freed memory back to the OS, memograd's workspace pool included: arrays it keeps
    from the warm-up would otherwise count in the baseline, and the measured step reuse them."""
    gc.collect()
    workspace = sys.modules.get("memograd.ops.workspace")
    if workspace is not None:
        workspace.release()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def make_step(impl: str):
    rng = np.random.default_rng(0)
    arrays = mlp_weights(SIZES, rng)
    x, y = mlp_data(SIZES, BATCH, rng)
    if impl == "numpy":
        from workloads.numpy_mlp import NumpyMLP

        return NumpyMLP(arrays, x, y, LR)
    if impl == "memograd":
        import memograd as lib
    elif impl == "pytorch":
        import torch as lib

        lib.set_num_threads(os.cpu_count() or 1)
    else:
        raise SystemExit(f"unknown implementation {impl!r}: memograd, numpy or pytorch")
    from workloads.steps import FrameworkStep

    model = mlp_model(lib, SIZES)
    load_weights(lib, model, arrays)
    xt, yt = as_tensors(lib, x, y)
    return FrameworkStep(lib, model, xt, yt, LR)


def measure(impl: str) -> dict:
    step = make_step(impl)
    step()  # warm-up: lazy allocations, caches, BLAS buffers
    step.clear()
    trim()
    baseline = current_rss()
    peak_was_reset = reset_peak()
    before_peak = peak_rss()
    step()
    after_peak = peak_rss()
    result = {"impl": impl, "baseline_rss_mib": baseline / MiB, "peak_was_reset": peak_was_reset,
              "extra_rss_mib": (after_peak - (baseline if peak_was_reset else before_peak)) / MiB}
    if impl in ("memograd", "numpy"):
        step.clear()
        trim()
        tracemalloc.start()
        current, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        step()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["extra_traced_mib"] = (peak - current) / MiB
    return result


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python benchmarks/memory.py memograd|numpy|pytorch")
    print(json.dumps(measure(sys.argv[1])))
