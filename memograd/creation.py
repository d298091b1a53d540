"""Making tensors: from data, filled, random, ranges. All take `dtype=`, `device=` and
`requires_grad=`, as in PyTorch; floats default to `get_default_dtype()` (float32)."""
from __future__ import annotations

import numpy as np

from . import dtypes
from .backend import device as _device
from .random import rng
from .size import Size
from .tensor import Tensor


def _finish(array: np.ndarray, requires_grad: bool, device=None) -> Tensor:
    if device is not None:
        _device(device)  # a clear error for anything but the CPU
    t = Tensor._make(array, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays or tensors).

    >>> memograd.tensor([[1.0, 2.0]], requires_grad=True)
    tensor([[1., 2.]], requires_grad=True)
    """
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in data):
        data = [d._data if isinstance(d, Tensor) else d for d in data]
    target = dtypes.to_dtype(dtype) if dtype is not None else dtypes.infer_dtype(data)
    return _finish(np.array(data, dtype=target), requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like `tensor`, but shares memory with a NumPy array when no conversion is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or data.dtype == dtypes.to_dtype(dtype)):
        return _finish(data, False, device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    return Tensor._make(array, None)


def _filled(fill, size, dtype, device, requires_grad) -> Tensor:
    return _finish(np.full(_shape(size), fill, dtype=dtypes.to_dtype(dtype)), requires_grad, device)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(0, size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _filled(1, size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_shape(size), dtype=dtypes.to_dtype(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.infer_dtype(fill_value)
    return _filled(fill_value, (size,) if isinstance(size, int) else size, dtype, device, requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=dtypes.to_dtype(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Like PyTorch: integer arguments give int64, any float argument the default float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    return _finish(np.arange(start, end, step).astype(dtypes.to_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _finish(np.linspace(start, end, steps).astype(dtypes.to_dtype(dtype)), requires_grad, device)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global (or given) generator."""
    data = rng(generator).standard_normal(_shape(size), dtype=np.float64).astype(dtypes.to_dtype(dtype))
    return _finish(data, requires_grad, device)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    data = rng(generator).random(_shape(size)).astype(dtypes.to_dtype(dtype))
    return _finish(data, requires_grad, device)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False, **bounds) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high), low = 0
    by default, as int64 unless `dtype` says otherwise (a float dtype may require grad).

    >>> memograd.randint(10, (3,))          # three integers in [0, 10)
    >>> memograd.randint(5, 10, size=(2, 2))
    """
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if len(args) == 1 and "low" not in bounds:
        bounds["high"] = args[0] if "high" not in bounds else _too_many("high")
    elif len(args) == 2:
        bounds["low"], bounds["high"] = args
    elif args:
        raise TypeError(f"randint(): expected (high, size) or (low, high, size), got {len(args)} positional arguments")
    unknown = set(bounds) - {"low", "high"}
    if unknown:
        raise TypeError(f"randint() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    low, high = bounds.get("low", 0), bounds.get("high")
    if high is None or size is None:
        raise TypeError("randint(): `high` and `size` are required: randint(high, size) or randint(low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {type(size).__name__}")
    for name, bound in (("low", low), ("high", high)):
        if isinstance(bound, float) or not hasattr(bound, "__index__"):
            raise TypeError(f"randint(): argument '{name}' must be int, not {type(bound).__name__}")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    target = dtypes.to_dtype(dtype or dtypes.int64)
    data = rng(generator).integers(int(low), int(high), size=tuple(size)).astype(target)
    return _finish(data, requires_grad, device)


def _too_many(name: str):
    raise TypeError(f"randint() got multiple values for argument {name!r}")


def randperm(n: int, generator=None, dtype=None, device=None) -> Tensor:
    return _finish(rng(generator).permutation(n).astype(dtypes.to_dtype(dtype or dtypes.int64)), False, device)


def _like(fn, x: Tensor, dtype, device, requires_grad, *args) -> Tensor:
    return fn(*args, x.shape, dtype=dtype or x.dtype, device=device, requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(zeros, x, dtype, device, requires_grad)


def ones_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(ones, x, dtype, device, requires_grad)


def empty_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(empty, x, dtype, device, requires_grad)


def full_like(x: Tensor, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return full(x.shape, fill_value, dtype=dtype or x.dtype, device=device, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(randn, x, dtype, device, requires_grad)


def rand_like(x: Tensor, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _like(rand, x, dtype, device, requires_grad)


def constructor_array(args: tuple, device=None) -> np.ndarray:
    """The array of `memograd.Tensor(*args)`, with the legacy constructor's rules of PyTorch:
    `Tensor()` is empty, `Tensor(2, 3)` or `Tensor(Size([2, 3]))` uninitialized of that
    shape, `Tensor(tensor)` shares the tensor's memory and dtype, and `Tensor(data)` copies
    lists, tuples and arrays into the default float dtype (a float64 array gives float32).

    >>> memograd.Tensor(np.array([1.0, 2.0])).dtype
    dtype('float32')
    """
    if device is not None:
        _device(device)
    default = dtypes.get_default_dtype()
    if not args:
        return np.empty((0,), dtype=default)
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        return np.empty(tuple(int(a) for a in args), dtype=default)
    if len(args) == 1:
        (data,) = args
        if isinstance(data, Size):
            return np.empty(tuple(data), dtype=default)
        if isinstance(data, Tensor):
            return data._data
        if isinstance(data, (list, tuple, np.ndarray)):
            return np.array(data, dtype=default)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__module__.replace('builtins', '')}"
                        f"{'.' if type(data).__module__ != 'builtins' else ''}{type(data).__name__})")
    kinds = ", ".join(type(a).__name__ for a in args)
    raise TypeError(f"Tensor(): got ({kinds}); expected Tensor(), Tensor(*sizes), Tensor(size), "
                    "Tensor(tensor) or Tensor(data)")
