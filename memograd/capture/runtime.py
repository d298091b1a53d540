"""What a replayed step does besides NumPy calls: put gradients where `.grad` expects them,
through the same primitives as eager backward (`memograd.autograd.grad_writer`), in the
branch eager took while recording."""
from __future__ import annotations

from ..autograd.grad_writer import add_to_grad, set_grad, sum_into_grad


def clear_grad(tensor) -> None:
    """The step ended with `.grad` None (say, `zero_grad()` after the update)."""
    tensor.grad = None


def first(grads):
    """A one-input rule's gradient, whether the rule returned it bare or in a 1-tuple."""
    return grads[0] if type(grads) is tuple else grads


HELPERS = {f.__name__: f for f in (set_grad, add_to_grad, sum_into_grad, clear_grad, first)}
