"""Adagrad: per-coordinate step sizes shrinking with the sum of all past squared gradients."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, check_range


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with PyTorch's conventions.

    For each parameter θ with gradient g, at step t = 1, 2, ...:

        g ← -g                                  if maximize
        g ← g + weight_decay · θ
        lr_t ← lr / (1 + (t - 1) · lr_decay)
        s ← s + g²                              (s starts at initial_accumulator_value)
        θ ← θ - lr_t · g / (√s + eps)

    State per parameter: `step` and `sum` (s), created when a parameter joins the optimizer (as
    in PyTorch), so `state_dict()` lists them before the first step.

    >>> opt = memograd.optim.Adagrad(model.parameters(), lr=1e-2)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, *, maximize: bool = False) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self.state[p]["step"] = 0
            self.state[p]["sum"] = self._buffer(p, float(group["initial_accumulator_value"]))

    def _check(self, options: dict) -> None:
        check_range("Adagrad", "learning rate", options["lr"])
        check_range("Adagrad", "lr_decay value", options["lr_decay"])
        check_range("Adagrad", "weight_decay value", options["weight_decay"])
        check_range("Adagrad", "initial_accumulator_value value", options["initial_accumulator_value"])
        check_range("Adagrad", "epsilon value", options["eps"])

    def _update_group(self, group: dict) -> None:
        lr, lr_decay = float(group["lr"]), float(group["lr_decay"])
        weight_decay, eps = float(group["weight_decay"]), float(group["eps"])
        for p, grad in self._gradients(group):
            state = self.state[p]
            state["step"] += 1

            if weight_decay != 0:
                grad = grad + weight_decay * p._data
            step_lr = lr / (1 + (state["step"] - 1) * lr_decay)
            total = state["sum"]._data
            total += grad * grad
            denom = np.sqrt(total)
            denom += eps
            p.sub_(step_lr * (grad / denom))
