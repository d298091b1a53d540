"""Check backprop against central finite differences, in float64."""
from __future__ import annotations

import numpy as np


def numerical_jacobian_vjp(fn, inputs: list, weights: np.ndarray, eps: float) -> list:
    """d(sum(weights * fn(inputs)))/d(input) for each input, by central differences."""
    grads = []
    for x in inputs:
        if not getattr(x, "requires_grad", False):
            grads.append(None)
            continue
        g = np.zeros(x.shape, dtype=np.float64)
        flat = x._data.reshape(-1)  # a view: writing into it perturbs x in place
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = float((np.asarray(_data(fn(*inputs)), dtype=np.float64) * weights).sum())
            flat[i] = original - eps
            minus = float((np.asarray(_data(fn(*inputs)), dtype=np.float64) * weights).sum())
            flat[i] = original
            g.reshape(-1)[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def _data(x):
    return x._data if hasattr(x, "grad_fn") else x


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3, raise_exception: bool = True,
              seed: int = 0) -> bool:
    """True when backprop's gradients of `fn(*inputs)` match central differences.

    The inputs must be float64 tensors; those with `requires_grad=True` are checked. The
    output is reduced with fixed random weights, so every output element takes part.
    On a mismatch, raises (or returns False) with the input, the position and both values.

    >>> x = memograd.randn(3, dtype=memograd.float64, requires_grad=True)
    >>> memograd.autograd.gradcheck(lambda t: (t * t).sin(), [x])
    True
    """
    from ..autograd import grad
    from ..autograd.grad_mode import no_grad
    from ..tensor import Tensor

    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {x.dtype}; use float64 for finite differences")
    out = fn(*inputs)
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    # autograd.grad, not backward(): inputs may be non-leaf tensors, and .grad stays untouched
    wanted = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    grads = iter(grad((out * Tensor._make(weights.astype(out.dtype), None)).sum(), wanted, allow_unused=True))
    analytic = [next(grads) if isinstance(x, Tensor) and x.requires_grad else None for x in inputs]
    analytic = [None if a is None else a._data for a in analytic]
    with no_grad():
        numeric = numerical_jacobian_vjp(fn, [x for x in inputs], weights, eps)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        if n is None:
            continue
        a = np.zeros_like(n) if a is None else a
        bad = ~np.isclose(a, n, atol=atol, rtol=rtol)
        if bad.any():
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            message = (f"gradcheck: input {i} (shape {inputs[i].shape}) differs at index {where}: "
                       f"backprop {a[where]:.6g}, finite differences {n[where]:.6g} "
                       f"({int(bad.sum())} of {bad.size} entries differ)")
            if raise_exception:
                raise AssertionError(message)
            return False
    return True
