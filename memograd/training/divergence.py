"""Stopping a run whose loss or gradients became NaN or infinite, with a one-line diagnosis.

Checked after every backward pass and before the optimizer step, so a bad gradient never
reaches the weights, and the last checkpoint (written at the end of an epoch) stays the last
good one. The diagnosis comes from the gradient monitor (memograd.explain.GradientMonitor):
which layers' gradients are non-finite, the first of them in the backward pass (nearest the
output), and whether the weights themselves already are (an earlier update overflowed)."""
from __future__ import annotations

import math

import numpy as np


class TrainingDiverged(RuntimeError):
    """The loss or a gradient became NaN/inf; the message is the diagnosis."""


def gradients_finite(model) -> bool:
    for p in model.parameters():
        if p.grad is None:
            continue
        g = p.grad._data
        # One sum per tensor is cheap; only a non-finite sum (or an overflowing one) needs the exact test.
        if not math.isfinite(float(g.sum())) and not np.isfinite(g).all():
            return False
    return True


def check_step(run, loss: float, step: int) -> None:
    """Raise TrainingDiverged when this step's loss or gradients are not all finite."""
    if math.isfinite(loss) and gradients_finite(run.model):
        return
    raise TrainingDiverged(diagnose(run, loss, step))


def diagnose(run, loss: float, step: int) -> str:
    from ..explain import GradientMonitor

    stats = GradientMonitor(run.model).step()
    modules = dict(run.model.named_modules())

    def named(layer: str) -> str:
        module = modules.get(layer)
        return f"{layer} ({type(module).__name__})" if module is not None else layer

    bad_grads = [name for name, s in stats.items() if not math.isfinite(s.grad_norm)]
    bad_weights = [name for name, s in stats.items() if not math.isfinite(s.weight_norm)]
    parts = [f"training stopped at epoch {run.epoch + 1}, step {step} of {run.steps_per_epoch}: the loss is "
             f"{loss:g}" if not math.isfinite(loss) else
             f"training stopped at epoch {run.epoch + 1}, step {step} of {run.steps_per_epoch}: the loss is "
             f"{loss:.4g} but gradients are not finite"]
    if bad_grads:
        parts.append(f"the first gradient to go non-finite in the backward pass is layer {named(bad_grads[-1])}'s "
                     f"({len(bad_grads)} of {len(stats)} layers have NaN/inf gradients)")
    if bad_weights:
        parts.append(f"the weights of layer {', '.join(map(named, bad_weights))} are already NaN/inf "
                     "(an earlier update overflowed)")
    if run.epoch:
        parts.append(f"{run.dir} keeps the last good checkpoint (epoch {run.epoch})")
    else:
        parts.append("no epoch finished, so no checkpoint was written")
    if run.epoch == 0 and step == 1 and not bad_weights:
        parts.append("the first batch already fails: check the data for NaN/inf values")
    else:
        parts.append(f"try a lower --lr (now {run.config.learning_rate:g}) or a smaller model")
    return "; ".join(parts)
