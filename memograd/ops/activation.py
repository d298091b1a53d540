"""Activations beyond the core unary ops: erf, GELU, LeakyReLU, Softplus.

Each backward uses only operators, `dual` helpers and ops that are themselves
differentiable, so `create_graph=True` works through them."""
from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from . import dual

# ---- erf ---------------------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf_array(x):
    """erf to ~1e-15, vectorised, without SciPy: the Maclaurin series for |x| < 2.5 and
    the continued fraction of erfc beyond (where the series would lose digits)."""
    xp = array_module(x)
    z = xp.asarray(x, dtype=np.float64)
    small = xp.clip(z, -2.5, 2.5)
    term = small.copy()
    total = small.copy()
    sq = small * small
    for n in range(1, 60):  # term_n = (-1)^n z^(2n+1) / n!; the series adds term_n / (2n + 1)
        term *= -sq / n
        total += term / (2 * n + 1)
    series = _TWO_OVER_SQRT_PI * total
    a = xp.maximum(xp.abs(z), 2.5)
    frac = a.copy()
    for k in range(80, 0, -1):  # erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
        frac = a + (k / 2.0) / frac
    tail = 1.0 - xp.exp(-a * a) / (math.sqrt(math.pi) * frac)
    out = xp.where(xp.abs(z) < 2.5, series, xp.sign(z) * tail)
    return out.astype(x.dtype if x.dtype.kind == "f" else np.float64, copy=False)


try:  # SciPy's erf is faster; the fallback above is used (and tested) without it.
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover
    _scipy_erf = None


def _erf(x):
    return _scipy_erf(x).astype(x.dtype, copy=False) if _scipy_erf is not None else erf_array(x)


class Erf(Op):
    __slots__ = ()
    backward_flops_per_element = 4
    vjp_formula = ("g · 2/√π · exp(−a²)",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _erf(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        return grad_out * (_TWO_OVER_SQRT_PI * dual.exp(-(x * x)))


def erf(x):
    return Erf.apply(x)


# ---- GELU --------------------------------------------------------------------------------

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(Op):
    """x * Phi(x), Phi the standard normal CDF (the exact form, PyTorch's default)."""

    __slots__ = ()
    backward_flops_per_element = 8
    vjp_formula = ("g · gelu′(a)",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * (0.5 * (1.0 + _erf(x * _INV_SQRT2)))

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        # d/dx x Phi(x) = Phi(x) + x phi(x); Phi goes through Erf, so this rule is differentiable.
        cdf = 0.5 * (1.0 + (erf(x * _INV_SQRT2) if dual.is_tensor(x) else _erf(x * _INV_SQRT2)))
        pdf = _INV_SQRT_2PI * dual.exp(-0.5 * (x * x))
        return grad_out * (cdf + x * pdf)


_TANH_C = math.sqrt(2.0 / math.pi)


def gelu(x, approximate: str = "none"):
    """GELU, exact (erf) by default; `approximate='tanh'` for the tanh formula."""
    if approximate == "none":
        return Gelu.apply(x)
    if approximate != "tanh":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    from .unary import tanh

    return 0.5 * x * (1.0 + tanh(_TANH_C * (x + 0.044715 * (x * x * x))))


# ---- LeakyReLU and Softplus --------------------------------------------------------------


class LeakyRelu(Op):
    __slots__ = ()
    backward_flops_per_element = 2
    vjp_formula = ("g · (1 if a > 0 else slope)",)

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        xp = array_module(x)
        slope = xp.where(x > 0, 1.0, negative_slope).astype(x.dtype, copy=False)
        ctx.save_for_backward(slope)  # a constant: the local derivative, 1 or the slope
        return x * slope

    @staticmethod
    def backward(ctx, grad_out):
        (slope,) = ctx.saved
        return grad_out * slope


def leaky_relu(x, negative_slope: float = 0.01):
    return LeakyRelu.apply(x, negative_slope=negative_slope)


def _sigmoid_array(z):
    return 0.5 + 0.5 * array_module(z).tanh(0.5 * z)  # no overflow for large |z|


class Softplus(Op):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""

    __slots__ = ("beta", "threshold")
    backward_flops_per_element = 4
    vjp_formula = ("g · sigmoid(a)",)
    saves_inputs = True

    @staticmethod
    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta, ctx.threshold = beta, threshold
        xp = array_module(x)
        z = x * beta
        ctx.save_for_backward(x)
        soft = (xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved
        z = x * ctx.beta
        slope = z.sigmoid() if dual.is_tensor(z) else _sigmoid_array(z)
        return dual.where(z > ctx.threshold, grad_out, grad_out * slope)


def softplus(x, beta: float = 1.0, threshold: float = 20.0):
    return Softplus.apply(x, beta=beta, threshold=threshold)
