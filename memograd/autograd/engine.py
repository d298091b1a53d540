"""The backward pass: the chain rule run in reverse over the recorded graph, with every
node's gradient computed once, kept in one slot, and reused by every path through it.

This is the chapter's dynamic programming. A first walk counts each node's consumers.
Then nodes run in reverse order: a node runs its backward only when all of its consumers
have added their share into its slot, so its gradient is complete and is never recomputed;
the slot and the node's saved arrays are freed as soon as they have been used. Both walks
use explicit stacks, never recursion, so graph depth is limited only by memory."""
from __future__ import annotations

from ..ops.gradients import cast, sum_to
from . import anomaly, hooks
from .function import AccumulateGrad, raise_freed
from .modes import modes
from .placed import Placed, dense


def count_consumers(roots) -> dict:
    """For every node reachable from `roots`: how many edges point at it."""
    consumers = {}
    stack = []
    for root in roots:
        if root not in consumers:
            consumers[root] = 0
            stack.append(root)
    while stack:
        node = stack.pop()
        for child in node.next:
            if child is None:
                continue
            count = consumers.get(child)
            if count is None:
                consumers[child] = 1
                stack.append(child)
            else:
                consumers[child] = count + 1
    return consumers


def nodes_leading_to(targets, consumers) -> set:
    """The nodes whose backward contributes to some target (for `autograd.grad`):
    everything else in the graph can be skipped."""
    parents = {}
    for node in consumers:
        for child in node.next:
            if child is not None:
                parents.setdefault(child, []).append(node)
    needed = set()
    stack = [t for t in targets if t in consumers]
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        stack.extend(parents.get(node, ()))
    return needed


class Observer:
    """Watches a backward pass from outside the walk (explain's reports, anomaly detection,
    memograd.compile's recorder). Override what you need; each hook sees array gradients."""

    def begins(self, roots, root_grads, retain_graph: bool, create_graph: bool, targets) -> None:
        pass

    def node_ran(self, node, grad, grads_in: tuple) -> None:
        """`node`'s rule turned its complete gradient `grad` into one gradient per input."""

    def slot_added(self, child, raw, previous, total) -> None:
        """`raw` reached `child` (summed to its shape, cast to its dtype): `previous` + it = `total`."""


def run_backward(roots, root_grads, retain_graph: bool = False, create_graph: bool = False, targets=None,
                 observers=()) -> dict:
    """Backpropagate `root_grads` from the nodes `roots`; return {node: its complete gradient}
    for the nodes in `targets`, or, without targets, for every leaf (AccumulateGrad) and every
    tensor that asked to retain its gradient. Nothing here writes `.grad` (see autograd.backward),
    so a pass that fails midway changes no `.grad` at all."""
    observers = with_thread_observers(observers)
    for observer in observers:
        observer.begins(roots, root_grads, retain_graph, create_graph, targets)
    consumers = count_consumers(roots)
    needed = nodes_leading_to(targets, consumers) if targets is not None else None
    kept = {}
    slots = {}
    for root, grad in zip(roots, root_grads):
        slots[root] = grad if root not in slots else slots[root] + grad
    ready = [root for root in slots if consumers[root] == 0]
    run_hooks = hooks.run_tensor_hooks if hooks.tensor_hooks else None
    previous_mode = modes.grad_enabled
    modes.grad_enabled = create_graph
    placing = not (observers or create_graph)  # gradients of views may stay Placed in the slots
    try:
        while ready:
            node = ready.pop()
            grad = slots.pop(node, None)
            if type(grad) is Placed:
                grad = grad.dense()
            if run_hooks is not None and grad is not None:
                grad = run_hooks(node, grad)
            if grad is None or (needed is not None and node not in needed):
                grads_in = ()
            else:
                if targets is None:  # keep what some .grad receives: leaves, retained tensors
                    if type(node) is AccumulateGrad or node.retained is not None:
                        kept[node] = grad
                elif node in targets:
                    kept[node] = grad
                if not node.next:  # a leaf
                    grads_in = ()
                elif placing and node.places_gradient:
                    grads_in = node.placed_backward(grad)
                else:
                    grads_in = call_backward(node, grad, create_graph)
                if observers:  # tested first: cheaper than a loop over nothing, on every node and edge
                    for observer in observers:
                        observer.node_ran(node, grad, grads_in)
                if not retain_graph:
                    node.saved = None if node.saved else node.saved
                    node.saved_src = ()
            for i, child in enumerate(node.next):
                if child is None:
                    continue
                child_grad = grads_in[i] if i < len(grads_in) else None
                if child_grad is not None:
                    raw = child_grad
                    if child_grad.shape != child.shape:
                        child_grad = sum_to(dense(child_grad), child.shape)
                    if child_grad.dtype is not child.dtype and child.dtype is not None:
                        child_grad = cast(dense(child_grad), child.dtype)
                    previous = slots.get(child)
                    if previous is None:
                        slots[child] = child_grad
                    elif type(previous) is Placed and type(child_grad) is Placed:
                        slots[child] = previous.plus(child_grad)
                    else:
                        slots[child] = dense(previous) + dense(child_grad)
                    if observers:
                        for observer in observers:
                            observer.slot_added(child, raw, previous, slots[child])
                left = consumers[child] - 1
                consumers[child] = left
                if left == 0:
                    ready.append(child)
    finally:
        modes.grad_enabled = previous_mode
    return kept


def with_thread_observers(observers) -> tuple:
    """This thread's anomaly check first (so it stops the pass before anyone sees a NaN), the
    observers given, then this thread's compile recorder, each when it is on."""
    if not (modes.anomaly or modes.recorder is not None):
        return tuple(observers)
    if modes.recorder is not None and observers:
        modes.recorder.not_replayable("a backward observer")
    return ((anomaly.CHECK,) if modes.anomaly else ()) + tuple(observers) + \
        ((modes.recorder,) if modes.recorder is not None else ())


def call_backward(node, grad, create_graph: bool) -> tuple:
    """Run one node's local rule (its vector-Jacobian product): `backward` on arrays, or under
    create_graph its `graph_backward` on tensors, which records the backward pass itself."""
    if node.saved is None:
        raise_freed(node)
    node.check_versions()
    if node.tensor_io:
        return node.run_backward(grad)
    if create_graph:
        grads = node.graph_backward(node, grad, *node.saved_as_tensors())
    else:
        grads = node.backward(node, grad)
    return grads if type(grads) is tuple else (grads,)
