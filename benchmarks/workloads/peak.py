"""The machine's float32 matmul throughput and the matmul FLOPs of an MLP training step."""
from __future__ import annotations

import itertools
import time

import numpy as np


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of one large float32 np.matmul (n x n x n, 2 n^3 FLOPs), the best of `repeats`:
    the peak is what the machine can do, and on a shared machine slower samples are noise."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return 2 * n ** 3 / min(times) / 1e9


def mlp_step_matmul_flops(sizes: tuple, batch: int) -> dict:
    """Matmul FLOPs of forward and backward: each layer does x @ W.T forward, grad_W = g.T @ x
    backward, and grad_x = g @ W except for the first layer (the input needs no gradient)."""
    layer = [2 * batch * i * o for i, o in itertools.pairwise(sizes)]
    forward = sum(layer)
    backward = 2 * forward - layer[0]
    return {"forward": forward, "backward": backward, "step": forward + backward}
