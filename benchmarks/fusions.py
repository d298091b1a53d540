"""Each speed idea of issue 15 measured side by side: a workload's memograd step as shipped,
and the same step with one idea switched back to what it replaced (the composition of
ordinary ops, or the previous code), interleaved in one run (suite.py's timing method:
settle, rounds, medians), with PyTorch as the reference.

    python benchmarks/fusions.py                 # W6, W7 and CNN, every idea that touches them
    python benchmarks/fusions.py --only W7 --repeats 30

An idea is switched off by pointing the name the library calls at the old function for the
duration of that variant's calls; every variant has its own model, built from the same weights."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

import memograd as mg
from memograd.nn import functional as F
from memograd.nn.layers import rnn as rnn_layers
from memograd.ops import activation, attention, conv, conv_gemm, erf_float32, indexing, losses, normalization, pool
from memograd.ops import recurrent
from memograd.ops import gelu as gelu_ops

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import OtherLoad, machine_line, time_samples, try_import_torch
from workloads import gpt, legacy_conv, legacy_losses, lstm_lm, nets
from workloads.steps import FrameworkStep

torch = try_import_torch()


def exact_normal_cdf(x):
    """Phi through activation's exact erf (SciPy's), as GELU computed it before."""
    cdf = activation._erf(x * (1 / np.sqrt(2)))
    cdf += 1.0
    cdf *= 0.5
    return cdf.astype(x.dtype, copy=False)


def stepwise_lstm(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """An LSTM layer before the fused op: the input projection as F.linear, then the cell's step
    function, one node per op and step."""
    from memograd.nn.layers.rnn_cell import lstm_step

    x_proj = F.linear(x, w_ih, b_ih)
    output, state = rnn_layers.run_direction(lstm_step, x_proj, (h0, c0), w_hh, b_hh, reverse)
    return output, state


def add_at(shape, rows, values):
    """Row gradients (embeddings) as before: np.add.at, one element at a time."""
    out = np.zeros(shape, dtype=values.dtype)
    np.add.at(out, rows, values)
    return out


def channels_first_zeros(arg, grad_out, in_shape):
    """Max-pooling's tiled backward before: the input gradient in (N, C, H, W) order, whatever
    the winners' layout."""
    return grad_out, np.zeros(in_shape, dtype=grad_out.dtype)


def numpy_swap_leading(src, xp, row_add=None):
    """The LSTM's per-step regrouping as NumPy's transposing copy, before the loop."""
    dst = xp.ascontiguousarray(src.transpose(1, 0, 2))
    if row_add is not None:
        dst += row_add.reshape(-1, 1)
    return dst


def linear_any_rank(input, weight, bias=None):
    """F.linear before it multiplied 2-D rows: the op on (..., in) as it stands."""
    from memograd.ops.linear import linear

    return linear(input, weight, bias)


# idea -> [(object, attribute, the old value)]
IDEAS = {
    "F.linear on 2-D rows": [(F, "linear", linear_any_rank)],
    "fused attention op": [(attention, "attention", attention.composed_attention)],
    "fused layer_norm op": [(normalization, "layer_norm", normalization.composed_layer_norm)],
    "fused GELU op (keeps Phi)": [(gelu_ops, "gelu", activation.Gelu.apply)],
    "float32 rational erf": [(erf_float32, "normal_cdf", exact_normal_cdf)],
    "fused LSTM sequence op": [(rnn_layers, "lstm_sequence", stepwise_lstm)],
    "channels-last conv GEMM": [(conv, "conv2d_array", legacy_conv.conv2d_array),
                                (conv, "conv2d_grad_input_array", legacy_conv.conv2d_grad_input_array),
                                (conv, "conv2d_grad_weight_array", legacy_conv.conv2d_grad_weight_array)],
    "conv input grad per kernel position": [(conv_gemm, "conv2d_grad_input", legacy_conv.col2im_grad_input)],
    "max-pool backward in the input's layout": [(pool, "in_memory_order_of", channels_first_zeros)],
    "row gradients by sorted reduceat": [(indexing, "add_rows", add_at)],
    "LSTM regrouping loop": [(recurrent, "_swap_leading", numpy_swap_leading)],
    "cross-entropy in five passes": [(losses, "ClassCrossEntropy", legacy_losses.EightPassClassCrossEntropy)],
}
USES = {
    "W6": ["F.linear on 2-D rows", "row gradients by sorted reduceat", "fused attention op", "fused layer_norm op", "fused GELU op (keeps Phi)", "float32 rational erf"],
    "W7": ["F.linear on 2-D rows", "row gradients by sorted reduceat", "fused LSTM sequence op", "LSTM regrouping loop",
           "cross-entropy in five passes"],
    "CNN": ["channels-last conv GEMM", "conv input grad per kernel position", "max-pool backward in the input's layout"],
}


