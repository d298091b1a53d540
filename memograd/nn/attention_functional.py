"""Attention, functional forms: scaled_dot_product_attention and multi_head_attention_forward,
with PyTorch's signatures and semantics.

scaled_dot_product_attention is one fused op (ops/attention.py) unless it needs dropout or a
learnt mask, which take the composition of ordinary ops (matmul, where, softmax, dropout);
multi-head attention adds the projections (linear). Masks are constants unless a float mask is
a Tensor that requires grad (a learnt bias), in which case its gradient flows like any other
input's.

Two mask conventions meet here, as in PyTorch:
- scaled_dot_product_attention: a bool mask says which keys a query may attend to (True = take
  part); a float mask is added to the scores.
- multi_head_attention_forward (and nn.MultiheadAttention): bool masks say what to *ignore*
  (True = masked out); they become additive float masks with -inf where True.
"""
from __future__ import annotations

import math

import numpy as np

from ..ops import linear as _linear
from ..ops import shape as _shape
from ..ops import attention as _attention
from ..ops import softmax as _softmax
from ..tensor import Tensor

# ---- masks --------------------------------------------------------------------------------------


def _mask_dtype(mask) -> np.dtype:
    return mask.dtype if isinstance(mask, Tensor) else np.asarray(mask).dtype


def _as_float_mask(mask, dtype) -> Tensor:
    """A float mask as a Tensor of the scores' dtype (differentiable if it requires grad)."""
    mask = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask), None)
    return mask.to(dtype)


def _canonical_mask(mask, mask_name: str, target_dtype):
    """PyTorch's rule for nn.MultiheadAttention's masks: a bool mask becomes an additive float
    mask (-inf where True, 0 elsewhere); a float mask is kept; anything else is an error."""
    if mask is None:
        return None
    kind = _mask_dtype(mask).kind
    if kind == "b":
        masked = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
        return Tensor._make(np.where(masked, -np.inf, 0.0).astype(target_dtype), None)
    if kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    return _as_float_mask(mask, target_dtype)


def _dropout(x: Tensor, p: float) -> Tensor:
    from .functional import dropout  # functional re-exports this module, so import at call time

    return dropout(x, p, training=True)


def _repeat_kv_heads(x: Tensor, query_heads: int, name: str) -> Tensor:
    """Grouped-query attention: repeat each of x's heads (dim -3) query_heads // heads times,
    consecutively (PyTorch's repeat_interleave), so key/value heads line up with the query's."""
    heads = x.shape[-3]
    if query_heads % heads:
        raise RuntimeError(f"scaled_dot_product_attention: number of heads in {name} ({heads}) must divide "
                           f"the number of heads in query ({query_heads}) when enable_gqa=True")
    if heads == query_heads:
        return x
    groups = query_heads // heads
    lead, (length, dim) = x.shape[:-3], x.shape[-2:]
    spread = x.unsqueeze(-3).expand(*lead, heads, groups, length, dim)
    return spread.reshape(*lead, query_heads, length, dim)


# ---- scaled dot-product attention -----------------------------------------------------------------


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over the last two dims; any leading dims
    (batch, heads) broadcast. query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).

    attn_mask: bool (True = take part) or float (added to the scores), broadcastable to (..., L, S).
    is_causal: query i sees keys 0..i (no attn_mask allowed with it). scale defaults to 1/sqrt(E).
    dropout_p: dropout on the attention weights, applied whenever it is > 0 (as PyTorch; modules
    pass 0 in eval mode). A query whose keys are all masked gets a zero output.

    >>> q = k = v = memograd.randn(2, 4, 5, 8)   # (batch, heads, length, head_dim)
    >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
    (2, 4, 5, 8)
    """
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError("scaled_dot_product_attention: expected query, key and value to be at least 2-D, "
                           f"got {query.ndim}-D, {key.ndim}-D and {value.ndim}-D")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if enable_gqa:
        key = _repeat_kv_heads(key, query.shape[-3], "key")
        value = _repeat_kv_heads(value, query.shape[-3], "value")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)  # a NumPy float64 would upcast
    mask = None
    if attn_mask is not None:
        kind = _mask_dtype(attn_mask).kind
        if kind == "b":
            mask = attn_mask._data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        elif kind == "f" and _mask_dtype(attn_mask) == query.dtype:
            mask = _as_float_mask(attn_mask, query.dtype)
        else:  # as PyTorch: a float mask of another dtype than the query's is refused too
            raise RuntimeError(f"scaled_dot_product_attention: expected attn_mask dtype to be bool or float of "
                               f"the query's dtype, but got attn_mask.dtype: {_mask_dtype(attn_mask)} and "
                               f"query.dtype: {query.dtype}")
    scores_shape = np.broadcast_shapes(query.shape[:-1], key.shape[:-2] + (1,)) + (key.shape[-2],)
    learnt = isinstance(mask, Tensor) and mask.requires_grad
    wide = mask is not None and np.broadcast_shapes(tuple(mask.shape), scores_shape) != scores_shape
    if dropout_p > 0.0 or learnt or wide:
        # Dropout between softmax and the product, a learnt mask, or a mask wider than the
        # scores: the composition of ordinary ops.
        weights = _attention.composed_weights(query, key, mask, is_causal, scale)
        if dropout_p > 0.0:
            weights = _dropout(weights, dropout_p)
        return weights @ value
    if isinstance(mask, Tensor):
        mask = mask._data
    return _attention.attention(query, key, value, mask, is_causal, scale)  # one fused op (ops/attention.py)


# ---- multi-head attention ----------------------------------------------------------------------------


def _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    """PyTorch's shape rules for multi-head attention; True when the input is batched."""
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D query tensor")
    batched = query.ndim == 3
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {query.ndim}-D `query`, expected `key` and `value` to be {query.ndim}-D"
                             f" but found {key.ndim}-D and {value.ndim}-D tensors respectively")
    if key_padding_mask is not None and len(key_padding_mask.shape) != query.ndim - 1:
        raise AssertionError(f"For {query.ndim}-D `query`, expected `key_padding_mask` to be `None` or "
                             f"{query.ndim - 1}-D but found {len(key_padding_mask.shape)}-D tensor instead")
    if attn_mask is not None:
        if len(attn_mask.shape) not in (2, 3):
            raise AssertionError("expected `attn_mask` to be `None`, 2-D or 3-D but found "
                                 f"{len(attn_mask.shape)}-D tensor instead")
        wanted = (num_heads, query.shape[0], key.shape[0])
        if not batched and len(attn_mask.shape) == 3 and tuple(attn_mask.shape) != wanted:
            raise AssertionError(f"Expected `attn_mask` shape to be {wanted} but got {tuple(attn_mask.shape)}")
    return batched


