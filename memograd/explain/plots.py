"""Figures, drawn with matplotlib's Agg backend (no display needed). Imported only when a
plot is asked for, so the rest of `explain` works without matplotlib."""
from __future__ import annotations

import os


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_cost_plot(records, path) -> str:
    """Naive against backprop: VJPs (and time, when measured) per depth, log y."""
    plt = _pyplot()
    depths = [r.depth for r in records]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(depths, [r.backprop_vjps for r in records], "o-", label="backprop (chain rule + DP)")
    ran = [(r.depth, r.naive_vjps) for r in records if r.naive_vjps is not None]
    if ran:
        left.plot(*zip(*ran), "s-", color="tab:red", label="naive chain rule (run)")
    left.plot(depths, [r.predicted_naive_vjps for r in records], ":", color="tab:red",
              label="naive (predicted by path counting)")
    left.set(yscale="log", xlabel="hidden layers", ylabel="VJP evaluations", title="Work")
    left.legend()
    right.plot(depths, [r.backprop_seconds for r in records], "o-", label="backprop")
    timed = [(r.depth, r.naive_seconds) for r in records if r.naive_seconds is not None]
    if timed:
        right.plot(*zip(*timed), "s-", color="tab:red", label="naive")
    right.set(yscale="log", xlabel="hidden layers", ylabel="seconds", title="Wall time")
    right.legend()
    kind = "with skip connections" if records and records[0].skip else "plain MLP"
    fig.suptitle(f"d(loss)/d(every parameter), {kind}")
    fig.tight_layout()
    path = os.fspath(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def save_gradflow_plot(monitor, path) -> str:
    """Per-layer gradient norms of the last step (bars, log y), and their history."""
    plt = _pyplot()
    layers = monitor.layer_names()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    if monitor.history:
        last = monitor.history[-1]
        norms = [max(last[name].grad_norm, 1e-30) for name in layers if name in last]
        left.bar(range(len(norms)), norms, color="tab:blue")
        left.set_xticks(range(len(norms)), [n for n in layers if n in last], rotation=45, ha="right")
        for name in layers:
            series = [max(step[name].grad_norm, 1e-30) for step in monitor.history if name in step]
            right.plot(range(len(series)), series, "o-", markersize=3, label=name)
    left.set(yscale="log", ylabel="gradient norm", title="Gradient flow, last step (input side left)")
    right.set(yscale="log", xlabel="step", ylabel="gradient norm", title="Per-layer gradient norm over steps")
    if len(layers) <= 12 and monitor.history:
        right.legend(fontsize="small")
    fig.tight_layout()
    path = os.fspath(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
