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

On float32 NumPy arrays with Numba (memograd.loops), without a mask or with the causal one, the
softmax and its backward are compiled loops over the rows around NumPy's exp (`_shift_rows`,
`_normalize_rows`, `_softmax_grad_rows`) instead of eight passes and three small-axis reductions.
Measured in benchmarks/RESULTS.md (W6)."""
from __future__ import annotations

import math

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from ..blockwise import by_rows
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
        if causal:
            mask = causal_allowed(q.shape[-2], k.shape[-2])
        if _by_batch(q, k, v, mask):  # batches are independent: one share of them per thread
            probs = np.empty(q.shape[:-1] + k.shape[-2:-1], q.dtype)
            out = np.empty(q.shape[:-1] + v.shape[-1:], q.dtype)
            by_rows(lambda *parts: _attend(*parts, mask, causal, scale), q, k, v, probs, out)
        else:
            probs, out = _attend(q, k, v, None, None, mask, causal, scale)
        ctx.save_for_backward(q, k, v, probs)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, probs = ctx.saved
        wanted = tuple(edge is not None for edge in ctx.next)
        if not _by_batch(q, k, v, None) or grad_out.shape != q.shape[:-1] + v.shape[-1:]:
            return _attend_backward(q, k, v, probs, grad_out, None, None, None, wanted, ctx.scale)
        grads = tuple(np.empty(a.shape, a.dtype) if want else None for a, want in zip((q, k, v), wanted))
        arrays = [q, k, v, probs, grad_out] + [g for g in grads if g is not None]

        def part(q, k, v, probs, grad_out, *outs):
            outs = iter(outs)
            _attend_backward(q, k, v, probs, grad_out, *(next(outs) if want else None for want in wanted),
                             wanted, ctx.scale)

        by_rows(part, *arrays)
        return grads

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


def _by_batch(q, k, v, mask) -> bool:
    """Whether the batches can be split among threads: NumPy arrays of one float dtype with the
    same batch dims, and a mask (if any) shared by every batch."""
    return (array_module(q) is np and q.ndim > 2 and q.dtype == k.dtype == v.dtype and q.dtype.kind == "f"
            and q.shape[:-2] == k.shape[:-2] == v.shape[:-2] and (mask is None or mask.ndim <= 2))


def _attend(q, k, v, probs, out, mask, causal: bool, scale: float):
    """softmax(q k^T * scale + mask) into `probs` and its product with v into `out` (new arrays
    when None); returns both."""
    xp = array_module(q)
    scores = xp.matmul(q * scale, _swap(k), out=probs)
    if _uses_loops(scores, mask, causal):
        rows = scores.reshape(-1, *scores.shape[-2:])
        _shift_rows(rows, causal)
        np.exp(rows, out=rows)
        _normalize_rows(rows)
        return scores, xp.matmul(scores, v, out=out)
    if mask is not None and mask.dtype == bool:
        xp.copyto(scores, -xp.inf, where=~mask)
    elif mask is not None:  # by_rows passes `probs` and a mask of at most 2 dims: it fits in place
        scores = scores + mask if probs is None else xp.add(scores, mask, out=scores)
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
    return scores, xp.matmul(scores, v, out=out)


def _attend_backward(q, k, v, probs, grad_out, grad_q, grad_k, grad_v, wanted, scale: float):
    """The gradients of q, k and v that `wanted` asks for (into the given arrays, or new ones)."""
    xp = array_module(q)
    want_q, want_k, want_v = wanted
    if want_v:
        grad_v = xp.matmul(_swap(probs), grad_out, out=grad_v)
    if not (want_q or want_k):
        return None, None, grad_v
    grad_s = grad_out @ _swap(v)  # dP, turned into dS in place
    if _uses_loops(grad_s, None, False) and probs.flags.c_contiguous:
        _softmax_grad_rows(grad_s.reshape(-1, grad_s.shape[-1]), probs.reshape(-1, probs.shape[-1]))
    else:
        row = (grad_s * probs).sum(axis=-1, keepdims=True)
        grad_s -= row
        grad_s *= probs
    if want_q:
        grad_q = xp.matmul(grad_s, k, out=grad_q)
        grad_q *= scale
    if want_k:
        grad_k = xp.matmul(_swap(grad_s), q * scale, out=grad_k)
    return (grad_q if want_q else None), (grad_k if want_k else None), (grad_v if want_v else None)


def _uses_loops(scores, mask, causal: bool) -> bool:
    return (loops.ready(scores) and scores.flags.c_contiguous and scores.shape[-1] > 0
            and (mask is None or causal))


@loops.loop
def _shift_rows(scores, causal):
    """Each row of (n, L, S) scores minus its largest score; with `causal`, row i sees keys
    0..i and the others become -inf (so that exp makes them 0)."""
    n, rows, keys = scores.shape
    for b in range(n):
        for i in range(rows):
            seen = min(i + 1, keys) if causal else keys
            top = scores[b, i, 0]
            for j in range(1, seen):
                top = max(top, scores[b, i, j])
            for j in range(seen):
                scores[b, i, j] -= top
            for j in range(seen, keys):
                scores[b, i, j] = -np.inf


@loops.loop(reorder_sums=True)
def _normalize_rows(weights):
    """Each row of (n, L, S) exponentials divided by its sum (accumulated in float64)."""
    n, rows, keys = weights.shape
    for b in range(n):
        for i in range(rows):
            total = 0.0
            for j in range(keys):
                total += weights[b, i, j]
            inverse = np.float32(1.0 / total)
            for j in range(keys):
                weights[b, i, j] *= inverse


@loops.loop(reorder_sums=True)
def _softmax_grad_rows(grad, weights):
    """dP -> dS = P (dP - rowsum(dP P)) in place, over (rows, S)."""
    rows, keys = grad.shape
    for i in range(rows):
        along = 0.0
        for j in range(keys):
            along += grad[i, j] * weights[i, j]
        along32 = np.float32(along)
        for j in range(keys):
            grad[i, j] = (grad[i, j] - along32) * weights[i, j]


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
