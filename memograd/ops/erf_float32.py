"""erf for float32 arrays as one rational function, evaluated in place: about 20 passes of
plain NumPy arithmetic, 4-6 times faster than SciPy's erf (which works element by element in
double precision: 40 ms against 8 ms for 2**20 elements here), and what GELU spends most
of its time on.

    erf(x) = z P(z^2) / Q(z^2),   z = clip(x, -4, 4)

P (degree 5) and Q (degree 5, Q(0) = 1) were fitted to erf on [0, 4] by iterated weighted
least squares (Sanathanan-Koerner) on relative error; beyond |x| = 4, erf(x) rounds to +-1
in float32. Largest error against the exact erf, evaluated in float32: 4.3e-7 absolute,
near |x| = 2.5 (a few units in the last place of values close to 1); relative error near 0
is ~1e-7; the result is clipped to [-1, 1]. float64 inputs keep the exact erf (see activation.py)."""
from __future__ import annotations

import numpy as np

# Coefficients of P and Q in increasing powers of t = z^2.
_P = (1.128379162360394, 0.18939786650807586, 0.052599245504585015, 0.0037195517884149494,
      0.00028329813637894413, 2.0491986902904102e-06)
_Q = (1.0, 0.5011824611451228, 0.11367789830987465, 0.01487541115110737, 0.0011504825448687452,
      3.800337635199297e-05)
_P32 = tuple(np.float32(c) for c in _P)
_Q32 = tuple(np.float32(c) for c in _Q)


def _horner(t, coefficients):
    """sum(c_k t^k) as a fresh array, by Horner's rule in place."""
    acc = t * coefficients[-1]
    for c in coefficients[-2:0:-1]:
        acc += c
        acc *= t
    acc += coefficients[0]
    return acc


def erf(x, out=None):
    """erf of a float32 array (a new array, or written into `out`)."""
    z = np.clip(x, -4.0, 4.0, out=out)
    t = z * z
    num = _horner(t, _P32)
    den = _horner(t, _Q32)
    z *= num
    z /= den
    return np.clip(z, -1.0, 1.0, out=z)  # the fit overshoots 1 by up to 2e-7 near |x| = 3.5


# Phi(x) = (1 + erf(x / sqrt 2)) / 2 = 1/2 + x P(x^2 / 2) / (2 sqrt 2 Q(x^2 / 2)): the same fit
# with the scalings folded into the coefficients (c_k / 2^k, and 1 / (2 sqrt 2) into P), so
# that GELU's forward spends four passes fewer.
_CDF_P32 = tuple(np.float32(c / 2 ** k / (2 * np.sqrt(2))) for k, c in enumerate(_P))
_CDF_Q32 = tuple(np.float32(c / 2 ** k) for k, c in enumerate(_Q))
_CDF_LIMIT = float(4 * np.sqrt(2))


def normal_cdf(x, out=None):
    """Phi(x), the standard normal CDF, of a float32 array (a new array, or written into `out`)."""
    xc = np.clip(x, -_CDF_LIMIT, _CDF_LIMIT)
    s = xc * xc
    num = _horner(s, _CDF_P32)
    den = _horner(s, _CDF_Q32)
    num *= xc
    num /= den
    num += 0.5
    return np.clip(num, 0.0, 1.0, out=num if out is None else out)
