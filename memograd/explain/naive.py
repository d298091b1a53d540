"""Differentiation without dynamic programming, run for real, next to backprop.

The naive way applies the chain rule separately for every parameter and every path from
the loss down to it: along each path it multiplies the local vector-Jacobian products
(VJPs) starting again from the loss, then sums over the paths. Nothing is stored between
paths, so the derivative of everything downstream of a layer is recomputed for every
parameter under it: the "duplicate computation" of the chapter. It calls the very rules the
engine calls, so both methods must give the same gradients; only the amount of work differs.

Its cost is known before it runs. Counting paths is itself a small dynamic program over the
graph (paths to a node = sum of the paths to its consumers), so `predict` gives the exact
number of VJPs, and a run that would exceed `max_vjps` is refused with that number instead
of hanging for hours."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..autograd import _root_gradients, grad_mode
from ..autograd.engine import call_backward
from ..ops.gradients import cast, sum_to
from .flops import sum_flops, vjp_flops
from .graph import Graph, is_freed, is_leaf


@dataclass
class Cost:
    """Work done by one method: VJP rule calls, estimated FLOPs, wall time (None: not run)."""

    vjps: int
    flops: int
    seconds: float | None = None


@dataclass
class Prediction:
    """What each method will cost on a graph, counted without running anything."""

    naive: Cost
    backprop: Cost
    paths: dict = field(default_factory=dict)        # leaf node -> paths from the loss
    naive_vjps: dict = field(default_factory=dict)   # leaf node -> VJPs the naive method spends on it


class NaiveTooExpensive(RuntimeError):
    """The naive differentiator refused a run above its VJP limit; `prediction` says why."""

    def __init__(self, prediction: Prediction, max_vjps: int):
        self.prediction = prediction
        self.max_vjps = max_vjps
        paths = sum(prediction.paths.values())
        super().__init__(
            f"naive differentiation refused: it would evaluate {prediction.naive.vjps:,} VJPs "
            f"(~{prediction.naive.flops:.3g} FLOPs) over {paths:,} loss-to-parameter paths, above "
            f"max_vjps={max_vjps:,}; backprop needs {prediction.backprop.vjps:,} VJPs. "
            "Pass a larger max_vjps to run it anyway."
        )


def predict(loss) -> Prediction:
    """Exact VJP counts (and FLOP estimates) of both methods on the graph of `loss`.

    Processing nodes consumers-first, `paths[n]` (paths from the loss to n) is the sum over
    n's consumers, and `steps[n]` (VJPs spent along all those paths) grows by each consumer's
    own steps plus one VJP per path through that consumer.

    >>> import memograd as mg
    >>> x = mg.tensor(2.0, requires_grad=True)
    >>> p = predict((x * x + x).exp())       # paths to x: Exp-Add-Mul (twice), Exp-Add
    >>> p.paths[x._node], p.naive.vjps, p.backprop.vjps
    (3, 8, 3)
    """
    graph = loss if isinstance(loss, Graph) else Graph(loss)
    paths, steps, flops = path_counts(graph)
    backprop_flops = 0
    for node in graph.nodes:
        backprop_flops += sum_flops(node.shape, graph.fan_out[node])
        backprop_flops += sum(vjp_flops(node, i) for i, child in enumerate(node.next) if child is not None)
    leaves = graph.leaves
    naive_vjps = {leaf: steps[leaf] for leaf in leaves}
    naive_flops = sum(flops[leaf] + sum_flops(leaf.shape, paths[leaf]) for leaf in leaves)
    return Prediction(
        naive=Cost(sum(naive_vjps.values()), naive_flops),
        backprop=Cost(len(graph.ops), backprop_flops),
        paths={leaf: paths[leaf] for leaf in leaves},
        naive_vjps=naive_vjps,
    )


def path_counts(graph: Graph) -> tuple[dict, dict, dict]:
    """For every node: the number of paths from the loss to it, the VJPs spent along all of
    them, and their FLOPs. Consumers come first, so each node's totals are complete before
    they flow on to its inputs (the same dynamic programming backprop uses)."""
    paths = {graph.root: 1}
    steps = {graph.root: 0}
    flops = {graph.root: 0}
    for node in graph.backward_order():
        here_paths, here_steps, here_flops = paths.get(node, 0), steps.get(node, 0), flops.get(node, 0)
        for i, child in enumerate(node.next):
            if child is None:
                continue
            paths[child] = paths.get(child, 0) + here_paths
            steps[child] = steps.get(child, 0) + here_steps + here_paths
            flops[child] = flops.get(child, 0) + here_flops + here_paths * vjp_flops(node, i)
    return paths, steps, flops


# ---- the naive method ----------------------------------------------------------------------


def naive_gradients(loss, max_vjps: int = 200_000) -> tuple[dict, Cost]:
    """d(loss)/d(leaf) for every leaf, one chain-rule product per path, nothing reused.
    Returns ({leaf node: gradient array}, Cost). Needs the graph's saved values (build the
    loss fresh, or keep it with backward(retain_graph=True)); raises `NaiveTooExpensive`
    before doing anything when `predict` says the run needs more than `max_vjps` VJPs.

    >>> import memograd as mg
    >>> x = mg.tensor(3.0, requires_grad=True)
    >>> grads, cost = naive_gradients(x * x + x)   # d/dx = 2x + 1
    >>> float(grads[x._node]), cost.vjps
    (7.0, 5)
    """
    graph = loss if isinstance(loss, Graph) else Graph(loss)
    prediction = predict(graph)
    if prediction.naive.vjps > max_vjps:
        raise NaiveTooExpensive(prediction, max_vjps)
    _require_saved(graph)
    (seed,) = _root_gradients([graph.tensor], None, False)
    counter = Cost(0, 0)
    totals: dict = {}
    start = time.perf_counter()
    with grad_mode.no_grad():
        for leaf in graph.leaves:
            arrived = 0
            for path in paths_to(graph, leaf):
                grad = _along(path, seed, counter)
                if grad is None:
                    continue
                totals[leaf] = grad if leaf not in totals else totals[leaf] + grad
                arrived += 1
            counter.flops += sum_flops(leaf.shape, arrived)
    if graph.root in graph.leaves:  # the "loss" is itself a parameter
        totals[graph.root] = seed
    counter.seconds = time.perf_counter() - start
    return totals, counter


def paths_to(graph: Graph, leaf):
    """Every path from the loss to `leaf`, each a list of (node, input index) steps.
    A depth-first walk with an explicit stack that only enters nodes that can reach `leaf`."""
    if leaf is graph.root:
        return
    useful = graph.reaching([leaf])
    steps: list = []
    frames = [[graph.root, 0]]
    while frames:
        frame = frames[-1]
        node, i = frame
        if i == len(node.next):
            frames.pop()
            if steps:
                steps.pop()
            continue
        frame[1] = i + 1
        child = node.next[i]
        if child is None or child not in useful:
            continue
        if child is leaf:
            yield steps + [(node, i)]
        else:
            steps.append((node, i))
            frames.append([child, 0])


def _along(path: list, grad, counter: Cost):
    """Multiply the local VJPs along one path, starting from the loss's gradient."""
    for node, i in path:
        grad = _vjp_for_input(node, grad, i)
        counter.vjps += 1
        counter.flops += vjp_flops(node, i)
        if grad is None:  # the rule says this input gets no gradient
            return None
        grad = _fit(grad, node.next[i])
    return grad


