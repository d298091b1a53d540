"""Helpers of the API-surface tests (tests/test_api_surface_*.py): run one lambda under
memograd and under PyTorch and compare what comes out (values, gradients, dtypes, errors)."""
from __future__ import annotations

import numpy as np
import pytest

import memograd
from helpers import random_array


def inputs(lib, shapes, domain: str = "real", seed: int = 0, requires_grad: bool = True, dtype: str = "float64"):
    rng = np.random.default_rng(seed)
    return [lib.tensor(random_array(s, domain, rng), dtype=getattr(lib, dtype), requires_grad=requires_grad)
            for s in shapes]


def run(lib, fn, shapes, domain: str = "real", seed: int = 0):
    """fn(lib, *inputs) on float64 inputs, its value and the gradients of a random weighting."""
    xs = inputs(lib, shapes, domain, seed)
    out = fn(lib, *xs)
    if not out.requires_grad:
        return out.detach().numpy(), [None for _ in xs]
    weights = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape))
    (out * lib.tensor(weights)).sum().backward()
    return out.detach().numpy(), [None if x.grad is None else x.grad.numpy() for x in xs]


def assert_parity(fn, shapes, domain: str = "real", seed: int = 0, rtol: float = 1e-10, atol: float = 1e-12):
    """Values and gradients of fn agree between memograd and PyTorch."""
    torch = pytest.importorskip("torch")
    ours, our_grads = run(memograd, fn, shapes, domain, seed)
    theirs, their_grads = run(torch, fn, shapes, domain, seed)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)
    for mine, reference in zip(our_grads, their_grads):
        if reference is None:
            assert mine is None or not np.any(mine)
        else:
            np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol)


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def assert_same(make, rtol: float = 1e-6, atol: float = 1e-7):
    """make(lib) gives the same values, shape and dtype under both libraries (tensors, or
    tuples / lists of them)."""
    torch = pytest.importorskip("torch")
    ours, theirs = make(memograd), make(torch)
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same_tensor(a, b, rtol, atol)
    else:
        _same_tensor(ours, theirs, rtol, atol)


def _same_tensor(a, b, rtol, atol):
    if not hasattr(b, "dtype"):
        assert a == b
        return
    assert dtype_name(a.dtype) == dtype_name(b.dtype), (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                               rtol=rtol, atol=atol)


def assert_both_raise(make, ours: type, theirs: type | None = None, match: str | None = None):
    """make(lib) raises under both: `ours` under memograd (and `theirs`, default the same, under PyTorch)."""
    torch = pytest.importorskip("torch")
    with pytest.raises(theirs or ours):
        make(torch)
    with pytest.raises(ours, match=match):
        make(memograd)
