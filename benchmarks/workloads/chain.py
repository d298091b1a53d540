"""Chains of tiny ops, where the per-op cost of the engine shows:

  W3: 200 elementwise ops (x*0.9, +0.1, tanh, square, repeated) on 16 elements, fwd+bwd
  W4: a chain of `depth` multiplications by 1.0 on one element, fwd+bwd

small_chain_compiled is W3 through `memograd.compile` (recorded twice, then replayed).

memograd and torch run the same code (`lib` is either module); the NumPy versions are the
same computations with the backward written by hand."""
from __future__ import annotations

import numpy as np

from .steps import compile_warm_up

CHAIN = 200
N_SMALL = 16


def small_chain_body(x):
    """The chain on a leaf tensor `x`, then backward: (output, x.grad)."""
    y = x
    for _ in range(CHAIN // 4):
        y = y * 0.9
        y = y + 0.1
        y = y.tanh()
        y = y * y
    y.sum().backward()  # one extra op; negligible against 200
    return y, x.grad


def small_chain(lib, x0: np.ndarray):
    def run():
        return small_chain_body(lib.tensor(x0, requires_grad=True))

    return run


def small_chain_compiled(mg, x0: np.ndarray):
    """small_chain through `mg.compile`, already recorded (see compile_warm_up): each call replays."""
    compiled = mg.compile(small_chain_body)

    def run():
        return compiled(mg.tensor(x0, requires_grad=True))

    compile_warm_up(run, compiled)
    return run


def small_chain_numpy(x0: np.ndarray):
    """One ufunc per op forward; backward keeps only the tanh outputs."""

    def run():
        tape = []
        y = x0
        for _ in range(CHAIN // 4):
            y = y * 0.9
            y = y + 0.1
            t = np.tanh(y)
            tape.append(t)
            y = t * t
        g = np.ones_like(y)
        for t in reversed(tape):
            g = g * (2 * t)
            g = g * (1 - t * t)
            g = g * 0.9
        return y, g

    return run


def deep_chain(lib, depth: int):
    def run():
        x = lib.tensor([1.0], requires_grad=True)
        y = x
        for _ in range(depth):
            y = y * 1.0
        y.sum().backward()
        return x.grad

    return run


def deep_chain_numpy(depth: int):
    def run():
        y = np.ones(1)
        for _ in range(depth):
            y = y * 1.0
        g = np.ones_like(y)
        for _ in range(depth):
            g = g * 1.0
        return g

    return run


def as_numpy(values) -> np.ndarray:
    """Arrays or tensors (memograd or torch) of any of the implementations, as one flat NumPy array."""
    return np.concatenate([np.asarray(v.detach().numpy() if hasattr(v, "detach") else v).ravel() for v in values])
