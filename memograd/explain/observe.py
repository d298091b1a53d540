"""Running memograd's own engine with an observer: every `explain` report that needs the
backward pass watches the real one (`autograd.engine.run_backward`) rather than imitating it.

By default the leaves' gradients are captured and returned instead of being added into
`.grad`, so explaining a loss never changes what a later `loss.backward()` produces."""
from __future__ import annotations

from collections.abc import Callable

from ..autograd import _root_gradients
from ..autograd.engine import Observer as EngineObserver
from ..autograd.engine import run_backward
from ..autograd.grad_writer import write_grads
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
    targets = None if accumulate else set(graph.leaves)
    kept = run_backward([graph.root], seeds, retain_graph=retain_graph, targets=targets,
                        observers=() if observer is None else (_Calling(observer),))
    if accumulate:
        write_grads(kept, False)
        return {}
    return kept


class _Calling(EngineObserver):
    """The engine's observer interface around a plain function."""

    def __init__(self, fn: Observer):
        self.fn = fn

    def node_ran(self, node, grad, grads_in) -> None:
        self.fn(node, grad, grads_in)
