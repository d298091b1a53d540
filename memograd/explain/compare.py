"""Naive chain rule versus backprop on one loss: same gradients, different bills.

`naive_vs_backprop(loss)` runs both methods on the same graph and returns a `Comparison`
holding both sets of gradients, whether they agree, and each method's VJP count, FLOPs and
wall time, per parameter as well as in total."""
from __future__ import annotations

from dataclasses import dataclass

from .graph import Graph, node_names, shape_text
from .naive import Cost, Prediction, backprop_gradients, gradients_agree, max_difference, naive_gradients, predict
from .table import format_seconds, render


@dataclass
class ParamCost:
    name: str
    shape: tuple
    paths: int        # loss-to-parameter paths the naive method walks
    naive_vjps: int   # VJPs it spends on this parameter alone


@dataclass
class Comparison:
    naive: Cost
    backprop: Cost
    prediction: Prediction
    params: list[ParamCost]
    naive_grads: dict      # name -> gradient array
    backprop_grads: dict   # name -> gradient array
    agree: bool
    max_abs_diff: float

    def format(self) -> str:
        rows = [[p.name, shape_text(p.shape), p.paths, p.naive_vjps] for p in self.params]
        footer = ["", render(
            ["method", "VJPs", "FLOPs", "seconds"],
            [["naive (per path)", self.naive.vjps, self.naive.flops, format_seconds(self.naive.seconds)],
             ["backprop (DP)", self.backprop.vjps, self.backprop.flops, format_seconds(self.backprop.seconds)]],
            align="lrrr",
        ), "", f"gradients agree: {'yes' if self.agree else 'NO'} (largest difference {self.max_abs_diff:.3g})"]
        return render(["parameter", "shape", "paths", "naive VJPs"], rows,
                      title="Naive chain rule: every path from the loss to every parameter", footer=footer)


def naive_vs_backprop(loss, names=None, max_vjps: int = 200_000, rtol: float = 1e-5,
                      atol: float = 1e-8) -> Comparison:
    """Differentiate `loss` both ways and compare (see `naive.naive_gradients`).

    >>> import memograd as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True); w = mg.tensor([0.5, -1.0], requires_grad=True)
    >>> c = naive_vs_backprop((x * x + x * w).sum(), names={x: "x", w: "w"})
    >>> c.agree, c.naive.vjps, c.backprop.vjps
    (True, 12, 4)
    """
    graph = Graph(loss)
    naive, naive_cost = naive_gradients(graph, max_vjps=max_vjps)
    backprop, backprop_cost = backprop_gradients(graph)
    prediction = predict(graph)
    labels = node_names(names)
    label = {leaf: labels.get(leaf, f"leaf #{graph.ids[leaf]}") for leaf in graph.leaves}
    params = [ParamCost(label[leaf], tuple(leaf.shape), prediction.paths[leaf], prediction.naive_vjps[leaf])
              for leaf in graph.leaves]
    return Comparison(
        naive=naive_cost, backprop=backprop_cost, prediction=prediction, params=params,
        naive_grads={label[n]: g for n, g in naive.items()},
        backprop_grads={label[n]: g for n, g in backprop.items()},
        agree=gradients_agree(naive, backprop, rtol, atol), max_abs_diff=max_difference(naive, backprop),
    )
