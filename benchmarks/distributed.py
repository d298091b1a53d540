"""Data-parallel training on MPI (issue 10): what DDP's gradient averaging costs, what two
processes buy, and how close N processes come to one process with N times the batch.

    (a) allreduce  DDP's gradient averaging for one step of the W2 MLP (784-2048-2048-10,
                   5.8 M float32 parameters, 23.3 MB), driven through its hooks with the gradients
                   ready, against one raw mpi4py Allreduce of the same bytes; plus a whole
                   forward+backward with DDP against the same step under no_sync() (local only).
    (b) throughput samples/s of W2 training steps (global batch 1024): 1 process x 1 BLAS thread,
                   1 process x 2 BLAS threads, 2 processes x 1 BLAS thread (batch 512 each).
    (d) weights    `memograd train` (default MLP on digits, 1 epoch): 2 processes with batch 32
                   against 1 process with batch 64; max |a - b| / max |a| per tensor.

Usage: python benchmarks/distributed.py [--only a,b,d] [--repeats 15] [--steps 10]
Each part runs in fresh processes (`mpiexec -n N python -m mpi4py benchmarks/distributed.py
--worker ...`), so this driver itself never starts MPI. Needs `pip install -e ".[distributed]"`."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
W2_SIZES, W2_BATCH = (784, 2048, 2048, 10), 1024
# Yield the CPU while waiting (processes may outnumber free cores), and no BLAS threads by default.
JOB_ENV = {"MPIR_CVAR_POLLS_BEFORE_YIELD": "10"}


# ---- workers (run inside an MPI job) -----------------------------------------------------------


def w2_model_and_data(rank: int, per_process: int):
    from workloads import nets

    import memograd as mg

    rng = np.random.default_rng(0)
    model = nets.mlp_model(mg, W2_SIZES)
    for p, w in zip(model.parameters(), nets.mlp_weights(W2_SIZES, rng)):
        p.data.copy_(mg.from_numpy(w))
    x, y = nets.mlp_data(W2_SIZES, W2_BATCH, rng)
    part = slice(rank * per_process, (rank + 1) * per_process)
    return model, mg.from_numpy(x[part]), mg.from_numpy(y[part])


def worker_allreduce(repeats: int) -> dict:
    """(a): the reducer driven by hand (every gradient ready, in backward's order) vs raw Allreduce."""
    from mpi4py import MPI

    import memograd as mg
    import memograd.distributed as dist
    from memograd.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    comm = MPI.COMM_WORLD
    model, x, y = w2_model_and_data(comm.rank, W2_BATCH // comm.size)
    ddp = DDP(model)
    reducer = ddp.reducer
    grads = [mg.from_numpy(np.full(p.shape, 0.5, dtype=np.float32)) for p in reducer.params]
    raw = np.full(sum(p.numel() for p in reducer.params), 0.5, dtype=np.float32)

    def ddp_reduce():
        for p in reducer.params:
            p.grad = None
        reducer.arm(None)
        for index in reversed(range(len(grads))):
            reducer.grad_ready(index, grads[index])

    def raw_reduce():
        comm.Allreduce(MPI.IN_PLACE, raw)

    def bucket_reduce():  # the very MPI calls DDP issues: one Iallreduce per bucket, then wait
        MPI.Request.Waitall([ddp._comm.Iallreduce(MPI.IN_PLACE, b.buffer) for b in reducer.buckets])

    def step(sync: bool):
        def run():
            model.zero_grad()
            if sync:
                mg.nn.functional.cross_entropy(ddp(x), y).backward()
            else:
                with ddp.no_sync():
                    mg.nn.functional.cross_entropy(ddp(x), y).backward()
        return run

    timings = interleaved(comm, {"ddp": ddp_reduce, "bucketed": bucket_reduce, "raw": raw_reduce}, repeats)
    steps = interleaved(comm, {"step_sync": step(True), "step_local": step(False)}, max(repeats // 2, 5))
    return {"bytes": int(raw.nbytes), "buckets": len(reducer.buckets), **timings, **steps}


def interleaved(comm, candidates: dict, repeats: int) -> dict:
    """Median seconds per call of each candidate, taking turns; every process starts each call
    together (a barrier), and a call's time is the slowest process's."""
    for fn in candidates.values():
        fn()
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            comm.Barrier()
            start = time.perf_counter()
            fn()
            samples[name].append(comm.allreduce(time.perf_counter() - start, op=max_op()))
    return {name: statistics.median(v) for name, v in samples.items()}


def max_op():
    from mpi4py import MPI

    return MPI.MAX


def worker_throughput(threads: int, steps: int) -> dict:
    """(b): samples/s of SGD steps on the W2 MLP, global batch 1024 split over the processes."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads, user_api="blas")
    import memograd as mg

    size = int(os.environ.get("PMI_SIZE", "1"))
    comm = None
    if size > 1:
        from mpi4py import MPI

        import memograd.distributed as dist

        dist.init_process_group("mpi")
        comm = MPI.COMM_WORLD
    rank = comm.rank if comm else 0
    model, x, y = w2_model_and_data(rank, W2_BATCH // size)
    trained = model
    if comm is not None:
        from memograd.nn.parallel import DistributedDataParallel as DDP

        trained = DDP(model)
    opt = mg.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        mg.nn.functional.cross_entropy(trained(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    samples = []
    for _ in range(steps):
        if comm:
            comm.Barrier()
        start = time.perf_counter()
        step()
        elapsed = time.perf_counter() - start
        samples.append(comm.allreduce(elapsed, op=max_op()) if comm else elapsed)
    median = statistics.median(samples)
    return {"processes": size, "threads": threads, "step_s": median, "samples_per_s": W2_BATCH / median,
            "best_samples_per_s": W2_BATCH / min(samples)}


# ---- the driver ----------------------------------------------------------------------------------


def job(n: int, argv: list, extra_env: dict | None = None) -> dict:
    """Run this script's worker in an MPI job of n processes; rank 0's JSON line."""
    env = {**os.environ, **JOB_ENV, **(extra_env or {})}
    command = ["mpiexec", "-n", str(n), sys.executable, "-m", "mpi4py", str(Path(__file__)), *argv]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def part_a(repeats: int) -> list[str]:
    r = job(2, ["--worker", "allreduce", "--repeats", str(repeats)], {"OMP_NUM_THREADS": "1"})
    def vs_raw(key: str) -> str:
        return f"{100 * (r[key] / r['raw'] - 1):+.1f}% vs raw"

    return [
        (f"(a) gradient averaging, 2 processes, {r['bytes'] / 1e6:.1f} MB in {r['buckets']} buckets "
         f"(median of {repeats})"),
        f"    raw mpi4py Allreduce of the same bytes      {1e3 * r['raw']:8.2f} ms",
        (f"    DDP's allreduce (its buckets' Iallreduce)   {1e3 * r['bucketed']:8.2f} ms   ({vs_raw('bucketed')}; "
         "target within 10%)"),
        f"    DDP's whole reducer (+ gradients copied in) {1e3 * r['ddp']:8.2f} ms   ({vs_raw('ddp')})",
        f"    forward+backward with DDP                   {1e3 * r['step_sync']:8.2f} ms",
        (f"    the same under no_sync (local only)         {1e3 * r['step_local']:8.2f} ms   "
         f"(averaging adds {1e3 * (r['step_sync'] - r['step_local']):.2f} ms to the step)"),
    ]


def part_b(steps: int) -> list[str]:
    rows = [job(1, ["--worker", "throughput", "--threads", "1", "--steps", str(steps)]),
            job(1, ["--worker", "throughput", "--threads", "2", "--steps", str(steps)]),
            job(2, ["--worker", "throughput", "--threads", "1", "--steps", str(steps)])]
    base = rows[0]["samples_per_s"]
    lines = [f"(b) W2 MLP SGD steps, global batch {W2_BATCH}, median of {steps} steps (and the fastest step)"]
    for r in rows:
        lines.append(f"    {r['processes']} process(es) x {r['threads']} BLAS thread(s)   "
                     f"{1e3 * r['step_s']:8.1f} ms/step  {r['samples_per_s']:8.0f} samples/s  "
                     f"({r['samples_per_s'] / base:.2f}x; best step {r['best_samples_per_s']:.0f} samples/s)")
    return lines


def part_d() -> list[str]:
    from memograd import load

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, **JOB_ENV}
        train = ["-m", "memograd", "train", "--epochs", "1", "--quiet"]
        subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "mpi4py", *train, "--batch-size", "32",
                        "--out", f"{tmp}/two"], env=env, check=True, timeout=600)
        subprocess.run([sys.executable, *train, "--batch-size", "64", "--out", f"{tmp}/one"], env=env, check=True,
                       timeout=600)
        one, two = load(f"{tmp}/one/model.safetensors"), load(f"{tmp}/two/model.safetensors")
        lines = ["(d) memograd train, default MLP on digits, 1 epoch: 2 processes x batch 32 vs 1 process x batch 64"]
        for key in one:
            a, b = one[key].numpy(), two[key].numpy()
            lines.append(f"    {key:10s} max|a-b|/max|a| = {np.abs(a - b).max() / np.abs(a).max():.2e}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="a,b,d")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--worker", choices=("allreduce", "throughput"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    if args.worker == "allreduce":
        result = worker_allreduce(args.repeats)
    elif args.worker == "throughput":
        result = worker_throughput(args.threads, args.steps)
    else:
        return drive(args)
    if int(os.environ.get("PMI_RANK", "0")) == 0:
        print(json.dumps(result), flush=True)
    return 0


def drive(args) -> int:
    from common import OtherLoad, machine_line

    load = OtherLoad()
    print(machine_line())
    parts = {"a": lambda: part_a(args.repeats), "b": lambda: part_b(args.steps), "d": part_d}
    for name in args.only.split(","):
        print("\n".join(parts[name.strip()]()), flush=True)
    share = load.share()
    if share is not None:
        print(f"other processes used {100 * share:.0f}% of the CPU during this run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
