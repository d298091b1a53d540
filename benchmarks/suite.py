"""The benchmark suite of issue 5: memograd, hand-written NumPy and PyTorch (when installed),
interleaved in one run, same initial weights and data for all three.

    W1   MLP 784-512-512-10, batch 128, float32, one SGD step
    W2   MLP 784-2048-2048-10, batch 1024, one SGD step (+ forward/backward split, matmul GFLOP/s)
    W3   200 chained elementwise ops on 16 elements, fwd+bwd, per op
    W4   chain of 100,000 ops, fwd+bwd, one fresh process per implementation (deep.py)
         (+ 1,000,000 ops for memograd, full run only)
    W5   extra peak memory of one W2 step, one fresh process per implementation (memory.py)
    CNN  conv-conv-pool-linear-linear step on 8x8 digits, batch 128
    W6   GPT-style language model step (4 layers, 4 heads, embedding 128, context 64, batch 32,
         vocabulary 65, causal attention, LayerNorm, GELU, AdamW)
    W7   LSTM language model step (2 layers, hidden 256, sequence 35, batch 20, vocabulary 1,000,
         truncated BPTT, gradient clipping, SGD)

Issue 2's three engine figures are W3 (per op vs PyTorch), W1 (vs hand-written NumPy) and
W4 (seconds); `--only W1,W3,W4` prints them under the summary table with issue 2's targets.

With --compiled, W1, W3, CNN, W6 and W7 also time memograd through `memograd.compile` (recorded,
then replayed as a flat program of NumPy calls): a fourth implementation, "memograd compiled".

Usage: python benchmarks/suite.py [--quick] [--only W1,W3] [--compiled] [--markdown] [--cpu-time] [--system-malloc]"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import memograd as mg

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import OtherLoad, blas_env_note, machine_line, settle, time_samples, try_import_torch
from table import COMPILED, Row, render
from workloads import chain, gpt, lstm_lm, nets, peak
from workloads.numpy_cnn import NumpyCNN
from workloads.numpy_gpt import NumpyGPT
from workloads.numpy_lstm import NumpyLSTM
from workloads.numpy_mlp import NumpyMLP
from workloads.steps import CompiledStep, FrameworkStep, compiled as compiled_step

torch = try_import_torch()
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "CNN", "W6", "W7")
W1_SIZES, W1_BATCH = (784, 512, 512, 10), 128
W2_SIZES, W2_BATCH = (784, 2048, 2048, 10), 1024
DEEP, DEEPEST = 100_000, 1_000_000
TARGET_BWD_FWD = 2.2
SETTLE = 0.15  # seconds each implementation runs untimed before its timed calls (see common.settle)
CLOCK = time.perf_counter  # time.process_time with --cpu-time


def libs() -> dict:
    return {"memograd": mg, **({"pytorch": torch} if torch is not None else {})}


def medians(samples: dict) -> dict:
    return {k: statistics.median(v) for k, v in samples.items()}


def print_times(title: str, samples: dict, unit: str, scale: float) -> dict:
    """Median (and the min-max spread) of each implementation, and memograd's ratios."""
    med = medians(samples)
    print(f"\n{title}")
    for name, s in samples.items():
        print(f"  {name:<17} median {med[name] * scale:10.3f} {unit}   (min {min(s) * scale:.3f}, "
              f"max {max(s) * scale:.3f}, n={len(s)})")
    for impl in ("memograd", COMPILED):
        for other in ("pytorch", "numpy"):
            if impl in med and other in med:
                print(f"  {impl} / {other}: {med[impl] / med[other]:.2f}x")
    if COMPILED in med:
        print(f"  {COMPILED} / memograd (eager): {med[COMPILED] / med['memograd']:.2f}x")
    return med


