"""memograd: backpropagation as the chain rule plus dynamic programming, with PyTorch's API.

    import memograd as torch     # the supported subset runs unchanged
"""
from __future__ import annotations

from . import autograd
from .amp import autocast, is_autocast_enabled
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.inference_mode import inference_mode, is_inference_mode_enabled
from .autograd.variable import Variable
from .backend import device
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .dtypes import (
    bfloat16, bool_ as bool, double, float, float16, float32, float64, get_default_dtype, half, int32, int64,  # noqa: A004
    long, set_default_dtype, uint8,
)
from .dtypes import int32 as int  # noqa: A004
from .ops.activation import erf
from .ops.arith import add, matmul, maximum, minimum, mul, neg, pow, sub
from .ops.counting import all, any, bincount, histc, histogram  # noqa: A004
from .ops.cumulative import cumprod, cumsum, diff
from .ops.einsum import einsum
from .ops.elementwise import (
    acos, addcdiv, addcmul, arccos, arcsin, arctan, arctan2, asin, atan, atan2, clamp_max, clamp_min, cosh, exp2,
    expm1, lerp, log2, log10, sinh, tan,
)
from .ops.layout import (
    atleast_1d, atleast_2d, atleast_3d, column_stack, dstack, flip, fliplr, flipud, ger, hstack, meshgrid, narrow,
    outer, roll, row_stack, t, tril, triu, vstack,
)
from .ops.reduce import amax, amin, logsumexp, mean, norm, prod, std, sum, var
from .ops.rounding import ceil, div, fix, floor, fmod, frac, remainder, round, trunc  # noqa: A004
from .ops.select import nonzero, where
from .ops.shape import (
    cat, chunk, concat, concatenate, expand, flatten, pad, permute, repeat, reshape, split, squeeze, stack,
    transpose, unsqueeze,
)
from .ops.softmax import log_softmax, softmax
from .ops.sorting import argsort, kthvalue, median, msort, sort, topk
from .ops.unary import (
    abs, clamp, clip, cos, exp, log, log1p, reciprocal, relu, rsqrt, sigmoid, sign, sin, sqrt, tanh,
)
from .random import (
    Generator, default_generator, get_rng_state, initial_seed, manual_seed, multinomial, seed, set_rng_state,
)
from .settings import (
    are_deterministic_algorithms_enabled, get_float32_matmul_precision, get_num_threads, set_float32_matmul_precision,
    set_num_threads, use_deterministic_algorithms,
)
from .size import Size
from .tensor import Tensor
from .tensor_api.printing import get_printoptions, set_printoptions

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> int:
    return x.numel()


def max(x, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return x.max(dim, keepdim) if isinstance(x, Tensor) else tensor(x).max(dim, keepdim)


def min(x, dim=None, keepdim=False):  # noqa: A001
    return x.min(dim, keepdim) if isinstance(x, Tensor) else tensor(x).min(dim, keepdim)


def argmax(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return x.argmax(dim, keepdim)


def argmin(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return x.argmin(dim, keepdim)


def clone(x: Tensor) -> Tensor:
    return x.clone()


def square(x: Tensor) -> Tensor:
    return x * x


def equal(a: Tensor, b: Tensor) -> bool:
    """True when both tensors have the same shape and the same values."""
    import numpy as np

    return a.shape == b.shape and np.array_equal(a._data, b._data)


def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    import numpy as np

    # `bool` here is memograd.bool (the dtype), so no bool(...) call: np.allclose gives a Python bool
    return np.allclose(getattr(a, "_data", a), getattr(b, "_data", b), rtol=rtol, atol=atol)


def isnan(x: Tensor) -> Tensor:
    return x.isnan()


_SUBMODULES = ("nn", "optim", "utils", "explain", "io", "cli", "serialization", "onnx", "cuda", "amp", "backends",
               "accelerator", "distributed")


def __getattr__(name: str):
    """`memograd.nn`, `memograd.optim`, ... are imported on first use, keeping `import memograd`
    light; a PyTorch name memograd lacks (`torch.fft`) raises NotImplementedError naming it."""
    import importlib
    import importlib.util

    if name in _SUBMODULES or (not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}")):
        return importlib.import_module(f".{name}", __name__)
    from .unsupported import missing

    raise missing("torch", name)


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend="inductor", mode=None, options=None,
            disable: bool = False):  # noqa: A001 - PyTorch's name
    """Record a training step once and replay it as a flat program of NumPy calls
    (see `memograd.capture`). PyTorch's tuning arguments (`fullgraph`, `dynamic`, `mode`)
    are accepted and change nothing; another `backend` or `options` raise; `disable=True`
    returns `model` itself.

    >>> step = memograd.compile(train_step)
    >>> loss = step(x, y)
    """
    from .unsupported import unsupported

    if backend not in ("inductor", "eager"):
        raise unsupported(f"torch.compile(backend={backend!r})", "memograd has one compiler, its own capture")
    if options:
        raise unsupported("torch.compile(options=...)", f"backend options {sorted(options)} have no meaning here")
    if disable:
        return model if model is not None else (lambda fn: fn)
    from .capture import compile as _compile

    return _compile(model)


def save(obj, f, pickle_module=None, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save a state_dict, checkpoint or whole nn.Module as safetensors (atomically; see memograd.io)."""
    from .io import save as _save

    _save(obj, f, pickle_module, pickle_protocol, _use_new_zipfile_serialization, _disable_byteorder_record)


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args):
    """Load what `save` wrote; never runs code from the file. Objects of classes not allowlisted
    with memograd.serialization.add_safe_globals need weights_only=False (see memograd.io)."""
    from .io import load as _load
    return _load(f, map_location, pickle_module, weights_only=weights_only, mmap=mmap, **pickle_load_args)