def _project_inputs(query, key, value, in_proj_weight, in_proj_bias, separate_weights) -> tuple:
    """q, k, v = the three input projections. Self-attention (one tensor for all three) runs a
    single matmul with the packed weight and splits its output, as PyTorch does."""
    biases = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
    if separate_weights is not None:
        return tuple(_linear.linear(x, w, b) for x, w, b in zip((query, key, value), separate_weights, biases))
    if query is key and key is value:
        return _linear.linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
    weights = in_proj_weight.chunk(3)
    return tuple(_linear.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))


def _split_heads(x: Tensor, batch: int, num_heads: int, head_dim: int) -> Tensor:
    """(length, batch, embed) -> (batch * heads, length, head_dim)."""
    return x.reshape(x.shape[0], batch * num_heads, head_dim).transpose(0, 1)


def _pad_last(mask, amount: int = 1):
    return None if mask is None else _shape.pad(mask, (0, amount))


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight, out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True, is_causal: bool = False) -> tuple:
    """nn.MultiheadAttention's computation on sequence-first inputs: query (L, N, E), key and
    value (S, N, kdim/vdim), or unbatched (L, E), (S, ...). Returns (output (L, N, E), weights):
    weights are (N, L, S) averaged over heads, (N, heads, L, S) when not averaged, or None when
    need_weights is False. Masks: key_padding_mask (N, S) and attn_mask (L, S) or (N*heads, L, S);
    bool True means "do not attend", float masks are added to the scores."""
    batched = _check_mha_shapes(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask[None]
    tgt_len, batch, embed_dim = query.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)

    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # trust the hint: the mask is causal, so let attention build it
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal

    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
        if any(w is None for w in separate):
            raise AssertionError("use_separate_proj_weight is True but q/k/v_proj_weight is None")
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    q, k, v = _project_inputs(query, key, value, in_proj_weight, in_proj_bias, separate)

    if attn_mask is not None:
        src_len = key.shape[0]
        wanted = (tgt_len, src_len) if attn_mask.ndim == 2 else (batch * num_heads, tgt_len, src_len)
        if tuple(attn_mask.shape) != wanted:
            raise RuntimeError(f"The shape of the {attn_mask.ndim}D attn_mask is {tuple(attn_mask.shape)}, "
                               f"but should be {wanted}.")
        if attn_mask.ndim == 2:
            attn_mask = attn_mask.unsqueeze(0)

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = _shape.cat([k, bias_k.repeat(1, batch, 1)])
        v = _shape.cat([v, bias_v.repeat(1, batch, 1)])
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must be given together")

    q = _split_heads(q, batch, num_heads, head_dim)
    k = _split_heads(k, batch, num_heads, head_dim) if static_k is None else static_k
    v = _split_heads(v, batch, num_heads, head_dim) if static_v is None else static_v
    if add_zero_attn:
        zeros = Tensor._make(np.zeros((batch * num_heads, 1, head_dim), dtype=k.dtype), None)
        k, v = _shape.cat([k, zeros], dim=1), _shape.cat([v, zeros.to(v.dtype)], dim=1)
        attn_mask, key_padding_mask = _pad_last(attn_mask), _pad_last(key_padding_mask)
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (batch, src_len):
            raise AssertionError(f"Expected key_padding_mask of shape {(batch, src_len)}, "
                                 f"but got {tuple(key_padding_mask.shape)}")
        per_head = key_padding_mask.reshape(batch, 1, 1, src_len).expand(batch, num_heads, 1, src_len)
        per_head = per_head.reshape(batch * num_heads, 1, src_len)
        attn_mask = per_head if attn_mask is None else attn_mask + per_head

    if not training:
        dropout_p = 0.0

    if need_weights:
        # Plain softmax here, as PyTorch: a fully masked query row gives NaN weights.
        logits = (q * math.sqrt(1.0 / head_dim)) @ k.transpose(-2, -1)
        if attn_mask is not None:
            logits = logits + attn_mask
        weights = _softmax.softmax(logits, -1)
        if dropout_p > 0.0:
            weights = _dropout(weights, dropout_p)
        out = (weights @ v).transpose(0, 1).reshape(tgt_len * batch, embed_dim)
        out = _linear.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, batch, -1)
        weights = weights.reshape(batch, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(batch, num_heads, -1, src_len)
    q = q.reshape(batch, num_heads, tgt_len, head_dim)
    k = k.reshape(batch, num_heads, src_len, head_dim)
    v = v.reshape(batch, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(batch * tgt_len, embed_dim)
    out = _linear.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, batch, -1)
    if not batched:
        out = out.squeeze(1)
    return out, None


__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]