def check_agreement(what: str, values: dict, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """values: impl -> array of losses or gradients; compared with memograd's."""
    ref = np.asarray(values["memograd"], dtype=np.float64)
    bad = [k for k, v in values.items() if not np.allclose(np.asarray(v, dtype=np.float64), ref, rtol, atol)]
    shown = ", ".join(f"{k} {np.round(np.asarray(v, dtype=np.float64).ravel()[:3], 6).tolist()}"
                      for k, v in values.items())
    if bad:
        print(f"  WARNING: {what} differ beyond float32 tolerance: {shown}")
        return False
    print(f"  check: {what} agree within rtol {rtol:g} ({shown})")
    return True


def first_losses(steps: dict, n: int = 2) -> dict:
    """The losses of the first n steps of each implementation (the second one checks the
    gradients and the update too)."""
    return {k: [s.loss_value(s()) for _ in range(n)] for k, s in steps.items()}


def print_phases(steps: dict, repeats: int, flops: dict | None = None, peak_gflops: float | None = None) -> dict:
    """Forward (model + loss), backward and update times of each implementation, each timed
    in its own run of sequential repeats after settling; with `flops`, the share of peak.
    Steps without phases (a compiled replay is one program) are left out."""
    print("\n  phases (median of sequential repeats): forward = model + loss, backward = loss.backward()")
    phase = {}
    for name, s in steps.items():
        if s.phases is None:
            continue
        settle(s, SETTLE)
        p = phase[name] = s.phases(repeats)
        eff = {"forward": "", "backward": ""}
        if flops:
            for k in eff:
                eff[k] = f" ({flops[k] / p[k] / 1e9 / peak_gflops:4.0%} of peak)"
        print(f"  {name:<9} forward {p['forward'] * 1e3:7.2f} ms{eff['forward']}  backward {p['backward'] * 1e3:7.2f} "
              f"ms{eff['backward']}  update {p['update'] * 1e3:6.2f} ms  backward/forward "
              f"{p['backward'] / p['forward']:.2f}")
    return phase


# ---- workloads ---------------------------------------------------------------------------------


def mlp_steps(sizes: tuple, batch: int, compiled: bool = False) -> dict:
    rng = np.random.default_rng(0)
    arrays = nets.mlp_weights(sizes, rng)
    x, y = nets.mlp_data(sizes, batch, rng)
    steps = {}
    for name, lib in libs().items():
        model = nets.mlp_model(lib, sizes)
        nets.load_weights(lib, model, arrays)
        steps[name] = FrameworkStep(lib, model, *nets.as_tensors(lib, x, y), nets.LR)
    if compiled:
        model = nets.mlp_model(mg, sizes)
        step = steps[COMPILED] = CompiledStep(mg, model, *nets.as_tensors(mg, x, y), nets.LR)
        step.warm_up()
        nets.load_weights(mg, model, arrays)  # the warm-up trained it; back to the shared start
    steps["numpy"] = NumpyMLP(arrays, x, y, nets.LR)
    return steps


def run_w1(quick: bool, compiled: bool = False) -> list:
    steps = mlp_steps(W1_SIZES, W1_BATCH, compiled)
    print("\nW1: MLP 784-512-512-10, batch 128, float32, one SGD step")
    ok = check_agreement("losses of the first two steps", first_losses(steps))
    samples = time_samples(steps, repeats=8 if quick else 30, inner=10, warmup=3, settle_s=SETTLE, clock=CLOCK)
    med = print_times("W1 step", samples, "ms", 1e3)
    print_phases(steps, repeats=20 if quick else 100)
    row = Row("W1 MLP step", "ms", {k: v * 1e3 for k, v in med.items()}, "<=1.0x PT, <=1.05x NP")
    row.checks = [row.ratio("numpy") <= 1.05] + ([row.ratio("pytorch") <= 1.0] if "pytorch" in med else [])
    if not ok:
        row.note = "losses disagree (see the warning above)"
    return [row]


def run_w2(quick: bool, compiled: bool = False) -> list:
    peak_gflops = peak.matmul_peak_gflops(2048, repeats=5 if quick else 10)
    steps = mlp_steps(W2_SIZES, W2_BATCH)
    print("\nW2: MLP 784-2048-2048-10, batch 1024, float32, one SGD step")
    ok = check_agreement("losses of the first two steps", first_losses(steps))
    med = print_times("W2 step", time_samples(steps, repeats=3 if quick else 10, inner=1 if quick else 2, warmup=1,
                                                 settle_s=SETTLE, clock=CLOCK), "ms", 1e3)
    peak_gflops = max(peak_gflops, peak.matmul_peak_gflops(2048, repeats=5 if quick else 10))
    print(f"\n  machine float32 matmul peak: {peak_gflops:.1f} GFLOP/s (2048x2048x2048 np.matmul, "
          "best of the samples taken before and after the step timings)")
    flops = peak.mlp_step_matmul_flops(W2_SIZES, W2_BATCH)
    print(f"\n  matmul FLOPs per step: {flops['step'] / 1e9:.2f} G (forward {flops['forward'] / 1e9:.2f} G, "
          f"backward {flops['backward'] / 1e9:.2f} G)")
    for name, t in med.items():
        achieved = flops["step"] / t / 1e9
        print(f"  {name:<9} {achieved:6.1f} GFLOP/s on the step's matmuls = {achieved / peak_gflops:5.1%} of peak")
    phase = print_phases(steps, 3 if quick else 12, flops, peak_gflops)
    row = Row("W2 MLP step", "ms", {k: v * 1e3 for k, v in med.items()}, "<=1.0x NP")
    row.checks = [row.ratio("numpy") <= 1.0]
    achieved = flops["step"] / med["memograd"] / 1e9
    row.note = (f"memograd {achieved:.0f} GFLOP/s = {achieved / peak_gflops:.0%} of the measured "
                f"{peak_gflops:.0f} GFLOP/s matmul peak" + ("" if ok else "; losses disagree"))
    ratios = {k: p["backward"] / p["forward"] for k, p in phase.items()}
    bwd = Row("W2 backward/forward", "ratio", ratios, f"mg <={TARGET_BWD_FWD}", compare=False)
    bwd.checks = [ratios["memograd"] <= TARGET_BWD_FWD]
    bwd.note = "each value is that implementation's backward time / its forward time (phases timed in sequence)"
    return [row, bwd]


def run_w3(quick: bool, compiled: bool = False) -> list:
    x0 = np.random.default_rng(0).standard_normal(chain.N_SMALL).astype(np.float32)
    cands = {name: chain.small_chain(lib, x0) for name, lib in libs().items()}
    if compiled:
        cands[COMPILED] = chain.small_chain_compiled(mg, x0)
    cands["numpy"] = chain.small_chain_numpy(x0)
    print(f"\nW3: {chain.CHAIN} chained elementwise ops on {chain.N_SMALL} elements, fwd+bwd")
    check_agreement("outputs and input gradients", {k: chain.as_numpy(f()) for k, f in cands.items()})
    samples = time_samples(cands, repeats=10 if quick else 60, inner=5, settle_s=0.02, clock=CLOCK)
    per_op = {k: [t / chain.CHAIN for t in v] for k, v in samples.items()}
    med = print_times("W3 per op", per_op, "us", 1e6)
    row = Row("W3 elementwise chain", "us/op", {k: v * 1e6 for k, v in med.items()}, "<=1.0x PT")
    row.checks = [row.ratio("pytorch") <= 1.0] if "pytorch" in med else []
    return [row]


def deep_chain_alone(impl: str, depth: int, repeats: int = 1, timeout: int = 300) -> tuple:
    """W4 for one implementation in a fresh process (benchmarks/deep.py): one process each, so
    no library's garbage collection walks the others' objects; a crash cannot take the suite
    down, and the memory goes back afterwards. Returns (median seconds or None, message)."""
    try:
        # cwd=HERE and the same interpreter: memograd is found as in this process.
        done = subprocess.run([sys.executable, os.path.join(HERE, "deep.py"), impl, str(depth), str(repeats)],
                              check=False, capture_output=True, text=True, timeout=timeout, cwd=HERE)
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {timeout} s"
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"failed (exit {done.returncode}): {tail}"
    seconds, grad = done.stdout.split()
    return float(seconds), f"completed in {float(seconds):.2f} s, input gradient {float(grad):g}"


def run_w4(quick: bool, compiled: bool = False) -> list:
    print(f"\nW4: chain of {DEEP:,} ops, fwd+bwd, a fresh process per implementation")
    impls = list(libs()) + ["numpy"]
    med = {}
    for impl in impls:
        seconds, message = deep_chain_alone(impl, DEEP, repeats=2 if quick else 5)
        print(f"  {impl:<9} {message} (median of {2 if quick else 5})")
        if seconds is not None:
            med[impl] = seconds
    row = Row("W4 deep chain 100k", "s", dict(med), "<=1.0x PT; 1M completes")
    row.checks = [row.ratio("pytorch") <= 1.0] if "pytorch" in med else []
    if quick:
        row.note = f"{DEEPEST:,}-op chain not run (--quick)"
    else:
        seconds, message = deep_chain_alone("memograd", DEEPEST)
        print(f"  memograd, chain of {DEEPEST:,} ops in a fresh process: {message}")
        row.checks.append(seconds is not None)
        row.note = f"memograd {DEEPEST:,}-op chain {message}"
    return [row]


def run_w5(quick: bool, compiled: bool = False) -> list:
    impls = list(libs()) + ["numpy"]
    runs = {k: [] for k in impls}
    print("\nW5: extra peak memory of one W2 step, a fresh process per implementation (benchmarks/memory.py)")
    for _ in range(1 if quick else 3):
        for impl in impls:
            done = subprocess.run([sys.executable, os.path.join(HERE, "memory.py"), impl], check=False,
                                  capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                print(f"  WARNING: memory.py {impl} failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            runs[impl].append(json.loads(done.stdout.strip().splitlines()[-1]))
    rss, traced = {}, {}
    for impl, results in runs.items():
        if not results:
            continue
        rss[impl] = statistics.median(r["extra_rss_mib"] for r in results)
        line = f"  {impl:<9} extra peak RSS {rss[impl]:7.1f} MiB"
        if "extra_traced_mib" in results[0]:
            traced[impl] = statistics.median(r["extra_traced_mib"] for r in results)
            line += f"   tracemalloc peak {traced[impl]:7.1f} MiB"
        line += f"   (baseline RSS {results[0]['baseline_rss_mib']:.0f} MiB, n={len(results)}"
        line += ")" if results[0]["peak_was_reset"] else "; peak mark NOT reset, figure is unreliable)"
        print(line)
    for other in ("pytorch", "numpy"):
        if "memograd" in rss and other in rss:
            print(f"  memograd / {other}: {rss['memograd'] / rss[other]:.2f}x (RSS)"
                  + (f", {traced['memograd'] / traced[other]:.2f}x (tracemalloc)" if other in traced else ""))
    row = Row("W5 extra peak memory", "MiB", rss, "<=1.1x NP")
    row.checks = [row.ratio("numpy") <= 1.1] if row.ratio("numpy") is not None else []
    if "memograd" in traced and "numpy" in traced:
        row.note = (f"tracemalloc peaks: memograd {traced['memograd']:.1f} MiB, NumPy {traced['numpy']:.1f} MiB "
                    f"({traced['memograd'] / traced['numpy']:.2f}x)")
    return [row]


def framework_steps(make_step, make_model, arrays, load, data, compiled: bool) -> dict:
    """memograd and torch running the same step from the same weights; with `compiled`, a
    memograd step through memograd.compile too (warmed up until it replays, then given the
    shared initial weights again, so its first losses are compared with the others')."""
    steps = {}
    for name, lib in libs().items():
        model = make_model(lib)
        load(lib, model, arrays)
        steps[name] = make_step(lib, model, *(lib.from_numpy(a.copy()) for a in data))
    if compiled:
        model = make_model(mg)
        step = steps[COMPILED] = compiled_step(make_step(mg, model, *(mg.from_numpy(a.copy()) for a in data)))
        step.warm_up()
        load(mg, model, arrays)  # the warm-up trained it: back to the shared start, optimizer state too
        step.opt.state.clear()
        if hasattr(step, "reset_state"):
            step.reset_state()
    return steps


def timed_row(label: str, title: str, steps: dict, quick: bool, target: str, repeats: tuple, inner: int) -> Row:
    print(title)
    ok = check_agreement("losses of the first two steps", first_losses(steps))
    samples = time_samples(steps, repeats=repeats[0] if quick else repeats[1], inner=inner, warmup=2, settle_s=SETTLE,
                           clock=CLOCK)
    med = print_times(f"{label.split()[0]} step", samples, "ms", 1e3)
    row = Row(label, "ms", {k: v * 1e3 for k, v in med.items()}, target)
    if not ok:
        row.note = "losses disagree (see the warning above)"
    return row


def cnn_step(lib, model, x, y):
    return FrameworkStep(lib, model, x, y, nets.LR)


def run_cnn(quick: bool, compiled: bool = False) -> list:
    rng = np.random.default_rng(0)
    arrays = nets.cnn_weights(rng)
    x, y = nets.cnn_data(128, rng)
    steps = framework_steps(cnn_step, nets.cnn_model, arrays, nets.load_weights, (x, y), compiled)
    steps["numpy"] = NumpyCNN(arrays, x, y, nets.LR)
    row = timed_row("CNN digits step", "\nCNN: conv 1->32, ReLU, conv 32->64, ReLU, maxpool 2, linear 1024->128, ReLU, "
                    "linear 128->10; 8x8 digits, batch 128, one SGD step", steps, quick, "<=1.5x PT, <=1.0x NP",
                    (6, 20), 5)
    row.checks = [row.ratio("numpy") <= 1.0] + ([row.ratio("pytorch") <= 1.5] if "pytorch" in row.values else [])
    return [row]


def lm_checks(row: Row) -> list:
    """W6 and W7: <= 1.5x PyTorch eager, <= 1.2x compiled."""
    if "pytorch" not in row.values:
        return []
    checks = [row.ratio("pytorch") <= 1.5]
    if COMPILED in row.values:
        checks.append(row.ratio("pytorch", COMPILED) <= 1.2)
    return checks


def run_w6(quick: bool, compiled: bool = False) -> list:
    arrays = gpt.gpt_weights(mg)
    x, y = gpt.gpt_data(np.random.default_rng(0))
    steps = framework_steps(gpt.GPTStep, gpt.gpt_model, arrays, gpt.load_named, (x, y), compiled)
    steps["numpy"] = NumpyGPT(arrays, x, y)
    row = timed_row("W6 GPT step", f"\nW6: GPT-style LM, {gpt.LAYERS} layers, {gpt.HEADS} heads, embedding {gpt.EMBED}, "
                    f"context {gpt.CONTEXT}, batch {gpt.BATCH}, vocabulary {gpt.VOCAB}, AdamW", steps, quick,
                    "<=1.5x PT, comp <=1.2x PT", (5, 15), 2)
    row.checks = lm_checks(row)
    return [row]


def run_w7(quick: bool, compiled: bool = False) -> list:
    arrays = lstm_lm.lstm_weights(mg)
    x, y = lstm_lm.lstm_data(np.random.default_rng(0))
    steps = framework_steps(lstm_lm.LSTMStep, lstm_lm.lstm_model, arrays, gpt.load_named, (x, y), compiled)
    steps["numpy"] = NumpyLSTM(arrays, x, y, lstm_lm.LAYERS, lstm_lm.HIDDEN, lstm_lm.LR, lstm_lm.CLIP)
    row = timed_row("W7 LSTM LM step", f"\nW7: LSTM LM, {lstm_lm.LAYERS} layers, hidden {lstm_lm.HIDDEN}, sequence "
                    f"{lstm_lm.SEQ}, batch {lstm_lm.BATCH}, vocabulary {lstm_lm.VOCAB}, clip {lstm_lm.CLIP}, SGD",
                    steps, quick, "<=1.5x PT, comp <=1.2x PT", (5, 15), 3)
    row.checks = lm_checks(row)
    return [row]


NAMES = {"pytorch": "PyTorch", "numpy": "hand-written NumPy"}
ENGINE_TARGETS = (  # issue 2: (label, workload, figure, target test, target text)
    ("(a) 200-op elementwise chain", "W3", "pytorch", lambda r: r <= 1.5, "<= 1.5x PyTorch per op"),
    ("(b) MLP 784-512-512-10 step", "W1", "numpy", lambda r: r <= 1.15, "<= 1.15x NumPy"),
    ("(c) 100,000-op chain", "W4", None, lambda s: s < 1.0, "< 1 s"),
)


def engine_figures(rows: list) -> list:
    """Issue 2's figures, read off the rows of W3, W1 and W4 that ran (eager memograd)."""
    by_workload = {r.workload.split()[0]: r for r in rows}
    lines = []
    for label, workload, other, met, target in ENGINE_TARGETS:
        row = by_workload.get(workload)
        if row is None or "memograd" not in row.values:
            continue
        value = row.values["memograd"]
        if other is None:
            figure = f"{value:.3g} {row.unit}"
            checked = met(value)
        else:
            ratio = row.ratio(other)
            if ratio is None:
                lines.append(f"  {label} ({workload}): {value:.3g} {row.unit}; no {NAMES[other]} figure to compare with")
                continue
            figure = f"{value:.3g} {row.unit} = {ratio:.2f}x {NAMES[other]}"
            checked = met(ratio)
        lines.append(f"  {label} ({workload}): {figure}; target {target}: {'met' if checked else 'NOT met'}")
    return lines


RUNNERS = {"W1": run_w1, "W2": run_w2, "W3": run_w3, "W4": run_w4, "W5": run_w5, "CNN": run_cnn, "W6": run_w6,
           "W7": run_w7}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no 1M-op chain (< 2 minutes)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated subset of " + ",".join(WORKLOADS))
    parser.add_argument("--compiled", action="store_true",
                        help=f"add '{COMPILED}' (memograd.compile, replayed) to W1, W3, CNN, W6 and W7")
    parser.add_argument("--markdown", action="store_true", help="print the summary table as Markdown")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this process's CPU time instead of wall time (for a machine other "
                             "processes load; meaningful with OPENBLAS_NUM_THREADS=1, which PyTorch then follows)")
    parser.add_argument("--system-malloc", action="store_true",
                        help="leave glibc's malloc as configured (by default the suite calls "
                             "memograd.backend.retain_freed_memory(), for every implementation in this process)")
    args = parser.parse_args(argv)
    chosen = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in RUNNERS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {', '.join(WORKLOADS)}")

    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    started, load = time.perf_counter(), OtherLoad()
    print("machine:", machine_line(torch))
    if not args.system_malloc:
        kept = mg.backend.retain_freed_memory()
        print(f"malloc: freed memory {'kept for reuse (memograd.backend.retain_freed_memory)' if kept else 'as the system does'}"
              " for all implementations in this process")
    print(f"memograd {getattr(mg, '__version__', '?')} from {os.path.dirname(mg.__file__)}")
    note = blas_env_note()
    if note:
        print(f"note: OpenBLAS/threading variables are set in the environment ({note}); left unchanged")
    if torch is None:
        print("note: PyTorch is not installed; its columns stay empty")
    print(f"clock: {'CPU time of this process (--cpu-time)' if args.cpu_time else 'wall time'}")
    print(f"mode: {'quick' if args.quick else 'full'}; timings interleave the implementations (each runs untimed for "
          f"{SETTLE} s before its timed calls) and report medians")
    rows = []
    for w in WORKLOADS:
        if w in chosen:
            rows += RUNNERS[w](args.quick, args.compiled)
    other = load.share()
    if other is not None:
        print(f"\nother processes used {other:.0%} of the machine's CPU time during this run (noise)")
    print(f"\nsummary ({time.perf_counter() - started:.0f} s in all; mg = memograd, PT = PyTorch, NP = hand-written "
          "NumPy; ratios are memograd's median over the other's)\n")
    print(render(rows, markdown=args.markdown))
    engine = engine_figures(rows)
    if engine:
        print("\nengine figures (issue 2; memograd eager):")
        print("\n".join(engine))


if __name__ == "__main__":
    main()
