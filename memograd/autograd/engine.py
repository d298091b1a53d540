"""The backward pass: the chain rule run in reverse over the recorded graph, with every
node's gradient computed once, kept in one slot, and reused by every path through it.

This is the chapter's dynamic programming. A first walk counts each node's consumers.
Then nodes run in reverse order: a node runs its backward only when all of its consumers
have added their share into its slot, so its gradient is complete and is never recomputed;
the slot and the node's saved arrays are freed as soon as they have been used. Both walks
use explicit stacks, never recursion, so graph depth is limited only by memory."""
from __future__ import annotations
from .modes import modes

from . import anomaly, function, grad_mode, compile_hooks
from .function import AccumulateGrad, raise_freed


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


def run_backward(roots, root_grads, retain_graph: bool = False, create_graph: bool = False, capture=None,
                 observer=None):
    """Backpropagate `root_grads` from the nodes `roots`.

    Without `capture`, gradients reaching leaves are accumulated into their `.grad`.
    With `capture` (a collection of nodes), nothing is written to `.grad`; the complete
    gradient arriving at each captured node is returned in a dict instead.
    `observer(node, grad, grads_in)`, when given, sees every node as it runs: its complete
    gradient and the gradients it sends to its inputs (used by `memograd.explain` and by
    anomaly detection, which installs its own observer)."""
    from ..ops.gradients import cast, sum_to

    if modes.anomaly:
        observer = anomaly.check_backward if observer is None else anomaly.checking(observer)
    consumers = count_consumers(roots)
    needed = nodes_leading_to(capture, consumers) if capture is not None else None
    captured = {}
    slots = {}
    for root, grad in zip(roots, root_grads):
        slots[root] = grad if root not in slots else slots[root] + grad
    ready = [root for root in slots if consumers[root] == 0]
    recorder = modes.recorder  # memograd.compile listening (None almost always)
    if recorder is not None:
        recorder.backward_begins(roots, root_grads, retain_graph, create_graph, capture, observer)
    delivered = set()  # ids of arrays already stored as some leaf's .grad
    # .grad is written only once the whole pass has succeeded: an error in some node's
    # backward (a freed graph, a modified saved value) leaves every .grad as it was.
    arrivals = []

    previous_mode = modes.grad_enabled
    modes.grad_enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grad = slots.pop(node, None)
            if capture is not None and node in capture:
                captured[node] = grad
            if grad is None or (needed is not None and node not in needed):
                grads_in = ()
            elif type(node) is AccumulateGrad:
                if observer is not None:
                    observer(node, grad, ())
                if capture is None:
                    arrivals.append((node.leaf_ref(), grad))
                continue
            else:
                if node.retained is not None and capture is None:
                    arrivals.append((node.retained, grad))
                grads_in = call_backward(node, grad, create_graph)
                if recorder is not None:
                    recorder.rule(node, grad, grads_in)
                if observer is not None:
                    observer(node, grad, grads_in)
                if not retain_graph:
                    node.saved = None if node.saved else node.saved
                    node.saved_src = ()
            for i, child in enumerate(node.next):
                if child is None:
                    continue
                child_grad = grads_in[i] if i < len(grads_in) else None
                if child_grad is not None:
                    if child_grad.shape != child.shape:
                        child_grad = sum_to(child_grad, child.shape)
                    if child_grad.dtype is not child.dtype and child.dtype is not None:
                        child_grad = cast(child_grad, child.dtype)
                    previous = slots.get(child)
                    slots[child] = child_grad if previous is None else previous + child_grad
                    if recorder is not None:
                        recorder.arrive(child, grads_in[i], previous, slots[child])
                left = consumers[child] - 1
                consumers[child] = left
                if left == 0:
                    ready.append(child)
        for tensor, grad in arrivals:
            deposit(tensor, grad, create_graph, delivered)
    finally:
        modes.grad_enabled = previous_mode
    return captured


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


def deposit(tensor, grad, create_graph: bool, delivered: set) -> None:
    """Add `grad` into `tensor.grad`. Gradient arrays are only ever shared between gradients
    (rules never write into them), so one is stored as it is unless its memory already
    backs another `.grad` of this pass, or is read-only (a broadcast): then it is copied,
    so that later in-place updates of one `.grad` never change another."""
    if tensor is None:  # the leaf died; nothing wants its gradient
        return
    if create_graph:
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        return
    owner = id(grad if grad.base is None else grad.base)
    arrived = grad
    if owner in delivered or not grad.flags.writeable:
        grad = grad.copy()
        owner = id(grad)
    existing = tensor.grad
    if modes.recorder is not None:  # memograd.compile records where this gradient goes
        modes.recorder.deposit(tensor, arrived, grad is not arrived, existing)
    if existing is None:
        delivered.add(owner)
        tensor.grad = function.Tensor._make(grad, None)
    elif existing.requires_grad:
        tensor.grad = function.Tensor._make(existing._data + grad, None)
    elif existing._data.flags.writeable and existing.shape == grad.shape:
        existing._data += grad
    else:
        tensor.grad = function.Tensor._make(existing._data + grad, None)
