"""Adam: per-coordinate step sizes from running averages of the gradient and its square."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .optimizer import Optimizer, check_range


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), with PyTorch's conventions.

    For each parameter θ with gradient g, at step t = 1, 2, ...:

        g ← -g                                  if maximize
        θ ← θ · (1 - lr · weight_decay)         if decoupled_weight_decay (AdamW)
        g ← g + weight_decay · θ                otherwise (L2 penalty in the gradient)
        m ← β1 · m + (1 - β1) · g               (m, v start at 0)
        v ← β2 · v + (1 - β2) · g²
        v̂max ← max(v̂max, v); use v̂max for v     if amsgrad
        θ ← θ - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps)

    eps is added *after* the bias correction of v, as in PyTorch. State per parameter:
    `step` (int), `exp_avg` (m), `exp_avg_sq` (v), and `max_exp_avg_sq` with amsgrad.

    >>> opt = memograd.optim.Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check(self, options: dict) -> None:
        name = self._name
        check_range(name, "learning rate", options["lr"])
        check_range(name, "epsilon value", options["eps"])
        if len(options["betas"]) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {options['betas']}")
        check_range(name, "beta parameter at index 0", options["betas"][0], 0.0, 1.0, high_open=True)
        check_range(name, "beta parameter at index 1", options["betas"][1], 0.0, 1.0, high_open=True)
        check_range(name, "weight_decay value", options["weight_decay"])

    def _update_group(self, group: dict) -> None:
        lr, eps, weight_decay = float(group["lr"]), float(group["eps"]), float(group["weight_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        for p, grad in self._gradients(group):
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = self._buffer(p)
                state["exp_avg_sq"] = self._buffer(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = self._buffer(p)
            state["step"] += 1
            t = state["step"]

            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    p.mul_(1 - lr * weight_decay)
                else:
                    grad = grad + weight_decay * p._data

            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            m += (1 - beta1) * (grad - m)
            v *= beta2
            v += (1 - beta2) * grad * grad
            if group["amsgrad"]:
                v_max = state["max_exp_avg_sq"]._data
                np.maximum(v_max, v, out=v_max)
                v = v_max

            denom = np.sqrt(v)
            denom /= math.sqrt(1 - beta2**t)
            denom += eps
            update = np.divide(m, denom, out=denom)
            update *= lr / (1 - beta1**t)
            p.sub_(update)
