"""Array kernels the optimizers share."""
from __future__ import annotations

import numpy as np

from .. import loops

# Elements per block: 256 KiB of float32, so a scaled block is still in L2 cache when it is added
# (measured: 32K, 64K and 128K elements per block within noise; 8K twice as slow from call overhead).
BLOCK = 1 << 16


def load_loops() -> None:
    """Import Numba for the update loops when an optimizer is made, not in the middle of its first
    step: there its allocations land among the step's arrays and leave the heap fragmented for
    every later step (W2's step: 4 MiB more peak RSS; benchmarks/RESULTS.md, round 8)."""
    loops.available()


def add_scaled_(target: np.ndarray, source: np.ndarray, alpha: float) -> None:
    """target += alpha * source, in place.

    NumPy has no fused "axpy": `target += alpha * source` first writes a full-size temporary,
    which for a large weight matrix means fresh pages and one more trip through memory. Done
    block by block, the scaled copy stays in cache (measured: 2.4 -> 1.6 ms on a 2048x2048
    float32 weight). On float32 with Numba, one loop reads each element once: W7's eleven
    parameters 1.24 -> 0.62 ms with cold caches (benchmarks/RESULTS.md, round 8). The result is
    bit-identical either way: each element is still t + (alpha * s), rounded after each step."""
    if target.shape != source.shape or not (target.flags.c_contiguous and source.flags.c_contiguous):
        target += alpha * source
        return
    flat_target, flat_source = target.reshape(-1), source.reshape(-1)  # views: both are contiguous
    if loops.ready(target, source):
        # NumPy multiplies float32 by a Python float in float32 (the scalar is weak): so does the loop
        _add_scaled_loop(flat_target, flat_source, np.float32(alpha))
        return
    if target.size <= BLOCK:
        target += alpha * source
        return
    scratch = np.empty(BLOCK, dtype=np.result_type(source.dtype, target.dtype))
    for start in range(0, flat_target.size, BLOCK):
        stop = min(start + BLOCK, flat_target.size)
        block = scratch[: stop - start]
        np.multiply(flat_source[start:stop], alpha, out=block)
        flat_target[start:stop] += block


@loops.loop
def _add_scaled_loop(target, source, alpha):
    """target[j] = target[j] + alpha * source[j] over flat arrays: NumPy's two roundings, in one pass."""
    for j in range(target.size):
        target[j] = target[j] + alpha * source[j]
