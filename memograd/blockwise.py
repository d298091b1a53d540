"""Long chains of elementwise NumPy passes (GELU's erf, its backward) run block by block, and
on all of memograd's threads.

Each NumPy call reads and writes a whole array: a chain of 20 calls over a 4 MiB array streams
160 MiB through memory, while the same chain over 128 KiB slices stays in the core's cache.
NumPy also leaves the interpreter lock while a ufunc runs, so the slices of one array can be
computed on several cores at once. Elementwise work gives every element the same operations
whichever slice it is in, so the result is bit for bit the one of the whole-array call.

Measured on GELU's forward over (2048, 512) float32 on 2 cores: 7.9 ms whole, 3.1 ms in slices
on one thread, 2.2 ms on two (benchmarks/RESULTS.md). Right after a matmul the extra threads gain
little: OpenBLAS's idle workers keep spinning on the other cores for a while (its
OPENBLAS_THREAD_TIMEOUT, read when NumPy loads), so the slices are what helps inside a training step.

    out = np.empty_like(x)
    blockwise(kernel, x, y, out)   # kernel(x_slice, y_slice, out_slice) for each slice

The thread count is memograd.get_num_threads() (PyTorch's intra-op threads)."""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import settings

# Elements per slice. GELU's forward over (2048, 512) float32 (2 cores, 2 MiB of L2 each): one
# thread 3.1 ms with slices of 2**15 (3.5 with 2**14, 4.1 with 2**18), two threads 2.2 ms with
# 2**17 (3.0 with 2**16, 5.2 with 2**14: every slice hands the interpreter lock over again).
BLOCK, SHARED_BLOCK = 1 << 15, 1 << 17
MIN_PARALLEL = 1 << 17  # below this a thread hand-off (tens of microseconds) costs more than it saves

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0
_pool_lock = threading.Lock()


def blockwise(kernel, *arrays: np.ndarray) -> None:
    """Call `kernel(*parts)` on matching contiguous slices of `arrays` (one shape; the arrays
    written must be C-contiguous, the others are made so), the slices shared among memograd's
    threads. `kernel` must be elementwise: it reads and writes only the slices it is given."""
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]

    size = flat[0].size
    threads = _threads(arrays[0], size)
    block = BLOCK if threads == 1 else SHARED_BLOCK

    def run(start: int, stop: int) -> None:
        for begin in range(start, stop, block):
            end = min(begin + block, stop)
            kernel(*(f[begin:end] for f in flat))

    _share(run, size, threads, block)


def by_rows(kernel, *arrays: np.ndarray) -> None:
    """Call `kernel(*parts)` on matching slices of `arrays` along their first axis, one slice
    per thread: for work whose rows are independent (attention per batch, normalisation per
    row). `kernel` reads and writes only the rows it is given."""
    rows = arrays[0].shape[0]
    per_row = arrays[0].size // max(rows, 1)

    def run(start: int, stop: int) -> None:
        kernel(*(a[start:stop] for a in arrays))

    _share(run, rows, min(rows, _threads(arrays[0], rows * per_row)), 1)


def _threads(array, size: int) -> int:
    """How many threads `size` elements are worth: one share of at least MIN_PARALLEL each,
    at most memograd.get_num_threads(); NumPy arrays only (other backends run as they are)."""
    if type(array) is not np.ndarray:
        return 1
    return min(settings.get_num_threads(), max(1, size // MIN_PARALLEL))


def _share(run, size: int, threads: int, unit: int) -> None:
    """run(start, stop) over [0, size) in `threads` shares of whole units; this thread takes
    the first share instead of waiting idle."""
    if threads <= 1:
        run(0, size)
        return
    share = -(-size // threads // unit) * unit
    pending = [_executor(threads).submit(run, start, min(start + share, size))
               for start in range(share, size, share)]
    run(0, min(share, size))
    for job in pending:
        job.result()


def _executor(threads: int) -> ThreadPoolExecutor:
    """One process-wide pool with `threads - 1` workers (the caller is the last thread). A
    forked child (a DataLoader worker) inherits the pool but not its threads: it makes its own."""
    global _pool, _pool_size, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_size < threads - 1 or _pool_pid != os.getpid():
            if _pool is not None and _pool_pid == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="memograd-blockwise")
            _pool_size, _pool_pid = threads - 1, os.getpid()
        return _pool
