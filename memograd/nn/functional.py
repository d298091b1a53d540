"""memograd.nn.functional: the stateless forms of the layers and losses, with PyTorch's
signatures. Ops with their own backward live in `memograd.ops` (linear, conv, pool,
activation, losses); the rest is composed here from differentiable ops."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import no_grad
from ..ops import activation as _act
from ..ops import conv as _conv
from ..ops import gelu as _gelu
from ..ops import linear as _linear
from ..ops import losses as _losses
from ..ops import normalization as _normalization
from ..ops import pool as _pool
from ..ops import shape as _shape
from ..ops import softmax as _softmax
from ..ops import unary as _unary
from ..ops.select import where as _where
from ..random import rng
from ..tensor import Tensor
from .attention_functional import multi_head_attention_forward, scaled_dot_product_attention

# ---- helpers -------------------------------------------------------------------------------


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._make(np.asarray(x), None)


def _data(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated size_average/reduce flags, mapped to `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        return "none"
    return "sum" if size_average is False else "mean"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    _losses.check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _unbatched(x: Tensor, fn, batched_ndim: int = 4):
    """Run `fn` on a (C, H, W) input by giving it a batch axis of one, as PyTorch allows."""
    if x.ndim == batched_ndim - 1:
        return fn(x.unsqueeze(0)).squeeze(0)
    if x.ndim != batched_ndim:
        raise ValueError(f"expected a {batched_ndim - 1}-D or {batched_ndim}-D input, got shape {tuple(x.shape)}")
    return fn(x)


# ---- linear and convolution ------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, one fused op. weight is (out_features, in_features)."""
    if input.ndim > 2:  # one GEMM on the rows: NumPy's 3-D @ 2-D is a GEMM per leading index (1.5x slower, W7)
        rows = _linear.linear(input.reshape(-1, input.shape[-1]), weight, bias)
        return rows.reshape(*input.shape[:-1], rows.shape[-1])
    return _linear.linear(input, weight, bias)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) with weights (O, C, KH, KW)."""
    if groups != 1:
        raise NotImplementedError("conv2d: groups != 1 is not supported")
    return _unbatched(input, lambda x: _conv.conv2d(x, weight, bias, stride, padding, dilation))


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution of (N, in, H, W) with weights (in, out, KH, KW): the gradient of
    conv2d with respect to its input, so it upsamples by `stride`."""
    if groups != 1:
        raise NotImplementedError("torch.nn.functional.conv_transpose2d: groups != 1 is not supported")
    return _unbatched(input, lambda x: _conv.conv_transpose2d(x, weight, bias, stride, padding, output_padding,
                                                              dilation))


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:
    return _unbatched(input, lambda x: _pool.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode,
                                                        return_indices))


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    return _unbatched(input, lambda x: _pool.avg_pool2d(x, kernel_size, stride, padding, ceil_mode,
                                                        count_include_pad, divisor_override))


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding; `pad` lists (left, right) pairs starting from the last dimension."""
    return _shape.pad(input, pad, mode, 0.0 if value is None else value)


# ---- activations -------------------------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); with `inplace=True` written over `input` (`input.relu_()`), which is
    returned: no new array, and a value saved for backward that it overwrites is then refused,
    as in PyTorch."""
    return input.relu_() if inplace else _unary.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope * x; `inplace=True` writes the result over `input`
    and returns it, as PyTorch does (its rule saves only the slope mask, so overwriting the
    input cannot spoil its own backward)."""
    out = _act.leaky_relu(input, negative_slope)
    return input.copy_(out) if inplace else out


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    return _gelu.gelu(input) if approximate == "none" else _act.gelu(input, approximate)  # ops/gelu.py: fused


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _act.softplus(input, beta, threshold)


def sigmoid(input: Tensor) -> Tensor:
    return _unary.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _unary.tanh(input)


def _softmax_dim(ndim: int) -> int:
    # PyTorch's rule when no dim is given (it warns; we just follow it).
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return _softmax.softmax(x, _softmax_dim(x.ndim) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    x = input if dtype is None else input.to(dtype)
    return _softmax.log_softmax(x, _softmax_dim(x.ndim) if dim is None else dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not
    training. `inplace=True` multiplies `input` itself (`input.mul_`) and returns it."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    keep = rng().random(input.shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = (keep * scale).astype(input.dtype)
    return input.mul_(mask) if inplace else input * mask


# ---- normalisation -------------------------------------------------------------------------------


def _normalize(x: Tensor, axes: tuple, eps: float) -> tuple:
    """(x - mean) / sqrt(var + eps) over `axes` (biased variance), with the statistics."""
    mean = x.mean(dim=axes, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dim=axes, keepdim=True)
    return centered * (var + eps).rsqrt(), mean, var


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dimensions, then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} does not end with normalized_shape {shape}")
    return _normalization.layer_norm(input, weight, bias, eps, len(shape))  # one fused op (ops/normalization.py)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims.

    Training: batch statistics, and the running ones (if given) move towards them:
    running = (1 - momentum) * running + momentum * batch, with the *unbiased* batch
    variance, as PyTorch. Evaluation: the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {tuple(input.shape)}")
        out, mean, var = _normalize(input, axes, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.mul_(1 - momentum).add_(mean._data.reshape(channels) * momentum)
                unbiased = var._data.reshape(channels) * (count / (count - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are needed when not training")
        inv_std = 1.0 / np.sqrt(_data(running_var) + eps)
        out = (input - _data(running_mean).reshape(per_channel)) * inv_std.astype(input.dtype).reshape(per_channel)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


# ---- embedding -------------------------------------------------------------------------------------


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` picked by the integer `input`; the padding_idx row gets no gradient."""
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: max_norm, scale_grad_by_freq and sparse are not supported")
    index = _data(input)
    if index.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index.dtype}")
    n = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= n):
        raise IndexError(f"embedding: index out of range for {n} embeddings (got values in "
                         f"[{index.min()}, {index.max()}])")
    out = weight[index]
    if padding_idx is not None:
        # Same values, but the padding rows come from a detached copy: no gradient flows to them.
        keep = (index != padding_idx % n)[..., None]
        out = _where(keep, out, weight.detach()[index])
    return out


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dimension of size num_classes."""
    index = _data(tensor)
    if index.dtype.kind not in "iu":
        raise TypeError("one_hot is only applicable to index tensors")
    if num_classes == -1:
        num_classes = int(index.max()) + 1 if index.size else 0
    if index.size and (index.min() < 0 or index.max() >= num_classes):
        raise ValueError(f"one_hot: class values must be in [0, {num_classes})")
    return Tensor._make((index[..., None] == np.arange(num_classes)).astype(dtypes.int64), None)


# The losses live in their own module; imported last because it uses the helpers above.
from .functional_losses import (  # noqa: E402
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss, mse_loss, nll_loss,
    smooth_l1_loss,
)

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "embedding",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "multi_head_attention_forward",
    "nll_loss",
    "one_hot",
    "pad",
    "relu",
    "relu_",
    "scaled_dot_product_attention",
    "sigmoid",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]


def __getattr__(name: str):
    """A PyTorch name this namespace lacks raises NotImplementedError naming it (memograd.unsupported)."""
    from ..unsupported import missing

    raise missing("torch.nn.functional", name)
