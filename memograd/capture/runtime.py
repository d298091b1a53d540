"""What a replayed step does besides NumPy calls: put gradients where `.grad` expects them.

Each helper mirrors one branch of `memograd.autograd.engine.deposit` (which one ran was
decided while recording) and creates a Tensor only where eager would have had none."""
from __future__ import annotations

from ..autograd import function


def set_grad(tensor, grad) -> None:
    """`tensor.grad` becomes `grad` (eager stored a fresh gradient: `.grad` was None)."""
    held = tensor.grad
    if held is None:
        tensor.grad = function.Tensor._make(grad, None)
    else:
        held._data = grad


def add_to_grad(tensor, grad) -> None:
    """`tensor.grad += grad`, in place (eager accumulated into an existing `.grad`)."""
    held = tensor.grad
    if held is None:  # cleared between calls: start from a copy, never from a shared array
        tensor.grad = function.Tensor._make(grad.copy(), None)
    else:
        held._data += grad


def sum_into_grad(tensor, grad) -> None:
    """`tensor.grad = tensor.grad + grad`, a new array (eager could not add in place)."""
    held = tensor.grad
    set_grad(tensor, grad.copy() if held is None else held._data + grad)


def clear_grad(tensor) -> None:
    """The step ended with `.grad` None (say, `zero_grad()` after the update)."""
    tensor.grad = None


def first(grads):
    """A one-input rule's gradient, whether the rule returned it bare or in a 1-tuple."""
    return grads[0] if type(grads) is tuple else grads


HELPERS = {f.__name__: f for f in (set_grad, add_to_grad, sum_into_grad, clear_grad, first)}
