"""Large arrays kept for reuse by the ops that allocate them on every call.

A training step allocates the same big arrays every time (an LSTM layer's gates and saved
states, some 10 MB a layer at W7's size) and frees them when its graph goes. Handed back to
malloc, freed memory at the top of the heap or above its mmap threshold goes back to the
kernel, and the next step's first writes fault every page in again, zero-filled (a W7 step
alone in its process: 5,900 page faults; none once the LSTM, cross-entropy and the
embedding's gradient draw from this pool, and the step 13-20% faster: benchmarks/RESULTS.md,
round 8). `empty` instead keeps each array it makes and hands it out again once nothing
refers to it: no array, view or tensor (views hold their base, so a reference count shows
whether anything still reads the memory). Only NumPy arrays of at least MIN_BYTES go through
the pool, and it holds at most `limit` bytes: when full, it drops its unused arrays (sizes no
longer asked for, as when sequence lengths change), and past that, arrays are made and freed
as usual. `release()` gives every unused array back to malloc (what PyTorch's
`torch.cuda.empty_cache()` does for its pool).

backend.retain_freed_memory() ends the faults for every array, by telling malloc to keep freed
memory; `memograd train` and the benchmark suite call it, but it changes the whole process, so
a library must not do it behind a program's back (`import memograd as torch` scripts do not
call it). The pool keeps memograd's own arrays without touching anyone else's.

The pool reuses an array only for the same element count and dtype, where malloc reuses
freed memory for any size: so it suits ops whose arrays come back with the same shapes (an
LSTM's, a loss over a vocabulary, an embedding's gradient). Linear's outputs and gradients
through it raised W5's peak memory from 42 to 58 MiB (a step's freed activations no longer
serving its gradients), so they stay out."""
from __future__ import annotations

import math
import os
import sys
import sysconfig
import threading

import numpy as np

MIN_BYTES = 1 << 18  # smaller arrays come from malloc's free lists without faults
# A reference count tells whether an array is free only where counts are exact and no other
# thread changes them unseen: CPython with its interpreter lock. Elsewhere nothing is pooled.
ENABLED = sys.implementation.name == "cpython" and not sysconfig.get_config_var("Py_GIL_DISABLED")
_lock = threading.Lock()
_pool: dict = {}  # (element count, dtype) -> every array made for that key, in use or not
_held = 0  # bytes of all the arrays in _pool
limit = 512 << 20  # bytes


def _forget_in_child() -> None:
    """A forked child (a DataLoader worker) starts with an empty pool and a free lock: the
    parent's lock may have been held by another thread at the fork."""
    global _lock, _pool, _held
    _lock, _pool, _held = threading.Lock(), {}, 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def _free_refcount() -> int:
    """sys.getrefcount of a pooled array that nothing else refers to, measured on the same code
    path as `_take` (the list's reference, the loop variable's and the call's own)."""
    probe = [np.empty(1)]
    for array in probe:
        return sys.getrefcount(array)


_FREE = _free_refcount() if ENABLED else None  # PyPy has no sys.getrefcount


def empty(shape: tuple, dtype, xp=np):
    """xp.empty(shape, dtype): for NumPy, from the pool when it is big enough to be worth keeping
    (another array module, such as CuPy, keeps its own pool)."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    dtype = np.dtype(dtype)
    count = math.prod(shape)
    if count * dtype.itemsize < MIN_BYTES or not ENABLED:
        return np.empty(shape, dtype)
    return _take(count, dtype).reshape(shape)


def _take(count: int, dtype: np.dtype) -> np.ndarray:
    key = (count, dtype)
    with _lock:
        arrays = _pool.get(key)
        if arrays is not None:
            for array in arrays:
                if sys.getrefcount(array) == _FREE:
                    return array
        array = np.empty(count, dtype)
        # full: drop the unused arrays (sizes no longer asked for, as when sequence lengths
        # change) before giving up on pooling this one
        if _held + array.nbytes > limit:
            _drop_unused()
        if _held + array.nbytes <= limit:
            _pool.setdefault(key, []).append(array)
            _add_held(array.nbytes)
        return array


def release() -> int:
    """Drop every array of the pool that is not in use; returns the bytes given back."""
    with _lock:
        return _drop_unused()


def _drop_unused() -> int:
    """release() with the lock held."""
    freed = 0
    for key in list(_pool):
        kept = []
        for array in _pool[key]:
            if sys.getrefcount(array) == _FREE:
                freed += array.nbytes
            else:
                kept.append(array)
        if kept:
            _pool[key] = kept
        else:
            del _pool[key]
    _add_held(-freed)
    return freed


def _add_held(nbytes: int) -> None:
    global _held
    _held += nbytes


def matmul(a, b, xp=np):
    """a @ b for 2-d a and b, into an array from `empty`."""
    return xp.matmul(a, b, out=empty((a.shape[0], b.shape[1]), xp.result_type(a, b), xp))
