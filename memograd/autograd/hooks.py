"""Tensor hooks, as PyTorch has them: `t.register_hook(fn)` calls `fn(grad)` when the gradient
with respect to `t` is complete, during backward (a returned tensor replaces the gradient);
`leaf.register_post_accumulate_grad_hook(fn)` calls `fn(leaf)` once its `.grad` is written.
Both return a handle whose `remove()` unregisters the hook.

The hooks are kept beside the graph, keyed weakly by node (never by tensor: a weak key is
compared with ==, which is elementwise for tensors), so the walk pays one truth test of an
empty table when nobody registered any."""
from __future__ import annotations

import weakref

from . import function

tensor_hooks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()        # node -> {id: fn}
post_accumulate_hooks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # leaf -> {id: fn}
_next_id = [0]


class RemovableHandle:
    def __init__(self, table, key):
        self._table = weakref.ref(table)
        self._key = key
        self.id = _next_id[0]
        _next_id[0] += 1

    def remove(self) -> None:
        table = self._table()
        if table is not None and self._key in table:
            table[self._key].pop(self.id, None)
            if not table[self._key]:
                del table[self._key]

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def register(table, key, fn) -> RemovableHandle:
    handle = RemovableHandle(table, key)
    table.setdefault(key, {})[handle.id] = fn
    return handle


def run_tensor_hooks(node, grad):
    """The hooks registered on the tensor whose gradient `node` receives, in order."""
    registered = tensor_hooks.get(node)
    if not registered:
        return grad
    is_array = not isinstance(grad, function.Tensor)
    for fn in list(registered.values()):
        result = fn(function.Tensor._make(grad, None) if is_array else grad)
        if result is not None:
            grad = result._data if is_array and isinstance(result, function.Tensor) else result
    return grad


def run_post_accumulate_hooks(leaves) -> None:
    for leaf in leaves:
        for fn in list(post_accumulate_hooks.get(leaf._accumulator(), {}).values()):
            fn(leaf)
