"""memograd: backpropagation as the chain rule plus dynamic programming, with PyTorch's API.

    import memograd as torch     # the supported subset runs unchanged
"""
from __future__ import annotations

from . import autograd
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import device
from .creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like,
    rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .dtypes import (
    bool_ as bool, double, float, float16, float32, float64, get_default_dtype, half, int32, int64, long,  # noqa: A004
    set_default_dtype, uint8,
)
from .dtypes import int32 as int  # noqa: A004
from .ops.arith import add, div, matmul, maximum, minimum, mul, neg, pow, sub
from .ops.reduce import amax, amin, logsumexp, mean, norm, prod, std, sum, var
from .ops.select import where
from .ops.shape import (
    cat, concat, concatenate, expand, flatten, pad, permute, repeat, reshape, squeeze, stack, transpose,
    unsqueeze,
)
from .ops.softmax import log_softmax, softmax
from .ops.unary import (
    abs, clamp, clip, cos, exp, log, log1p, reciprocal, relu, rsqrt, sigmoid, sign, sin, sqrt, tanh,
)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .ops.shape import chunk, split
from .tensor import Tensor

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


def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    import numpy as np

    # `bool` here is memograd.bool (the dtype), so no bool(...) call: np.allclose gives a Python bool
    return np.allclose(getattr(a, "_data", a), getattr(b, "_data", b), rtol=rtol, atol=atol)


def isnan(x: Tensor) -> Tensor:
    return x.isnan()


_SUBMODULES = ("nn", "optim", "utils", "explain", "io", "cli", "serialization", "onnx", "distributed")


def __getattr__(name: str):
    """`memograd.nn`, `memograd.optim`, ... are imported on first use, keeping `import memograd` light."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'memograd' has no attribute {name!r}")


def compile(fn=None):  # noqa: A001 - PyTorch's name
    """Record a training step once and replay it as a flat program of NumPy calls
    (see `memograd.capture`).

    >>> step = memograd.compile(train_step)
    >>> loss = step(x, y)
    """
    from .capture import compile as _compile

    return _compile(fn)


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
