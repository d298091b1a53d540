"""W4: forward + backward of a chain of DEPTH ops, for one implementation, in this fresh
process. Run by suite.py, or by hand:

    python benchmarks/deep.py memograd|pytorch|numpy DEPTH [REPEATS]

Prints "median_seconds input_gradient". One process each, as the issue's table was measured:
in a shared process, Python's cyclic garbage collector working for one library would also
walk every object the others created (importing torch brings a few hundred thousand)."""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads.chain import as_numpy, deep_chain, deep_chain_numpy


def runner(impl: str, depth: int):
    if impl == "numpy":
        return deep_chain_numpy(depth)
    if impl == "pytorch":
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
        return deep_chain(torch, depth)
    import memograd

    return deep_chain(memograd, depth)


def main() -> None:
    impl, depth = sys.argv[1], int(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    run = runner(impl, depth)
    times, grad = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        grad = run()
        times.append(time.perf_counter() - start)
    print(statistics.median(times), float(as_numpy([grad])[0]))


if __name__ == "__main__":
    main()