def _vjp_for_input(node, grad, i: int):
    """The gradient `node`'s rule sends to input i alone. The other edges are hidden for the
    call, so rules skip the operands this path does not need (the naive method gets every
    saving a rule offers, and only the missing reuse is measured)."""
    edges = node.next
    node.next = tuple(edge if j == i else None for j, edge in enumerate(edges))
    try:
        grads = call_backward(node, grad, False)
    finally:
        node.next = edges
    return grads[i] if i < len(grads) else None


def _fit(grad, child):
    """Bring a gradient to its input's shape and dtype, exactly as the engine does."""
    if grad.shape != child.shape:
        grad = sum_to(grad, child.shape)
    if grad.dtype is not child.dtype and child.dtype is not None:
        grad = cast(grad, child.dtype)
    return grad


def _require_saved(graph: Graph) -> None:
    for node in graph.ops:
        if is_freed(node):
            raise RuntimeError(
                f"naive differentiation needs the values saved by the forward pass, but {node.name} "
                "already freed them in an earlier backward(); use backward(retain_graph=True) or "
                "recompute the loss"
            )


# ---- backprop, counted the same way --------------------------------------------------------


def backprop_gradients(loss, repeats: int = 3) -> tuple[dict, Cost]:
    """The engine's gradients for every leaf ({leaf node: array}) and its cost: VJPs and
    FLOPs counted by watching one run, time taken as the best of `repeats` runs without
    the observer. The graph is retained and `.grad` is not touched."""
    from .observe import observed_backward

    graph = loss if isinstance(loss, Graph) else Graph(loss)
    counter = Cost(0, 0)
    arrivals: dict = {}

    def count(node, grad, grads_in):
        counter.flops += sum_flops(node.shape, arrivals.get(node, 0))
        if is_leaf(node):
            return
        counter.vjps += 1
        for i, (child, child_grad) in enumerate(zip(node.next, grads_in)):
            if child is not None and child_grad is not None:
                counter.flops += vjp_flops(node, i)
                arrivals[child] = arrivals.get(child, 0) + 1

    grads = observed_backward(graph.tensor, count, retain_graph=True, graph=graph)
    best = float("inf")
    for _ in range(max(repeats, 1)):
        start = time.perf_counter()
        observed_backward(graph.tensor, None, retain_graph=True, graph=graph)
        best = min(best, time.perf_counter() - start)
    counter.seconds = best
    return grads, counter


def max_difference(first: dict, second: dict) -> float:
    """Largest absolute difference between two {node: gradient} dicts over their common keys."""
    worst = 0.0
    for node, grad in first.items():
        if node in second:
            diff = np.abs(np.asarray(grad, dtype=np.float64) - np.asarray(second[node], dtype=np.float64))
            worst = max(worst, float(diff.max()) if diff.size else 0.0)
    return worst


def gradients_agree(first: dict, second: dict, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Same leaves, and `np.allclose` for each (tolerances scaled to the gradient's size)."""
    if set(first) != set(second):
        return False
    for node, grad in first.items():
        a = np.asarray(grad, dtype=np.float64)
        b = np.asarray(second[node], dtype=np.float64)
        scale = float(np.abs(b).max()) if b.size else 0.0
        if not np.allclose(a, b, rtol=rtol, atol=atol + rtol * scale):
            return False
    return True

