"""GELU (the exact, erf form) as one fused op: x Phi(x), Phi the standard normal CDF.

What it fuses, against `activation.Gelu` or the composition x * 0.5 * (1 + erf(x / sqrt 2)):
- the forward keeps Phi(x), so the backward does not compute erf a second time (erf is most
  of GELU's cost);
- on float32, erf is the in-place rational function of `erf_float32` (within 4.3e-7 of the
  exact erf, 5 times faster than SciPy's); float64 keeps the exact erf;
- the backward, g (Phi(x) + x phi(x)), runs in place on one temporary;
- on float32 NumPy arrays with Numba (memograd.loops), each direction is one compiled loop (the
  backward two, around NumPy's exp) doing the NumPy passes' operations in their order: the same
  bits, several times faster.
Measured in benchmarks/RESULTS.md (W6)."""
from __future__ import annotations

import math

import numpy as np

from .. import loops
from ..autograd.function import Op
from ..backend import array_module
from ..blockwise import blockwise
from . import erf_float32
from .activation import _erf, erf
from .fused import graph_by_composition

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_cdf(x):
    """Phi(x) = (1 + erf(x / sqrt 2)) / 2, as a fresh array."""
    if x.dtype == np.float32:
        return erf_float32.normal_cdf(x)
    cdf = _erf(x * _INV_SQRT2)
    cdf += 1.0
    cdf *= 0.5
    return cdf


def composed_gelu(x):
    """The same function from ordinary ops (Erf among them): the graph rule differentiates it."""
    return x * (0.5 * (1.0 + erf(x * _INV_SQRT2)))


class FusedGelu(Op):
    """x -> x Phi(x); saves x and Phi(x)."""

    __slots__ = ()
    vjp_formula = ("g · (Φ(a) + a · φ(a))",)
    backward_flops_per_element = 7
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        if x.dtype != np.float32 or array_module(x) is not np:
            cdf = normal_cdf(x)
            out = x * cdf
        else:  # some twenty passes over x: in cache-sized slices, on every thread (blockwise.py)
            cdf, out = np.empty(x.shape, x.dtype), np.empty(x.shape, x.dtype)
            blockwise(_forward_loop if loops.available() else _forward_part, x, cdf, out)
        ctx.save_for_backward(x, cdf)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, cdf = ctx.saved
        if x.dtype != np.float32 or array_module(x) is not np:
            return _backward_part(x, cdf, grad_out, array_module(x).empty_like(x))
        result = np.empty(x.shape, x.dtype)
        blockwise(_backward_loops if loops.available() else _backward_part, x, cdf, grad_out, result)
        return result

    @staticmethod
    def graph_backward(ctx, grad_out, x, cdf=None):
        return graph_by_composition(ctx, composed_gelu, grad_out, (x,))


def _forward_part(x, cdf, out):
    erf_float32.normal_cdf(x, out=cdf)
    np.multiply(x, cdf, out=out)


def _backward_part(x, cdf, grad_out, result):
    """result = grad_out (Phi(x) + x phi(x)), phi(x) = exp(-x^2 / 2) / sqrt(2 pi), in place."""
    xp = array_module(x)
    xp.multiply(x, x, out=result)
    result *= -0.5
    xp.exp(result, out=result)
    result *= _INV_SQRT_2PI
    result *= x
    result += cdf
    result *= grad_out
    return result


# The same arithmetic as compiled loops (memograd.loops): Phi as erf_float32.normal_cdf computes it,
# Horner's rule in its order, float32 constants throughout.
_P0, _P1, _P2, _P3, _P4, _P5 = erf_float32._CDF_P32
_Q0, _Q1, _Q2, _Q3, _Q4, _Q5 = erf_float32._CDF_Q32
_LIMIT, _HALF, _ZERO, _ONE = np.float32(erf_float32._CDF_LIMIT), np.float32(0.5), np.float32(0), np.float32(1)
_MINUS_HALF, _INV_SQRT_2PI_32 = np.float32(-0.5), np.float32(_INV_SQRT_2PI)


@loops.loop
def _forward_loop(x, cdf, out):
    for i in range(x.size):
        v = x[i]
        c = -_LIMIT if v < -_LIMIT else v  # np.clip: a nan stays nan
        c = _LIMIT if c > _LIMIT else c
        s = c * c
        num = ((((s * _P5 + _P4) * s + _P3) * s + _P2) * s + _P1) * s + _P0
        den = ((((s * _Q5 + _Q4) * s + _Q3) * s + _Q2) * s + _Q1) * s + _Q0
        p = num * c / den + _HALF
        p = _ZERO if p < _ZERO else p
        p = _ONE if p > _ONE else p
        cdf[i] = p
        out[i] = v * p


@loops.loop
def _minus_half_square(x, out):
    for i in range(x.size):
        out[i] = x[i] * x[i] * _MINUS_HALF


@loops.loop
def _backward_rest(x, cdf, grad_out, e):
    """e holds exp(-x^2 / 2) and becomes grad_out (Phi(x) + x phi(x))."""
    for i in range(x.size):
        e[i] = (e[i] * _INV_SQRT_2PI_32 * x[i] + cdf[i]) * grad_out[i]


def _backward_loops(x, cdf, grad_out, result):
    _minus_half_square(x, result)
    np.exp(result, out=result)
    _backward_rest(x, cdf, grad_out, result)


def gelu(x):
    return FusedGelu.apply(x)