def make_w6(lib):
    model = gpt.gpt_model(lib)
    gpt.load_named(lib, model, W6_WEIGHTS)
    x, y = gpt.gpt_data(np.random.default_rng(0))
    return gpt.GPTStep(lib, model, lib.from_numpy(x), lib.from_numpy(y))


def make_w7(lib):
    model = lstm_lm.lstm_model(lib)
    gpt.load_named(lib, model, W7_WEIGHTS)
    x, y = lstm_lm.lstm_data(np.random.default_rng(0))
    return lstm_lm.LSTMStep(lib, model, lib.from_numpy(x), lib.from_numpy(y))


def make_cnn(lib):
    rng = np.random.default_rng(0)
    arrays = nets.cnn_weights(rng)
    x, y = nets.cnn_data(128, rng)
    model = nets.cnn_model(lib)
    nets.load_weights(lib, model, arrays)
    return FrameworkStep(lib, model, *nets.as_tensors(lib, x, y), nets.LR)


W6_WEIGHTS = gpt.gpt_weights(mg)
W7_WEIGHTS = lstm_lm.lstm_weights(mg)
MAKERS = {"W6": make_w6, "W7": make_w7, "CNN": make_cnn}


def with_patches(step, patches):
    """step, run with `patches` applied (and undone after each call)."""
    def run():
        old = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
        for obj, name, value in patches:
            setattr(obj, name, value)
        try:
            return step()
        finally:
            for obj, name, value in old:
                setattr(obj, name, value)

    return run


def measure(workload: str, repeats: int, inner: int, clock) -> None:
    make = MAKERS[workload]
    variants = {"shipped": make(mg)}
    for idea in USES[workload]:
        variants[f"without {idea}"] = with_patches(make(mg), IDEAS[idea])
    if torch is not None:
        variants["pytorch"] = make(torch)
    samples = time_samples(variants, repeats=repeats, inner=inner, warmup=2, settle_s=0.15, clock=clock)
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"\n{workload}: median ms per step (n={repeats} samples of {inner} steps, interleaved)")
    for name, t in med.items():
        ratio = f"  {t / med['shipped']:.2f}x shipped" if name != "shipped" else ""
        vs_torch = f"  {t / med['pytorch']:.2f}x PyTorch" if "pytorch" in med and name != "pytorch" else ""
        spread = f"(min {min(samples[name]) * 1e3:.1f}, max {max(samples[name]) * 1e3:.1f})"
        print(f"  {name:<40} {t * 1e3:8.2f} {spread:<22}{ratio}{vs_torch}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="W6,W7,CNN")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time with this process's CPU time (meant for OPENBLAS_NUM_THREADS=1 on a loaded machine)")
    args = parser.parse_args(argv)
    clock = time.process_time if args.cpu_time else time.perf_counter
    load = OtherLoad()
    print("machine:", machine_line(torch))
    print("malloc keeps freed memory:", mg.backend.retain_freed_memory())
    for workload in (w.strip().upper() for w in args.only.split(",")):
        measure(workload, args.repeats, {"W6": 1, "W7": 2, "CNN": 5}[workload], clock)
    share = load.share()
    if share is not None:
        print(f"\nother processes used {share:.0%} of the machine's CPU time during this run (noise)")


if __name__ == "__main__":
    main()
