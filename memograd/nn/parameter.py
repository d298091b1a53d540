"""Parameter: a tensor that a Module registers as learnable when assigned as an attribute."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is found by `Module.parameters()`.

    >>> w = memograd.nn.Parameter(memograd.zeros(2))
    >>> w.requires_grad
    True
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty((0,), dtype=np.float32)
        super().__init__(_as_tensor(data), requires_grad=requires_grad)  # a Tensor keeps its dtype

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (Parameter, (self._data, self.requires_grad))


class Buffer(Tensor):
    """A tensor a Module registers as a (persistent by default) buffer when assigned, as `torch.nn.Buffer`."""

    def __init__(self, data, persistent: bool = True):
        super().__init__(_as_tensor(data))
        self.persistent = persistent


def _as_tensor(data) -> Tensor:
    """`data` as a tensor with its own dtype (an array's dtype is kept, unlike `Tensor(array)`,
    which gives the default float as PyTorch's legacy constructor does)."""
    return data if isinstance(data, Tensor) else Tensor._make(np.asarray(data), None)
