"""In-place updates: `+= -= *= /=` and the methods ending in `_` (see memograd/inplace.py for
what they do to memory, versions and history)."""
from __future__ import annotations

import numpy as np

from .. import inplace
from ..ops import activation, arith, convert, unary
from ..random import rng


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
        return inplace.update(self, np.add, other if alpha == 1 else other * alpha, "add_")

    def sub_(self, other, alpha=1):
        return inplace.update(self, np.subtract, other if alpha == 1 else other * alpha, "sub_")

    def mul_(self, other):
        return inplace.update(self, np.multiply, other, "mul_")

    def div_(self, other):
        return inplace.update(self, np.true_divide, other, "div_")

    def pow_(self, exponent):
        return inplace.apply(self, arith.Pow, (exponent,), "pow_")

    def neg_(self):
        return inplace.update(self, np.multiply, -1, "neg_")

    def clamp_(self, min=None, max=None):
        return inplace.apply(self, unary.Clamp, (), "clamp_", min=min, max=max)

    clip_ = clamp_

    def clamp_min_(self, min):
        return self.clamp_(min=min)

    def clamp_max_(self, max):
        return self.clamp_(max=max)

    def relu_(self):
        return inplace.apply(self, unary.Relu, (), "relu_", into_input=True)

    def leaky_relu_(self, negative_slope: float = 0.01):
        return inplace.apply(self, activation.LeakyRelu, (), "leaky_relu_", negative_slope=negative_slope)

    def sigmoid_(self):
        return inplace.apply(self, unary.Sigmoid, (), "sigmoid_")

    def tanh_(self):
        return inplace.apply(self, unary.Tanh, (), "tanh_")

    def exp_(self):
        return inplace.apply(self, unary.Exp, (), "exp_")

    def log_(self):
        return inplace.apply(self, unary.Log, (), "log_")

    def sqrt_(self):
        return inplace.apply(self, unary.Sqrt, (), "sqrt_")

    def abs_(self):
        return inplace.apply(self, unary.Abs, (), "abs_")

    def copy_(self, src, non_blocking: bool = False):
        return inplace.apply(self, convert.Assign, (src,), "copy_")

    def fill_(self, value):
        return inplace.apply(self, convert.Assign, (value,), "fill_")

    def zero_(self):
        return self.fill_(0)

    def masked_fill_(self, mask, value):
        mask = mask._data if hasattr(mask, "_data") else np.asarray(mask)
        return inplace.apply(self, convert.Assign, (np.where(mask, value, self._data),), "masked_fill_")

    # ---- random fills (PyTorch's initializers: `p.data.normal_(0, 0.02)`) -------------

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        return self.copy_(rng(generator).normal(mean, std, size=self.shape))

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        return self.copy_(rng(generator).uniform(a, b, size=self.shape))

    def bernoulli_(self, p: float = 0.5, *, generator=None):
        return self.copy_(rng(generator).random(size=self.shape) < p)

    def exponential_(self, lambd: float = 1.0, *, generator=None):
        return self.copy_(rng(generator).exponential(1.0 / lambd, size=self.shape))

    def random_(self, low: int = 0, high: int | None = None, *, generator=None):
        if high is None:
            low, high = 0, low if low else 2 ** 24
        return self.copy_(rng(generator).integers(low, high, size=self.shape))
