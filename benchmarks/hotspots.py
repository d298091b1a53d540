"""Where memograd's time goes on W1 (MLP step) and W3 (chain of 200 small ops): a cProfile
of many steps, top functions by own time, reported per step.

    python benchmarks/hotspots.py [--steps 200] [--top 12]

cProfile adds a fixed cost to every Python call, so the totals are larger than the suite's
timings and the shares of small Python functions are inflated; use it to rank, not to time."""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

import numpy as np

import memograd as mg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import chain, nets
from workloads.steps import FrameworkStep


def w1_step():
    rng = np.random.default_rng(0)
    sizes = (784, 512, 512, 10)
    arrays = nets.mlp_weights(sizes, rng)
    x, y = nets.mlp_data(sizes, 128, rng)
    model = nets.mlp_model(mg, sizes)
    nets.load_weights(mg, model, arrays)
    return FrameworkStep(mg, model, *nets.as_tensors(mg, x, y), nets.LR)


def w3_chain():
    x0 = np.random.default_rng(0).standard_normal(chain.N_SMALL).astype(np.float32)
    return chain.small_chain(mg, x0)


def where(fn_key) -> str:
    filename, line, name = fn_key
    if filename == "~":
        return name  # a builtin, e.g. <built-in method numpy.matmul ...>
    marker = f"{os.sep}memograd{os.sep}"
    short = "memograd/" + filename.split(marker, 1)[1] if marker in filename else os.path.basename(filename)
    return f"{short}:{line}({name})"


def profile(title: str, fn, steps: int, top: int) -> None:
    for _ in range(3):
        fn()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        fn()
    prof.disable()
    stats = pstats.Stats(prof).stats  # key -> (primitive calls, calls, own time, cumulative, callers)
    total = sum(v[2] for v in stats.values())
    print(f"\n{title}: {total / steps * 1e6:.0f} us per step under cProfile ({steps} steps); top {top} by own time")
    print(f"  {'own us/step':>11}  {'share':>5}  {'calls/step':>10}  function")
    for key, (_, calls, own, _, _) in sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"  {own / steps * 1e6:11.1f}  {own / total:5.1%}  {calls / steps:10.1f}  {where(key)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    profile("memograd W1 (MLP 784-512-512-10, batch 128, SGD step)", w1_step(), args.steps, args.top)
    profile(f"memograd W3 ({chain.CHAIN} elementwise ops on {chain.N_SMALL} elements, fwd+bwd)", w3_chain(),
            args.steps, args.top)


if __name__ == "__main__":
    main()
