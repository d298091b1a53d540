"""`Variable`: PyTorch merged Variable into Tensor in 0.4. `Variable(t)` now gives a tensor
sharing t's memory without its history (as `t.detach()`), made to require grad when asked;
every tensor is an instance of Variable."""
from __future__ import annotations


class _VariableMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        from ..tensor import Tensor

        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """`Variable(tensor, requires_grad=False)`: see the module docstring."""

    def __new__(cls, data=None, requires_grad: bool = False, volatile: bool = False):
        from ..creation import empty
        from ..tensor import Tensor

        if data is None:
            return empty(0, requires_grad=requires_grad)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        tensor = data.detach()
        if requires_grad:
            tensor.requires_grad_(True)
        return tensor
