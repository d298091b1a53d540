"""Reductions over all or some dimensions, and softmax."""
from __future__ import annotations

from ..ops import counting, cumulative, extremes, reduce, softmax, sorting


class ReductionMethods:
    __slots__ = ()

    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return reduce.sum(x, _dim(dim, axis), _keep(keepdim, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return reduce.mean(x, _dim(dim, axis), _keep(keepdim, keepdims))

    def prod(self, dim=None, keepdim=False):
        return reduce.prod(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return reduce.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return reduce.amin(self, dim, keepdim)

    def max(self, dim=None, keepdim=False):
        """max over all elements; `max(dim)` gives (values, indices); `max(tensor)` is maximum."""
        return extremes.extreme(self, dim, keepdim, "max")

    def min(self, dim=None, keepdim=False):
        return extremes.extreme(self, dim, keepdim, "min")

    def argmax(self, dim=None, keepdim=False):
        return extremes.arg_extreme(self, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False):
        return extremes.arg_extreme(self, dim, keepdim, "argmin")

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.var(self, dim, unbiased, keepdim, correction)

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return reduce.std(self, dim, unbiased, keepdim, correction)

    def logsumexp(self, dim=None, keepdim=False):
        return reduce.logsumexp(self, dim, keepdim)

    def norm(self, p="fro", dim=None, keepdim=False):
        return reduce.norm(self, p, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return counting.all(self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return counting.any(self, dim, keepdim)

    def cumsum(self, dim: int, *, dtype=None):
        return cumulative.cumsum(self, dim, dtype=dtype)

    def cumprod(self, dim: int, *, dtype=None):
        return cumulative.cumprod(self, dim, dtype=dtype)

    def diff(self, n: int = 1, dim: int = -1, prepend=None, append=None):
        return cumulative.diff(self, n, dim, prepend, append)

    sort = sorting.sort
    argsort = sorting.argsort
    msort = sorting.msort
    topk = sorting.topk
    kthvalue = sorting.kthvalue
    median = sorting.median
    histc = counting.histc
    histogram = counting.histogram
    bincount = counting.bincount

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None):
        from ..random import multinomial

        return multinomial(self, num_samples, replacement, generator=generator)

    def softmax(self, dim: int):
        return softmax.softmax(self, dim)

    def log_softmax(self, dim: int):
        return softmax.log_softmax(self, dim)


def _dim(dim, axis):
    return axis if dim is None else dim


def _keep(keepdim, keepdims):
    return keepdim if keepdims is None else keepdims
