"""In-place updates: `+= -= *= /=` and the methods ending in `_`."""
from __future__ import annotations

import numpy as np

from .. import inplace
from ..autograd import function
from ..ops import unary


class InplaceMethods:
    __slots__ = ()

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def add_(self, other, alpha=1):
        return inplace.update(self, np.add, other if alpha == 1 else _scaled(other, alpha), "add_")

    def sub_(self, other, alpha=1):
        return inplace.update(self, np.subtract, other if alpha == 1 else _scaled(other, alpha), "sub_")

    def mul_(self, other):
        return inplace.update(self, np.multiply, other, "mul_")

    def div_(self, other):
        return inplace.update(self, np.true_divide, other, "div_")

    def clamp_(self, min=None, max=None):
        return inplace.assign(self, unary.clamp(self, min, max), "clamp_")

    def copy_(self, src):
        return inplace.assign(self, src, "copy_")

    def fill_(self, value):
        return inplace.assign(self, value, "fill_")

    def zero_(self):
        return self.fill_(0)


def _scaled(other, alpha):
    return other._data * alpha if isinstance(other, function.Tensor) else other * alpha
