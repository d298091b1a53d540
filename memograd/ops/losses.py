"""Losses that are fused into one op for speed and numerical stability.

Softmax + cross-entropy is the chapter's "output-layer derivative": computed separately,
softmax can overflow and log(softmax) can underflow to -inf; fused, the forward is one
stable log-softmax (shift by the max, subtract logsumexp) and the backward collapses to

    d loss / d logits = (softmax(logits) * sum_c q_c - q) / D

where q holds, per sample and class, how much weight the target puts on that class
(the one-hot target, smoothed, times the class weights; zero for ignored samples) and D
is the normaliser of the 'mean' reduction. Without smoothing or weights this is the
textbook (softmax - onehot) / N."""
from __future__ import annotations

from ..autograd import compile_hooks
from ..autograd.function import Op
from ..backend import array_module
from . import workspace
from .select import where
from .softmax import softmax

# ---- softmax cross-entropy ---------------------------------------------------------------


class CrossEntropy(Op):
    """logits (N, C, ...) and a constant target weighting q of the same shape -> the loss.

    The backward reuses the probabilities saved by the forward; the graph rule recomputes
    them with the Softmax op from the logits tensor, so that their dependence on the logits
    is recorded too."""

    __slots__ = ("denom", "reduction")
    backward_flops_per_element = 3  # (probs * q_total - q) * grad
    vjp_formula = ("g · (softmax(a) − target) / N",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, logits, q=None, denom=1.0, reduction="mean"):
        if q.shape != logits.shape:
            raise ValueError(f"cross_entropy: target weighting {q.shape} does not match logits {logits.shape}")
        xp = array_module(logits)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        log_probs = shifted - xp.log(total)
        per_sample = -(q * log_probs).sum(axis=1)
        ctx.reduction, ctx.denom = reduction, denom
        ctx.save_for_backward(logits, exp / total, q, q.sum(axis=1, keepdims=True))
        return reduce_loss(per_sample, reduction, denom)

    @staticmethod
    def backward(ctx, grad_out):
        _logits, probs, q, q_total = ctx.saved
        return (probs * q_total - q) * ctx.per_sample(grad_out)

    @staticmethod
    def graph_backward(ctx, grad_out, logits, probs, q, q_total):
        return (softmax(logits, 1) * q_total - q) * ctx.per_sample(grad_out)

    def per_sample(ctx, grad_out):
        """The output gradient as each sample's share, shaped to broadcast over the classes
        (a reshape and a scale: the same calls on an array and on a tensor)."""
        if ctx.reduction == "none":
            return grad_out.reshape(grad_out.shape[:1] + (1,) + grad_out.shape[1:])
        scale = 1.0 / ctx.denom if ctx.denom else float("nan")  # all ignored: NaN, as the forward
        return grad_out * scale if ctx.reduction == "mean" else grad_out


FEW_CLASSES = 128  # up to this many classes, ClassCrossEntropy reduces along columns (see there)


