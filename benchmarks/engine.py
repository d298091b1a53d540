"""Engine benchmarks (issue 2), side by side in one run:

  (a) a chain of 200 small elementwise ops (16 elements), forward + backward, per op
  (b) one SGD training step of an MLP 784-512-512-10, batch 128, float32
  (c) a chain of 100,000 ops, forward + backward

against a hand-written NumPy forward/backward (the floor for a NumPy engine) and PyTorch
when it is installed. Run: python benchmarks/engine.py"""
from __future__ import annotations

import sys
import time

import numpy as np

import memograd as mg

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import machine_line, report, time_interleaved, try_import_torch  # noqa: E402

torch = try_import_torch()

# ---- (a) chain of small elementwise ops --------------------------------------------------

CHAIN = 200
N_SMALL = 16


def chain_memograd(x0):
    def run():
        x = mg.tensor(x0, requires_grad=True)
        y = x
        for i in range(CHAIN // 4):
            y = y * 0.9
            y = y + 0.1
            y = y.tanh()
            y = y * y
        y.sum().backward()  # one extra op; negligible against 200
        return x.grad

    return run


def chain_torch(x0):
    def run():
        x = torch.tensor(x0, requires_grad=True)
        y = x
        for i in range(CHAIN // 4):
            y = y * 0.9
            y = y + 0.1
            y = y.tanh()
            y = y * y
        y.sum().backward()
        return x.grad

    return run


def chain_numpy(x0):
    """The same chain by hand: one ufunc per op forward, the minimum needed backward."""

    def run():
        tape = []
        y = x0
        for i in range(CHAIN // 4):
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
        return g

    return run


# ---- (b) MLP training step ---------------------------------------------------------------

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01


def mlp_params(rng):
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def step_memograd(params, x, y):
    ps = [mg.tensor(p, requires_grad=True) for p in params]
    xt, yt = mg.tensor(x), mg.tensor(y)
    rows = mg.arange(BATCH)

    def run():
        h = xt
        for i in range(0, len(ps), 2):
            h = h @ ps[i].T + ps[i + 1]
            if i < len(ps) - 2:
                h = h.relu()
        loss = -h.log_softmax(1)[rows, yt].mean()
        for p in ps:
            p.grad = None
        loss.backward()
        with mg.no_grad():
            for p in ps:
                p -= LR * p.grad
        return loss

    return run


def step_torch(params, x, y):
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def run():
        h = xt
        for i in range(0, len(ps), 2):
            h = torch.nn.functional.linear(h, ps[i], ps[i + 1])
            if i < len(ps) - 2:
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, yt)
        for p in ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= LR * p.grad
        return loss

    return run


def step_numpy(params, x, y):
    """Forward, backward and SGD update written by hand: the floor for a NumPy engine."""
    ps = [p.copy() for p in params]

    def run():
        acts, h = [x], x
        for i in range(0, len(ps), 2):
            h = h @ ps[i].T
            h += ps[i + 1]
            if i < len(ps) - 2:
                np.maximum(h, 0, out=h)
            acts.append(h)
        logits = acts[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        g = probs
        g[np.arange(BATCH), y] -= 1
        g /= BATCH
        for i in range(len(ps) - 2, -1, -2):
            a = acts[i // 2]
            gw = g.T @ a
            gb = g.sum(axis=0)
            if i > 0:
                g = g @ ps[i]
                g *= a > 0
            ps[i] -= LR * gw
            ps[i + 1] -= LR * gb

    return run


# ---- (c) depth 100,000 ---------------------------------------------------------------------

DEPTH = 100_000


def deep_memograd():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y * 1.0
    y.sum().backward()


def deep_torch():
    x = torch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(DEPTH):
        y = y * 1.0
    y.sum().backward()


def main() -> None:
    print("machine:", machine_line())
    rng = np.random.default_rng(0)

    x0 = rng.standard_normal(N_SMALL).astype(np.float32)
    cands = {"memograd": chain_memograd(x0), "numpy by hand": chain_numpy(x0)}
    if torch is not None:
        cands["pytorch"] = chain_torch(x0)
    t = time_interleaved(cands, repeats=30, inner=5)
    per_op = {k: v / CHAIN for k, v in t.items()}
    report(f"(a) chain of {CHAIN} elementwise ops on {N_SMALL} elements, fwd+bwd, per op", per_op, "us", 1e6,
           baseline="pytorch" if torch is not None else "numpy by hand")

    params = mlp_params(rng)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    cands = {"memograd": step_memograd(params, x, y), "numpy by hand": step_numpy(params, x, y)}
    if torch is not None:
        cands["pytorch"] = step_torch(params, x, y)
    t = time_interleaved(cands, repeats=40)
    report("(b) MLP 784-512-512-10 training step, batch 128, float32", t, "ms", 1e3, baseline="numpy by hand")
    if torch is not None:
        print(f"  memograd / pytorch: {t['memograd'] / t['pytorch']:.2f}x")

    cands = {"memograd": deep_memograd}
    if torch is not None:
        cands["pytorch"] = deep_torch
    t = time_interleaved(cands, repeats=3, warmup=1)
    report(f"(c) chain of {DEPTH:,} ops, fwd+bwd", t, "s", 1, baseline="pytorch" if torch is not None else None)


if __name__ == "__main__":
    main()
