"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, check_range


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e), with PyTorch's conventions.

    For each parameter θ with gradient g:

        g ← -g                                  if maximize
        g ← g + weight_decay · θ
        s ← α · s + (1 - α) · g²                (s starts at 0)
        ḡ ← α · ḡ + (1 - α) · g;  d ← √(s - ḡ²) + eps     if centered
        d ← √s + eps                                      otherwise
        b ← momentum · b + g / d;  θ ← θ - lr · b          if momentum > 0 (b starts at 0)
        θ ← θ - lr · g / d                                 otherwise

    eps is added outside the square root. No bias correction. State per parameter: `step`,
    `square_avg` (s), `momentum_buffer` (b) when momentum > 0, `grad_avg` (ḡ) when centered.

    >>> opt = memograd.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                        centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, options: dict) -> None:
        check_range("RMSprop", "learning rate", options["lr"])
        check_range("RMSprop", "epsilon value", options["eps"])
        check_range("RMSprop", "momentum value", options["momentum"])
        check_range("RMSprop", "weight_decay value", options["weight_decay"])
        check_range("RMSprop", "alpha value", options["alpha"])

    def _update_group(self, group: dict) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        for p, grad in self._gradients(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = self._buffer(p)
                if momentum > 0:
                    state["momentum_buffer"] = self._buffer(p)
                if group["centered"]:
                    state["grad_avg"] = self._buffer(p)
            state["step"] += 1

            if weight_decay != 0:
                grad = grad + weight_decay * p._data
            square_avg = state["square_avg"]._data
            square_avg *= alpha
            square_avg += (1 - alpha) * grad * grad
            if group["centered"]:
                grad_avg = state["grad_avg"]._data
                grad_avg += (1 - alpha) * (grad - grad_avg)
                denom = square_avg - grad_avg * grad_avg
                np.sqrt(denom, out=denom)
            else:
                denom = np.sqrt(square_avg)
            denom += eps

            if momentum > 0:
                buf = state["momentum_buffer"]._data
                buf *= momentum
                buf += grad / denom
                p.sub_(lr * buf)
            else:
                p.sub_(lr * (grad / denom))
