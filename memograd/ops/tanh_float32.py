"""tanh and the logistic sigmoid for float32 as one rational function, for the LSTM layer's
gates: a compiled loop evaluates it in vector lanes together with the rest of a step's gate
arithmetic (one pass; NumPy's exp and tanh are separate passes over separate calls, and the
three of them with the loops around cost 40 us of a 150 us step, against 14 for the one loop;
benchmarks/RESULTS.md, W7). These NumPy versions are the reference the loop is tested against.

    tanh(x) = z P(z^2) / Q(z^2),   z = clip(x, -9, 9),   then clipped to [-1, 1]
    sigmoid(x) = 1/2 + tanh(x / 2) / 2

P and Q (degree 4 each, Q(0) = 1) were fitted to tanh on [0, 9] by iterated weighted least
squares (Sanathanan-Koerner, then Lawson's reweighting) on relative error; beyond |x| = 9,
tanh(x) rounds to +-1 in float32. Largest error against the exact tanh, evaluated in float32:
3.4e-7 absolute (near |x| = 7), relative error near 0 ~1e-7; the sigmoid's 2.0e-7 absolute
(NumPy's 1 / (1 + exp(-x)) in float32: 0.9e-7). A nan stays nan; +-inf give +-1 (0 and 1)."""
from __future__ import annotations

import numpy as np

from .erf_float32 import _horner

# Coefficients of P and Q in increasing powers of t = z^2.
_P = (0.9999999795943093, 0.13381077132290148, 0.0034956486689269126, 2.0610054689514992e-05,
      1.3355964688375197e-08)
_Q = (1.0, 0.4671439276988586, 0.02587721409626607, 0.00032857327913879327, 7.777100977998594e-07)
P32 = tuple(np.float32(c) for c in _P)
Q32 = tuple(np.float32(c) for c in _Q)
LIMIT = np.float32(9.0)
HALF = np.float32(0.5)


def tanh(x, out=None):
    """tanh of a float32 array (a new array, or written into `out`, which may be `x`)."""
    z = np.clip(x, -LIMIT, LIMIT, out=out)
    t = z * z
    num = _horner(t, P32)
    den = _horner(t, Q32)
    z *= num
    z /= den
    return np.clip(z, -1.0, 1.0, out=z)  # the fit overshoots 1 by one unit in the last place


def sigmoid(x, out=None):
    """1 / (1 + exp(-x)) of a float32 array, as 1/2 + tanh(x / 2) / 2 (`out` may be `x`)."""
    half = np.multiply(x, HALF, out=out)
    tanh(half, out=half)
    half *= HALF
    half += HALF
    return half
