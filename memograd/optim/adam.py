"""Adam: per-coordinate step sizes from running averages of the gradient and its square."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .. import loops
from ..inplace import bump_version
from .kernels import load_loops
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
        load_loops()

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

            if _fits_loop(p._data, grad, state, group):
                f32 = np.float32
                shrink = f32(1 - lr * weight_decay if group["decoupled_weight_decay"] else 1)
                _adam_loop(p._data.reshape(-1), grad.reshape(-1), state["exp_avg"]._data.reshape(-1),
                           state["exp_avg_sq"]._data.reshape(-1), shrink, f32(1 - beta1), f32(beta2),
                           f32(1 - beta2), f32(math.sqrt(1 - beta2**t)), f32(eps), f32(lr / (1 - beta1**t)))
                bump_version(p)
                continue

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


def _fits_loop(param, grad, state: dict, group: dict) -> bool:
    """The compiled loop covers plain Adam and AdamW on contiguous float32 NumPy arrays: the
    parameter, its gradient and both running averages (a loaded state may be otherwise)."""
    arrays = (param, grad, state["exp_avg"]._data, state["exp_avg_sq"]._data)
    return (not group["amsgrad"] and (group["weight_decay"] == 0 or group["decoupled_weight_decay"])
            and loops.ready(*arrays) and all(a.flags.c_contiguous and a.shape == param.shape for a in arrays))


@loops.loop
def _adam_loop(param, grad, m, v, shrink, one_minus_beta1, beta2, one_minus_beta2, v_scale, eps, step_size):
    """The update above in one pass, each element's operations in the NumPy path's order (so
    the same bits): 2-3x faster on W6's 16 matrices (benchmarks/RESULTS.md)."""
    for i in range(param.size):
        g = grad[i]
        m[i] += one_minus_beta1 * (g - m[i])
        v[i] = v[i] * beta2 + one_minus_beta2 * g * g
        param[i] = param[i] * shrink - m[i] / (np.sqrt(v[i]) / v_scale + eps) * step_size