class ClassCrossEntropy(Op):
    """logits (N, C) against class indices (N,), without class weights or label smoothing:
    the usual classification loss, kept apart from CrossEntropy because it needs no (N, C)
    target matrix: the forward gathers each sample's logit, the backward subtracts 1 at it
    (half the array calls of the general op, which matters at small batches).

    Samples whose class is `ignore_index` count for nothing, as in CrossEntropy; the check
    runs in the forward (not at dispatch), so a replayed `memograd.compile` step sees each
    new batch's labels."""

    __slots__ = ("denom", "keep", "reduction")
    backward_flops_per_element = 2  # probs minus the one-hot, times grad
    vjp_formula = ("g · (softmax(a) − one_hot) / N",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, logits, labels, ignore_index: int = -100, reduction: str = "mean"):
        xp = array_module(logits)
        n, n_classes = logits.shape
        keep = None  # None: every sample counts (checked with two reductions, not an (N,) mask)
        if n and (0 <= ignore_index < n_classes or labels.min() < 0 or labels.max() >= n_classes):
            keep = labels != ignore_index
            bad = keep & ((labels < 0) | (labels >= n_classes))
            if bad.any():
                raise IndexError(f"target {int(labels[bad][0])} is out of bounds for {n_classes} classes")
            labels = xp.where(keep, labels, 0)
        rows = xp.arange(n)
        # NumPy reduces short rows one at a time (max over 10 classes of 128 samples: 10 us);
        # down the columns of the transposed copy the same reductions run vectorised across
        # samples (2 us). Measured: the whole forward 21 -> 10 us at 128 x 10, slower from ~1000 classes.
        axis = 0 if n_classes <= FEW_CLASSES else 1  # the axis of the classes in `z`
        z = xp.ascontiguousarray(logits.T) if axis == 0 else logits
        peak = z.max(axis=axis, keepdims=True)
        shifted = xp.subtract(z, peak, out=workspace.empty(z.shape, xp.result_type(z, peak), xp))
        picked = shifted[labels, rows] if axis == 0 else shifted[rows, labels]
        # Each pass over (N, C) counts at a language model's vocabulary (W7: 700 x 1000): the
        # exponentials overwrite `shifted` and stay unnormalised; backward divides by the sums
        # in the same pass that scales them (softmax - onehot is exps / total - onehot).
        exps = xp.exp(shifted, out=shifted)
        # many classes: each row's sum as a matrix-vector product (BLAS), 4x sum(axis=1)'s speed at (700, 1000)
        total = exps.sum(axis=0, keepdims=True) if axis == 0 else (exps @ xp.ones(n_classes, exps.dtype))[:, None]
        per_sample = xp.log(total.reshape(-1)) - picked
        if axis == 0:
            exps, total = exps.T, total.T  # (N, C) again, column-major; (N, 1)
        if keep is not None:
            per_sample *= keep
        ctx.keep, ctx.reduction = keep, reduction
        ctx.denom = float(n if keep is None else keep.sum())
        ctx.save_for_backward(logits, exps, total, labels)
        return reduce_loss(per_sample, reduction, ctx.denom)

    @staticmethod
    def backward(ctx, grad_out):
        _logits, exps, total, labels = ctx.saved
        xp = array_module(labels)
        share = ctx.weighted(xp.ones_like(total), grad_out)  # (N, 1): each sample's share of grad_out
        scale = share / total
        # a new array (a retained graph may run this backward again): from the workspace pool
        # when exps is row-major (many classes); column-major (few classes) keeps NumPy's layout
        pooled = workspace.empty(exps.shape, xp.result_type(exps, scale), xp) if exps.flags.c_contiguous else None
        grad = xp.multiply(exps, scale, out=pooled)
        grad[xp.arange(len(labels)), labels] -= share[:, 0]
        return grad

    @staticmethod
    def graph_backward(ctx, grad_out, logits, exps, total, labels):
        xp = array_module(labels)
        onehot = xp.zeros(logits.shape, dtype=logits.dtype)
        onehot[xp.arange(len(labels)), labels] = 1
        return ctx.weighted(softmax(logits, 1) - onehot, grad_out)

    def weighted(ctx, grad, grad_out):
        """d loss / d logits from softmax - onehot: ignored samples zeroed, times each sample's
        share of the output gradient (the same calls on arrays and on tensors)."""
        if ctx.keep is not None:
            grad = grad * ctx.keep[:, None]
        if ctx.reduction == "none":
            return grad * grad_out.reshape((-1, 1))
        scale = (1.0 / ctx.denom if ctx.denom else float("nan")) if ctx.reduction == "mean" else 1.0
        return grad * (grad_out * scale)


def reduce_loss(per_sample, reduction: str, denom: float | None = None):
    """'none' keeps each sample's loss; 'sum' adds them; 'mean' divides the sum by `denom`
    (the number of samples, or the total weight of the targets)."""
    if reduction == "none":
        return per_sample
    xp = array_module(per_sample)
    total = per_sample.sum()
    if reduction == "sum":
        return xp.asarray(total)
    denom = xp.asarray(per_sample.size if denom is None else denom, dtype=total.dtype)
    if denom:
        return xp.asarray(total / denom)
    with xp.errstate(invalid="ignore", divide="ignore"):  # every target ignored: NaN, as PyTorch
        return xp.asarray(total / denom)


