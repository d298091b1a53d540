"""Conversions to another dtype or device, and copies."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import dtypes
from ..autograd import function
from ..backend import device
from ..ops import convert

if TYPE_CHECKING:
    from ..tensor import Tensor


class ConversionMethods:
    __slots__ = ()

    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(other_tensor)` or `to(device, dtype)`."""
        target = kwargs.get("dtype")
        for arg in list(args) + [kwargs.get("device")]:
            if isinstance(arg, function.Tensor):
                target = arg.dtype
            elif isinstance(arg, device) or (isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps")):
                device(arg)  # raises for anything but the CPU
            elif arg is not None:
                target = dtypes.to_dtype(arg)
        if target is None or target == self.dtype:
            return self
        return convert.Cast.apply(self, dtype=target)

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.to(dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    def clone(self, *, memory_format=None) -> Tensor:
        return convert.Clone.apply(self)

    # ---- new tensors like this one (its dtype unless another is given) ---------------------

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from ..creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from ..creation import zeros

        return zeros(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from ..creation import ones

        return ones(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from ..creation import empty

        return empty(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        from ..creation import full

        return full(size, fill_value, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
