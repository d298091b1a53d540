"""Collectives that autograd differentiates through (`torch.distributed.nn.functional`).

`all_reduce(x)` with SUM gives every process s = x_0 + ... + x_{N-1}. Each process's loss L_r
depends on s, so the gradient of the total loss sum_r L_r with respect to x_q is
sum_r dL_r/ds: the backward of a SUM all-reduce is a SUM all-reduce of the incoming gradients.
(SyncBatchNorm's statistics are built on this.)"""
from __future__ import annotations

from ...autograd.function import Function
from .. import collectives
from ..collectives import ReduceOp


class _AllReduceSum(Function):
    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        out = tensor.clone()
        collectives.all_reduce(out, ReduceOp.SUM, group=group)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        grad = grad_out.detach().clone()
        collectives.all_reduce(grad, ReduceOp.SUM, group=ctx.group)
        return grad, None


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None):
    """A new tensor holding the all-reduced `tensor` (the input is left as it is), recorded
    for backward. Only ReduceOp.SUM is differentiable here."""
    if op is not ReduceOp.SUM:
        raise NotImplementedError(f"memograd.distributed.nn.functional.all_reduce: only ReduceOp.SUM is "
                                  f"differentiable here, got {op!r}")
    return _AllReduceSum.apply(tensor, group)
