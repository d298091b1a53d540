"""The loss functions of `memograd.nn.functional` (re-exported there), with PyTorch's names,
legacy `size_average`/`reduce` arguments and reductions."""
from __future__ import annotations

import numpy as np

from ..ops import activation as _act
from ..ops import losses as _losses
from ..ops import unary as _unary
from ..ops.select import where as _where
from ..tensor import Tensor
from .functional import _data, _legacy_reduction, _reduce

def cross_entropy(input: Tensor, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C, ...) against class indices or class
    probabilities; one fused, stable op (see memograd.ops.losses)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _losses.cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


def nll_loss(input: Tensor, target, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C, ...) at the target classes,
    weighted per class; 'mean' divides by the total weight of the targets not ignored."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _losses.check_reduction(reduction)
    if input.ndim == 1:
        out = nll_loss(input.unsqueeze(0), _data(target)[None], weight, None, ignore_index, None, reduction)
        return out.squeeze(0) if reduction == "none" else out
    index = _data(target)
    n_classes = input.shape[1]
    if index.shape != (input.shape[0],) + tuple(input.shape[2:]):
        raise ValueError(f"nll_loss: target of shape {index.shape} does not fit input {tuple(input.shape)}")
    keep = index != ignore_index
    safe = np.where(keep, index, 0)
    if keep.any() and (safe.min() < 0 or safe.max() >= n_classes):
        raise IndexError(f"nll_loss: target out of bounds for {n_classes} classes")
    w = np.ones(n_classes, dtype=input.dtype) if weight is None else _data(weight).astype(input.dtype)
    picked_w = (w[safe] * keep).astype(input.dtype)
    # Gather input[i, y_i, ...] with broadcast index arrays along every other axis.
    grids = np.meshgrid(*(np.arange(n) for n in index.shape), indexing="ij", sparse=True)
    picked = input[(grids[0], safe) + tuple(grids[1:])]
    losses = -(picked * picked_w)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / float(picked_w.sum())


def mse_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    diff = input - target
    return _reduce(diff * diff, _legacy_reduction(size_average, reduce, reduction))


def l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    return _reduce(_unary.abs(input - target), _legacy_reduction(size_average, reduce, reduction))


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2), with d = input - target."""
    diff = input - target
    size = _unary.abs(diff)
    quadratic = 0.5 * diff * diff
    linear_part = delta * (size - 0.5 * delta)
    return _reduce(_where(_data(size) < delta, quadratic, linear_part), reduction)


def smooth_l1_loss(input: Tensor, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """Huber loss divided by beta (plain L1 when beta is 0)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _reduce(huber_loss(input, target, reduction="none", delta=beta) * (1.0 / beta), reduction)


def binary_cross_entropy(input: Tensor, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) on probabilities p, logs clamped at -100 (as PyTorch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(_data(target).shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy: target size {tuple(_data(target).shape)} must equal "
                         f"input size {tuple(input.shape)}")
    loss = _losses.BinaryCrossEntropy.apply(input, target if isinstance(target, Tensor) else _data(target).astype(input.dtype))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight=None, size_average=None, reduce=None,
                                     reduction: str = "mean", pos_weight=None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable formula:
    pos_weight * t * softplus(-x) + (1 - t) * softplus(x)  (= -[pw t log s(x) + (1-t) log(1 - s(x))])."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(_data(target).shape) != tuple(input.shape):
        raise ValueError(f"binary_cross_entropy_with_logits: target size {tuple(_data(target).shape)} must equal "
                         f"input size {tuple(input.shape)}")
    positive = _act.softplus(-input)
    if pos_weight is not None:
        positive = positive * pos_weight
    loss = target * positive + (1 - target) * _act.softplus(input)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