@compile_hooks.array_step  # from the labels: memograd.compile recomputes it on every replay
def target_weights(shape: tuple, dtype, target, weight=None, ignore_index: int = -100,
                   label_smoothing: float = 0.0) -> tuple:
    """(q, D) for logits of `shape` (N, C, ...) and a target of class indices (N, ...) or of
    class probabilities (N, C, ...), with PyTorch's rules:

        indices:        q[i, c] = w[y_i] (1 - eps) [c == y_i] + w[c] eps / C,  0 where y_i is ignored
                        D = sum of w[y_i] over the samples not ignored
        probabilities:  q[i, c] = w[c] ((1 - eps) t[i, c] + eps / C),  D = number of samples"""
    xp = array_module(target)
    n_classes = shape[1]
    w = xp.ones(n_classes, dtype=dtype) if weight is None else xp.asarray(weight, dtype=dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"cross_entropy: weight should have shape ({n_classes},), got {w.shape}")
    class_axis = (1, n_classes) + (1,) * (len(shape) - 2)
    if target.dtype.kind == "f":  # class probabilities
        if target.shape != tuple(shape):
            raise ValueError(f"cross_entropy: probability target {target.shape} must match input {tuple(shape)}")
        probs = target.astype(dtype, copy=False)
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / n_classes
        return probs * w.reshape(class_axis), float(target.size // n_classes)
    if target.shape != (shape[0],) + tuple(shape[2:]):
        raise ValueError(f"cross_entropy: target of shape {target.shape} does not fit input {tuple(shape)} "
                         f"(expected {(shape[0],) + tuple(shape[2:])})")
    keep = target != ignore_index
    safe = xp.where(keep, target, 0)
    if keep.any() and (safe.min() < 0 or safe.max() >= n_classes):
        bad = safe[(safe < 0) | (safe >= n_classes)].ravel()[0]
        raise IndexError(f"cross_entropy: target {int(bad)} is out of bounds for {n_classes} classes")
    classes = xp.arange(n_classes).reshape(class_axis)
    onehot = xp.expand_dims(safe, 1) == classes
    picked = w[safe] * keep  # w[y_i], 0 for ignored samples
    q = onehot * xp.expand_dims(picked * (1.0 - label_smoothing), 1)
    if label_smoothing:
        q = q + xp.expand_dims(keep, 1) * (w * (label_smoothing / n_classes)).reshape(class_axis)
    return q.astype(dtype, copy=False), float(picked.sum())


def cross_entropy(logits, target, weight=None, ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0):
    """Softmax cross-entropy of logits (N, C, ...) or (C,) against class indices or probabilities."""
    check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    target_data = getattr(target, "_data", target)
    target_data = array_module(target_data).asarray(target_data)
    unbatched = logits.ndim == 1
    if unbatched:
        logits = logits.reshape(1, -1)
        target_data = target_data[None]
    weight_data = getattr(weight, "_data", weight)
    if getattr(target, "requires_grad", False):  # probabilities that want a gradient: compose from ops
        return _soft_target_cross_entropy(logits, target.reshape(logits.shape), weight_data, reduction,
                                          label_smoothing, unbatched)
    if (logits.ndim == 2 and target_data.ndim == 1 and target_data.dtype.kind in "iu" and weight_data is None
            and not label_smoothing and len(target_data) == logits.shape[0]):
        out = ClassCrossEntropy.apply(logits, target_data, ignore_index=ignore_index, reduction=reduction)
        return out.reshape(()) if unbatched and reduction == "none" else out
    q, denom = target_weights(logits.shape, logits.dtype, target_data, weight_data, ignore_index, label_smoothing)
    out = CrossEntropy.apply(logits, q=q, denom=denom, reduction=reduction)
    return out.reshape(()) if unbatched and reduction == "none" else out


def _soft_target_cross_entropy(logits, target, weight, reduction, label_smoothing, unbatched):
    """-sum_c w_c t'_c log softmax(x)_c with t' the smoothed target, when t itself needs a gradient
    (the fused op treats its target as a constant)."""
    from .softmax import log_softmax

    n_classes = logits.shape[1]
    q = target * (1.0 - label_smoothing) + label_smoothing / n_classes if label_smoothing else target
    if weight is not None:
        q = q * array_module(weight).asarray(weight, dtype=logits.dtype).reshape((1, n_classes) + (1,) * (logits.ndim - 2))
    per_sample = -(q * log_softmax(logits, 1)).sum(axis=1)
    if reduction == "none":
        return per_sample.reshape(()) if unbatched else per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ---- binary cross-entropy on probabilities -----------------------------------------------


class BinaryCrossEntropy(Op):
    """-(t log p + (1 - t) log(1 - p)) elementwise, with each log clamped at -100 as in
    PyTorch so that p = 0 or 1 gives a finite loss."""

    __slots__ = ()
    backward_flops_per_element = 6  # grad * (p - t) / max(p (1 - p), 1e-12)
    vjp_formula = ("g · (a − target) / (a(1 − a)) / N",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, p, t):
        xp = array_module(p)
        if xp.any((p < 0) | (p > 1)):
            raise ValueError("binary_cross_entropy: input values must lie in [0, 1]")
        ctx.save_for_backward(p, t)
        with xp.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100.0)
            log_q = xp.maximum(xp.log1p(-p), -100.0)
        return -(t * log_p + (1 - t) * log_q)

    @staticmethod
    def backward(ctx, grad_out):
        p, t = ctx.saved
        p_edge, t_edge = ctx.next
        xp = array_module(p)
        # d/dp = (p - t) / (p (1 - p)), with the denominator kept >= 1e-12 as PyTorch does.
        grad_p = grad_out * (p - t) / xp.maximum(p * (1 - p), 1e-12) if p_edge is not None else None
        grad_t = None
        if t_edge is not None:  # d/dt = log(1 - p) - log(p), clamped like the forward
            grad_t = grad_out * (xp.log(xp.maximum(1 - p, 1e-44)) - xp.log(xp.maximum(p, 1e-44)))
        return grad_p, grad_t

    @staticmethod
    def graph_backward(ctx, grad_out, p, t):
        p_edge, t_edge = ctx.next
        spread = p * (1 - p)
        grad_p = grad_out * (p - t) / where(spread < 1e-12, 1e-12, spread) if p_edge is not None else None
        grad_t = None
        if t_edge is not None:
            grad_t = grad_out * (where(1 - p < 1e-44, 1e-44, 1 - p).log() - where(p < 1e-44, 1e-44, p).log())
        return grad_p, grad_t
