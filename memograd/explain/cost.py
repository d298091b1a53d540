"""How the cost of differentiation grows with depth: naive chain rule against backprop.

For each depth an MLP is built, both methods are run on its loss (the naive one only when
its predicted cost is under the limit) and the bill is recorded. With a plain chain of
layers the naive method pays for the path from the loss to every parameter separately, so
its work grows with depth squared while backprop's grows linearly; with skip connections
the number of paths doubles at every block, and the naive cost grows exponentially."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .demo import mlp_loss
from .naive import NaiveTooExpensive, backprop_gradients, gradients_agree, naive_gradients, predict
from .table import format_seconds, render


@dataclass
class CostRecord:
    depth: int
    skip: bool
    backprop_vjps: int
    naive_vjps: int | None            # None when the naive run was refused
    backprop_flops: int
    naive_flops: int | None
    backprop_seconds: float
    naive_seconds: float | None
    predicted_naive_vjps: int         # always known, run or not
    predicted_naive_flops: int
    agree: bool | None                # naive and backprop gradients allclose (None: not run)

    def as_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict())


def cost_record(depth: int, skip: bool = False, width: int = 16, batch: int = 8,
                max_vjps: int = 200_000, activation: str = "tanh", seed: int = 0) -> CostRecord:
    """Both methods on one MLP of `depth` hidden layers."""
    loss, _ = mlp_loss(depth, width=width, batch=batch, skip=skip, activation=activation, seed=seed)
    prediction = predict(loss)
    backprop, backprop_cost = backprop_gradients(loss)
    naive = naive_cost = None
    # Small runs are timed best-of-3 (like backprop), so one-off hiccups do not show as trends.
    for _ in range(3 if prediction.naive.vjps <= 5_000 else 1):
        try:
            naive, cost = naive_gradients(loss, max_vjps=max_vjps)
        except NaiveTooExpensive:
            break
        if naive_cost is None or cost.seconds < naive_cost.seconds:
            naive_cost = cost
    return CostRecord(
        depth=depth, skip=skip,
        backprop_vjps=backprop_cost.vjps, backprop_flops=backprop_cost.flops,
        backprop_seconds=backprop_cost.seconds,
        naive_vjps=naive_cost.vjps if naive_cost else None,
        naive_flops=naive_cost.flops if naive_cost else None,
        naive_seconds=naive_cost.seconds if naive_cost else None,
        predicted_naive_vjps=prediction.naive.vjps, predicted_naive_flops=prediction.naive.flops,
        agree=gradients_agree(naive, backprop) if naive is not None else None,
    )


def cost_table(depths: Iterable[int] = range(1, 13), skip: bool = False, width: int = 16, batch: int = 8,
               max_vjps: int = 200_000, activation: str = "tanh", seed: int = 0) -> list[CostRecord]:
    """One `CostRecord` per depth.

    >>> records = cost_table(range(1, 4))
    >>> [(r.depth, r.backprop_vjps, r.naive_vjps) for r in records]
    [(1, 8, 24), (2, 11, 45), (3, 14, 72)]
    """
    return [cost_record(d, skip, width, batch, max_vjps, activation, seed) for d in depths]


def format_cost_table(records: list[CostRecord]) -> str:
    """The records as an aligned table; predicted (refused) naive counts are marked '*'."""
    refused = False
    rows = []
    for r in records:
        mark = "" if r.naive_vjps is not None else "*"
        refused = refused or bool(mark)
        rows.append([
            r.depth, f"{r.backprop_vjps:,}", f"{r.predicted_naive_vjps:,}{mark}",
            f"{r.predicted_naive_vjps / r.backprop_vjps:.1f}x",
            f"{r.backprop_flops:.3g}", f"{r.predicted_naive_flops:.3g}{mark}",
            format_seconds(r.backprop_seconds), format_seconds(r.naive_seconds),
            {True: "yes", False: "NO", None: "-"}[r.agree],
        ])
    kind = "with skip connections" if records and records[0].skip else "plain chain"
    footer = ["* predicted by counting paths; the naive run was refused (above max_vjps)"] if refused else []
    return render(
        ["depth", "backprop VJPs", "naive VJPs", "ratio", "backprop FLOPs", "naive FLOPs",
         "backprop time", "naive time", "same grads"],
        rows, title=f"Cost of d(loss)/d(every parameter), MLP {kind}", footer=footer, align="rrrrrrrrl",
    )


def plot_cost(records: list[CostRecord], path) -> str:
    """Save VJP counts (left) and wall time (right) against depth, log scale, as a PNG.
    Predicted naive counts of refused runs are drawn dashed. Returns the path."""
    from .plots import save_cost_plot

    return save_cost_plot(records, path)
