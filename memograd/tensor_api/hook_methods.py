"""Hooks on a tensor's gradient (see memograd/autograd/hooks.py)."""
from __future__ import annotations

from ..autograd import hooks


class HookMethods:
    __slots__ = ()

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
        return hooks.register(hooks.tensor_hooks, self._node, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` after backward has added into this leaf's `.grad`."""
        if not self.is_leaf:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks cannot be "
                               "registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: the tensor does not require gradient")
        return hooks.register(hooks.post_accumulate_hooks, self._accumulator(), hook)
