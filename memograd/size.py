"""`torch.Size`: a tensor's shape, a tuple of ints that prints as `torch.Size([2, 3])`."""
from __future__ import annotations

import math
import operator


class Size(tuple):
    """The type of `t.shape` and `t.size()`. A tuple in every respect (it compares equal to
    the plain tuple), with `numel()`; slicing and `+` give a Size again, as in PyTorch.

    >>> memograd.zeros(2, 3).shape
    torch.Size([2, 3])
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        # Index every entry: a float or a multi-element tensor is refused, as by PyTorch.
        try:
            return super().__new__(cls, (operator.index(n) for n in sizes))
        except TypeError:
            raise TypeError(f"torch.Size() takes an iterable of 'int', got {sizes!r}") from None

    def numel(self) -> int:
        return math.prod(self)

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, index):
        got = tuple.__getitem__(self, index)
        return Size(got) if isinstance(index, slice) else got

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(self) + tuple(other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple(other) + tuple(self))

    def __mul__(self, times):
        return Size(tuple(self) * times)

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
