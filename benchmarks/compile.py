"""Capture and replay (issue 5): eager memograd vs `memograd.compile` vs hand-written NumPy
vs PyTorch (when installed), interleaved, medians:

  (a) the chain of 200 elementwise ops on 16 elements, forward + backward, per op
  (b) one SGD step of the MLP 784-512-512-10, batch 128, float32 (nn.Linear, cross-entropy)

Run: python benchmarks/compile.py [--quick]"""
from __future__ import annotations

import sys

import numpy as np

import memograd as mg
import memograd.nn.functional as F
from memograd import nn, optim

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from common import machine_line, report, time_interleaved, try_import_torch  # noqa: E402
from engine import BATCH, CHAIN, LR, N_SMALL, SIZES, chain_numpy, chain_torch, mlp_params, step_numpy, step_torch  # noqa: E402

torch = try_import_torch()


def chain(x):
    y = x
    for _ in range(CHAIN // 4):
        y = y * 0.9
        y = y + 0.1
        y = y.tanh()
        y = y * y
    y.sum().backward()
    return x.grad


def chain_runner(x0, fn):
    return lambda: fn(mg.tensor(x0, requires_grad=True))


def mlp_step(params, x, y):
    """The W1 step as a user writes it: nn layers, cross_entropy, an optimizer."""
    layers = []
    for i in range(0, len(params), 2):
        linear = nn.Linear(params[i].shape[1], params[i].shape[0])
        with mg.no_grad():
            linear.weight.copy_(params[i])
            linear.bias.copy_(params[i + 1])
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    opt = optim.SGD(model.parameters(), lr=LR)
    xt, yt = mg.tensor(x), mg.tensor(y)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step, xt, yt


def main(quick: bool = False) -> None:
    print("machine:", machine_line(torch))
    rng = np.random.default_rng(0)

    x0 = rng.standard_normal(N_SMALL).astype(np.float32)
    compiled_chain = mg.compile(chain)
    cands = {"memograd eager": chain_runner(x0, chain), "memograd compiled": chain_runner(x0, compiled_chain),
             "numpy by hand": chain_numpy(x0)}
    if torch is not None:
        cands["pytorch"] = chain_torch(x0)
    t = time_interleaved(cands, repeats=10 if quick else 30, inner=5)
    assert compiled_chain.replaying
    report(f"(a) chain of {CHAIN} elementwise ops on {N_SMALL} elements, fwd+bwd, per op",
           {k: v / CHAIN for k, v in t.items()}, "us", 1e6, baseline="numpy by hand")

    params = mlp_params(rng)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    eager, xt, yt = mlp_step(params, x, y)
    step, _, _ = mlp_step(params, x, y)
    compiled = mg.compile(step)
    cands = {"memograd eager": lambda: eager(xt, yt), "memograd compiled": lambda: compiled(xt, yt),
             "numpy by hand": step_numpy(params, x, y)}
    if torch is not None:
        cands["pytorch"] = step_torch(params, x, y)
    t = time_interleaved(cands, repeats=10 if quick else 40)
    assert compiled.replaying
    report(f"(b) MLP {'-'.join(map(str, SIZES))} SGD step, batch {BATCH}, float32", t, "ms", 1e3,
           baseline="pytorch" if torch is not None else "numpy by hand")
    print(f"  compiled / eager: {t['memograd compiled'] / t['memograd eager']:.2f}x")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
