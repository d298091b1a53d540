"""Views, and in-place changes made through them, as PyTorch has them.

A view (basic indexing, reshape when no copy is needed, permute, transpose, expand, squeeze,
unsqueeze, narrow...) shares its base's memory and version counter, and remembers how it was
taken: the view ops from the base, in order (`steps`), which can be replayed on any array of
the base's shape (the base's gradient included).

An in-place op on a view, while recording, changes the memory every alias sees, and rewrites
the *base's* history: the base's new node (`CopySlices`) sends the incoming gradient through
the in-place op's rule for the viewed region, and unchanged through the base's old history
for the rest. Every view of that base then rebuilds its own node from the base's new history,
lazily, when it is next used and sees that the shared version moved."""
from __future__ import annotations

from .function import Node, make_node
from .version import CLOCK


class ViewInfo:
    __slots__ = ("base", "multi", "seen", "steps")

    def __init__(self, base, steps: tuple, seen: int, multi: bool = False):
        self.base = base    # the tensor that owns the memory (never itself a view)
        self.steps = steps  # ((op class, params), ...) from the base to this view
        self.seen = seen    # the version at which this view's node was last made
        self.multi = multi  # an output of split/chunk/unbind: no in-place change while recording


def record_view(result, source, cls, params: dict) -> None:
    """Mark `result`, made from `source` by the view op `cls`, as a view of `source`'s base."""
    counter = source._shared_counter()
    result._counter = counter
    parent = source._view
    if parent is None:
        result._view = ViewInfo(source, ((cls, params),), counter.value)
    else:
        result._view = ViewInfo(parent.base, parent.steps + ((cls, params),), counter.value)


def replay(steps: tuple, array):
    """Take the same view of `array` (an array of the base's shape) as `steps` took of the base."""
    for cls, params in steps:
        array = cls.forward(_scratch(cls), array, **params)
    return array


def refresh(view) -> None:
    """Rebuild `view`'s node from its base's history if the shared memory changed since the
    node was made (an in-place op on the base or on another view may have rewritten it)."""
    info = view._view
    base = info.base
    version = base._counter.value
    if info.seen == version:
        return
    info.seen = version
    if not base._requires_grad:
        return
    edge = base._grad_fn or base._accumulator()
    array = base._data
    for cls, params in info.steps:
        node, array = make_node(cls, edge, array, params)
        edge = node
    view._grad_fn = edge
    view._requires_grad = True


def copy_slices(view, fn_node) -> None:
    """After `fn_node`'s in-place op wrote into `view` while recording: the base's new history."""
    info = view._view
    base = info.base
    old_edge = (base._grad_fn or base._accumulator()) if base._requires_grad else None
    base._grad_fn = CopySlices(base, info.steps, fn_node, old_edge)
    base._requires_grad = True
    info.seen = -1  # force the view's own node to be rebuilt from the base's new history
    refresh(view)


class CopySlices(Node):
    """The base's node after an in-place op `fn` on its view: the gradient of the viewed region
    goes through `fn`'s rule (to the region's old values and to `fn`'s other inputs); the rest
    of the base's gradient goes unchanged to the base's old history."""

    __slots__ = ("fn", "steps")

    def __init__(self, base, steps: tuple, fn: Node, old_edge):
        self.steps = steps
        self.fn = fn
        self.next = (old_edge,) + tuple(fn.next[1:])
        self.saved = ()
        self.saved_src = ()
        self.stamp = CLOCK.now
        self.shape = base._data.shape
        self.dtype = base._data.dtype
        self.retained = None

    @staticmethod
    def backward(ctx, grad_out):
        from .engine import call_backward

        if not hasattr(grad_out, "flags"):
            raise NotImplementedError(
                f"{ctx.fn.name}: gradients of gradients through an in-place op on a view are not "
                "supported (PyTorch supports them); clone() the view before changing it")
        grad_base = grad_out.copy()
        region = replay(ctx.steps, grad_base)
        grads = call_backward(ctx.fn, region.copy(), False)
        grad_old = grads[0] if grads else None
        region[...] = 0 if grad_old is None else grad_old
        return (grad_base,) + tuple(grads[1:])


_scratch_nodes: dict = {}


def _scratch(cls):
    """A throwaway ctx for replaying a view op's forward (view ops save nothing we need)."""
    ctx = _scratch_nodes.get(cls)
    if ctx is None:
        ctx = _scratch_nodes[cls] = object.__new__(cls)
    return ctx
