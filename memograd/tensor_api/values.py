"""What a tensor holds and how Python and NumPy read it: shape, dtype, device,
`numpy() item() tolist()`, conversions to Python numbers, and the printed form."""
from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd import function
from ..autograd.compile_hooks import not_replayable
from ..backend import CPU, device


class ValueMethods:
    __slots__ = ()

    @property
    def shape(self) -> tuple:
        return self._data.shape

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

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
        body = np.array2string(self._data, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3, precision=4)
        extras = []
        default = {dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_}
        if self.dtype not in default:
            extras.append(f"dtype=memograd.{self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"


def _make(array, grad_fn=None):
    return function.Tensor._make(array, grad_fn)


def _data(x):
    return x._data if isinstance(x, function.Tensor) else x
