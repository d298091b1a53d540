"""Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from collections.abc import Iterable

from ..inplace import bump_version
from ..tensor import Tensor
from .kernels import add_scaled_, load_loops
from .optimizer import Optimizer, check_range


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's form of momentum).

    For each parameter θ with gradient g, at step t:

        g ← -g                              if maximize
        g ← g + weight_decay · θ            (L2 penalty, added to the gradient)
        b ← g                               at the first step (no dampening applied)
        b ← momentum · b + (1 - dampening) · g   afterwards
        g ← g + momentum · b  if nesterov,  else  g ← b      (only when momentum ≠ 0)
        θ ← θ - lr · g

    The buffer b lives in `state[p]["momentum_buffer"]`. Note the convention: lr multiplies
    the velocity (not the gradient inside it), as in PyTorch; Sutskever et al. put lr inside.

    >>> opt = memograd.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)
        load_loops()

    def _check(self, options: dict) -> None:
        check_range("SGD", "learning rate", options["lr"])
        check_range("SGD", "momentum value", options["momentum"])
        check_range("SGD", "weight_decay value", options["weight_decay"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def _update_group(self, group: dict) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        for p, grad in self._gradients(group):
            if weight_decay != 0:
                grad = grad + weight_decay * p._data
            if momentum != 0:
                state = self.state[p]
                if state.get("momentum_buffer") is None:
                    buf = grad.copy()
                    state["momentum_buffer"] = Tensor._make(buf, None)
                else:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    add_scaled_(buf, grad, 1 - dampening)
                grad = grad + momentum * buf if group["nesterov"] else buf
            add_scaled_(p._data, grad, -lr)
            bump_version(p)
