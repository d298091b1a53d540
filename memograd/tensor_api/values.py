"""What a tensor holds and how Python and NumPy read it: shape, dtype, device,
`numpy() item() tolist()`, conversions to Python numbers, and the printed form."""
from __future__ import annotations

import numpy as np

from ..autograd import function
from ..autograd.compile_hooks import not_replayable
from ..backend import CPU, device
from ..size import Size
from . import printing


class ValueMethods:
    __slots__ = ()

    @property
    def shape(self) -> Size:
        return _size(Size, self._data.shape)  # NumPy's shape holds ints: no checks needed

    def size(self, dim: int | None = None):
        return _size(Size, self._data.shape) if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    is_xpu = is_mps = is_meta = is_sparse = is_quantized = is_cuda

    @property
    def is_cpu(self) -> bool:
        return True

    def get_device(self) -> int:
        return -1  # PyTorch's answer for a CPU tensor

    def numpy(self) -> np.ndarray:
        not_replayable("numpy()")
        if self._requires_grad:
            raise RuntimeError("numpy(): the tensor requires grad; call tensor.detach().numpy() instead")
        return self._data

    def item(self):
        not_replayable("item()")
        if self._data.size != 1:
            raise RuntimeError(f"item(): a tensor with {self._data.size} elements cannot be converted to a scalar")
        return self._data.item()

    def tolist(self):
        not_replayable("tolist()")
        return self._data.tolist()

    def __array__(self, dtype=None, copy=None):
        not_replayable("numpy.asarray()")
        return np.asarray(self._data, dtype=dtype) if copy is not True else np.array(self._data, dtype=dtype)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> bool:
        not_replayable("bool()")
        if self._data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self._data.size} elements is ambiguous")
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        not_replayable("an index")
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return printing.tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        """`f"{loss:.4f}"` formats a 0-d tensor as its number; other tensors take no format
        spec (as in PyTorch, where `f"{t:.2f}"` of a 1-element 1-d tensor raises too)."""
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)


_size = tuple.__new__


def _make(array, grad_fn=None):
    return function.Tensor._make(array, grad_fn)


def _data(x):
    return x._data if isinstance(x, function.Tensor) else x
