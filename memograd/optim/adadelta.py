"""Adadelta: step sizes from the ratio of running RMS of past updates to that of past gradients."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, check_range


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012), with PyTorch's conventions.

    For each parameter θ with gradient g:

        g ← -g                                  if maximize
        g ← g + weight_decay · θ
        s ← ρ · s + (1 - ρ) · g²                (s, u start at 0)
        Δ ← √(u + eps) / √(s + eps) · g
        u ← ρ · u + (1 - ρ) · Δ²
        θ ← θ - lr · Δ

    eps sits inside both square roots; it is also what makes the very first steps move at
    all (u = 0 then). lr = 1 is the paper's rule; PyTorch adds lr as a plain scale. State
    per parameter: `step`, `square_avg` (s), `acc_delta` (u).

    >>> opt = memograd.optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
    """

    def __init__(self, params: Iterable, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, options: dict) -> None:
        check_range("Adadelta", "learning rate", options["lr"])
        check_range("Adadelta", "rho value", options["rho"], 0.0, 1.0)
        check_range("Adadelta", "epsilon value", options["eps"])
        check_range("Adadelta", "weight_decay value", options["weight_decay"])

    def _update_group(self, group: dict) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        for p, grad in self._gradients(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = self._buffer(p)
                state["acc_delta"] = self._buffer(p)
            state["step"] += 1

            if weight_decay != 0:
                grad = grad + weight_decay * p._data
            square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
            square_avg *= rho
            square_avg += (1 - rho) * grad * grad
            delta = np.sqrt(acc_delta + eps)
            delta /= np.sqrt(square_avg + eps)
            delta *= grad
            acc_delta *= rho
            acc_delta += (1 - rho) * delta * delta
            p.sub_(lr * delta)
