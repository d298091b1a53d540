"""Running memograd's own engine with an observer: every `explain` report that needs the
backward pass watches the real one (`autograd.engine.run_backward`) rather than imitating it.

By default the leaves' gradients are captured and returned instead of being added into
`.grad`, so explaining a loss never changes what a later `loss.backward()` produces."""
from __future__ import annotations
from ..autograd.modes import modes

from collections.abc import Callable

from ..autograd import _root_gradients, anomaly
from ..autograd.engine import run_backward
from .graph import Graph

Observer = Callable[[object, object, tuple], None]


def observed_backward(tensor, observer: Observer, retain_graph: bool = True, accumulate: bool = False,
                      gradient=None, graph: Graph | None = None) -> dict:
    """Backpropagate from `tensor` through the engine, calling `observer(node, grad, grads_in)`
    for each node as it runs. Returns {leaf node: gradient array} (empty with `accumulate=True`,
    which fills `.grad` as `tensor.backward()` would).

    >>> import memograd as mg
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> seen = []
    >>> grads = observed_backward((x * x).sum(), lambda node, g, gin: seen.append(node.name))
    >>> seen, grads[x._node].tolist(), x.grad is None
    (['Sum', 'Mul', 'AccumulateGrad'], [2.0, 4.0], True)
    """
    graph = graph or Graph(tensor)
    seeds = _root_gradients([tensor], None if gradient is None else [gradient], False)
    capture = None if accumulate else set(graph.leaves)
    if modes.anomaly:
        observer = _also_check_anomalies(observer)
    return run_backward([graph.root], seeds, retain_graph=retain_graph, capture=capture, observer=observer)


def _also_check_anomalies(observer: Observer) -> Observer:
    """Our observer replaces the engine's anomaly check, so call that check ourselves."""

    def both(node, grad, grads_in):
        anomaly.check_backward(node, grad, grads_in)
        observer(node, grad, grads_in)

    return both
