"""Gradient clipping, applied to `.grad` in place after backward() and before the optimizer step.

The array work is an `array_step`, so a memograd.compile replay clips each step's own gradients."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..autograd.compile_hooks import array_step
from ..tensor import Tensor
from . import rnn_utils as rnn  # noqa: F401 - torch.nn.utils.rnn


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so that their joint `norm_type` norm is at most
    `max_norm`; returns the norm before clipping (a 0-d tensor), as PyTorch."""
    grads = _grads(parameters)
    if not grads:
        return Tensor._make(np.asarray(0.0, dtype=np.float32), None)
    total = _scale_to_norm(float(max_norm), float(norm_type), bool(error_if_nonfinite), *(g._data for g in grads))
    return Tensor._make(total, None)


@array_step  # memograd.compile replays this on each step's own gradients
def _scale_to_norm(max_norm: float, norm_type: float, error_if_nonfinite: bool, *grads) -> np.ndarray:
    """Scale the arrays `grads` in place to a joint norm of at most max_norm; their norm before."""
    if norm_type == float("inf"):
        total = max(float(np.abs(g).max()) if g.size else 0.0 for g in grads)
    elif norm_type == 2.0:  # each gradient's squared norm as one BLAS dot in its own dtype, as PyTorch's
        total = sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads) ** 0.5
    else:
        total = sum(float((np.abs(g.astype(np.float64)) ** norm_type).sum()) for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:  # scaling up is never wanted: clip only
        for g in grads:
            g *= g.dtype.type(coef)
    return np.asarray(total, dtype=grads[0].dtype)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    grads = _grads(parameters)
    if grads:
        _clamp(float(clip_value), *(g._data for g in grads))


@array_step  # memograd.compile replays this on each step's own gradients
def _clamp(clip_value: float, *grads) -> np.ndarray:
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)
    return np.asarray(clip_value)  # an array_step returns arrays; nobody reads this one


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and joined into one vector (no gradient link)."""
    return Tensor._make(np.concatenate([p._data.reshape(-1) for p in parameters]), None)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive pieces of `vec` into the parameters, in place."""
    data = vec._data if isinstance(vec, Tensor) else np.asarray(vec)
    start = 0
    for p in parameters:
        n = p._data.size
        p._data[...] = data[start:start + n].reshape(p.shape)
        start += n
