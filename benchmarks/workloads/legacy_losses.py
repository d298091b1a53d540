"""ClassCrossEntropy as memograd computed it before round 5 (normalised probabilities in the
forward, a copy, a subtraction and a scaling in the backward: eight passes over (N, C)), kept
here only so that benchmarks/fusions.py can time it side by side with the current op."""
from __future__ import annotations

from memograd.backend import array_module
from memograd.ops.losses import ClassCrossEntropy, reduce_loss


class EightPassClassCrossEntropy(ClassCrossEntropy):
    """Labels within range and no ignored samples (the workloads' case) only."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, logits, labels, ignore_index: int = -100, reduction: str = "mean"):
        xp = array_module(logits)
        n = logits.shape[0]
        rows = xp.arange(n)
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = xp.exp(shifted)
        total = probs.sum(axis=1, keepdims=True)
        per_sample = xp.log(total.reshape(-1)) - shifted[rows, labels]
        probs /= total
        ctx.keep, ctx.reduction, ctx.denom = None, reduction, float(n)
        ctx.save_for_backward(logits, probs, labels)
        return reduce_loss(per_sample, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad_out):
        _logits, probs, labels = ctx.saved
        grad = probs.copy()
        grad[array_module(labels).arange(len(labels)), labels] -= 1
        return ctx.weighted(grad, grad_out)
