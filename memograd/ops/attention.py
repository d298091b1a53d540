"""Scaled dot-product attention, softmax(q k^T * scale + mask) v, as one fused op.

The composition (`composed_attention`: scale, matmul, masking, softmax, matmul) records six
nodes and keeps the scores, the masked scores and the weights; the fused op keeps only q, k,
v and the weights P, and its backward is the textbook rule on arrays:

    dV = P^T dO      dP = dO V^T      dS = P * (dP - rowsum(dP * P))
    dQ = dS K * scale                 dK = dS^T (Q * scale)

Masks are constants here: None, a bool array (True = may attend) or a float array added to
the scores, broadcastable to (..., L, S); `causal` builds the lower-triangular one (aligned
at the top left, as PyTorch). A query row whose keys are all masked gets zero weights (and
a zero output), as PyTorch's scaled_dot_product_attention does. Dropout on the weights and
masks that require grad take the composition (nn/attention_functional.py).
Measured in benchmarks/RESULTS.md (W6)."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from .fused import graph_by_composition, is_tensor
from .select import where
from .softmax import softmax


def causal_allowed(query_len: int, key_len: int) -> np.ndarray:
    """(L, S) bool: query i may attend to keys 0..i (aligned at the top left, as PyTorch)."""
    return np.tril(np.ones((query_len, key_len), dtype=bool))


def _swap(x):
    return x.swapaxes(-1, -2)


class ScaledDotProductAttention(Op):
    """q (..., L, E), k (..., S, E), v (..., S, Ev) -> (..., L, Ev); leading dims broadcast."""

    __slots__ = ("causal", "mask", "scale")
    vjp_formula = ("g · attention rule for q", "g · attention rule for k", "attnᵀ @ g")
    saves_inputs = True

    @staticmethod
    def forward(ctx, q, k, v, mask=None, causal=False, scale=1.0):
        ctx.mask, ctx.causal, ctx.scale = mask, causal, scale
        xp = array_module(q)
        scores = (q * scale) @ _swap(k)
        if causal:
            mask = causal_allowed(scores.shape[-2], scores.shape[-1])
        if mask is not None and mask.dtype == bool:
            xp.copyto(scores, -xp.inf, where=~mask)
        elif mask is not None:
            scores = scores + mask
        # softmax over the keys, in place on the scores
        top = scores.max(axis=-1, keepdims=True)
        dead = None
        if mask is not None and not causal:  # causal rows always keep key 0
            dead = xp.isneginf(top)
            if dead.any():
                top[dead] = 0.0
            else:
                dead = None
        scores -= top
        xp.exp(scores, out=scores)
        total = scores.sum(axis=-1, keepdims=True)
        if dead is not None:  # every key masked: all exp are 0; dividing by 1 keeps them so
            total[dead] = 1.0
        scores /= total
        ctx.save_for_backward(q, k, v, scores)
        return scores @ v

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, probs = ctx.saved
        q_edge, k_edge, v_edge = ctx.next
        grad_v = _swap(probs) @ grad_out if v_edge is not None else None
        if q_edge is None and k_edge is None:
            return None, None, grad_v
        grad_s = grad_out @ _swap(v)  # dP, turned into dS in place
        row = (grad_s * probs).sum(axis=-1, keepdims=True)
        grad_s -= row
        grad_s *= probs
        grad_q = grad_k = None
        if q_edge is not None:
            grad_q = grad_s @ k
            grad_q *= ctx.scale
        if k_edge is not None:
            grad_k = _swap(grad_s) @ (q * ctx.scale)
        return grad_q, grad_k, grad_v

    @staticmethod
    def graph_backward(ctx, grad_out, q, k, v, probs=None):
        def compose(q, k, v):
            return composed_attention(q, k, v, ctx.mask, ctx.causal, ctx.scale)

        return graph_by_composition(ctx, compose, grad_out, (q, k, v))

    @staticmethod
    def backward_flops(ctx, i: int) -> int:
        """Each input's gradient is one or two batched matmuls over the (..., L, S) weights,
        plus dS's elementwise work (4 per weight) for q and k."""
        n_weights = math.prod(ctx.shape[:-1]) * _key_len(ctx)
        dims = [edge.shape[-1] if edge is not None else ctx.shape[-1] for edge in ctx.next]
        if i == 2:
            return 2 * n_weights * ctx.shape[-1]
        return 2 * n_weights * (dims[2] + dims[i]) + 4 * n_weights


def _key_len(ctx) -> int:
    for edge in ctx.next[1:]:
        if edge is not None:
            return edge.shape[-2]
    return ctx.shape[-2]


def attention(q, k, v, mask=None, causal: bool = False, scale: float = 1.0):
    """The fused op on tensors; `mask` an array (or None)."""
    return ScaledDotProductAttention.apply(q, k, v, mask=mask, causal=causal, scale=scale)


# ---- the same function from ordinary ops ----------------------------------------------------------


def safe_softmax(logits):
    """softmax over the last dim, but a row whose logits are all -inf (every key masked) gives
    zeros instead of NaN, as PyTorch's scaled_dot_product_attention does."""
    xp = array_module(logits._data)
    dead = xp.all(xp.isneginf(logits._data), axis=-1, keepdims=True)
    if not bool(dead.any()):
        return softmax(logits, -1)
    weights = softmax(where(dead, 0.0, logits), -1)
    return where(dead, 0.0, weights)


def composed_weights(q, k, mask=None, causal: bool = False, scale: float = 1.0):
    """softmax(q k^T * scale + mask) from ordinary ops; `mask` an array or a float tensor
    (a learnt bias, whose gradient then flows)."""
    logits = (q * scale) @ k.transpose(-2, -1)
    if causal:
        mask = causal_allowed(logits.shape[-2], logits.shape[-1])
    if mask is not None and not is_tensor(mask) and mask.dtype == bool:
        logits = where(mask, logits, -np.inf)
    elif mask is not None:
        logits = logits + mask
    return safe_softmax(logits)


def composed_attention(q, k, v, mask=None, causal: bool = False, scale: float = 1.0):
    return composed_weights(q, k, mask, causal, scale) @ v
