"""Result dtypes of binary ops, as PyTorch 2.13 computes them: 0-dim tensors and Python
numbers do not promote within a category (a float64 scalar plus a float32 tensor is float32)."""
from __future__ import annotations

import numpy as np

from .. import dtypes


def promote(out, a, b):
    """`out` (NumPy's result of a binary op on a and b) in PyTorch's result dtype
    (`result_type`), where NumPy's differs: float32 * int64 stays float32, int64 * 2.5 and
    int64 / 2 give the default float, and a 0-dim float64 tensor does not make a float32
    tensor float64."""
    dtype = out.dtype
    a_dtype, b_dtype = getattr(a, "dtype", None), getattr(b, "dtype", None)
    # The common cases first (same dtype, or a Python scalar), by identity: dtypes are singletons.
    if (a_dtype is dtype or a_dtype is None) and (b_dtype is dtype or b_dtype is None):
        return out
    target = result_type(a, b)
    if target is None:  # an operand outside the rule (complex, object): keep NumPy's answer
        return out
    if dtype.kind == "f" and target.kind != "f":  # true division (or a negative power) of integers
        target = dtypes.get_default_dtype()
    return out if dtype == target else out.astype(target)


# PyTorch's categories: an operand of a higher category wins over any of a lower one.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_type(a, b):
    """PyTorch's result dtype of a binary op on a and b (arrays, NumPy scalars or Python
    numbers), or None for operands it does not cover (complex, strings).

    Operands rank by kind: tensors with dimensions, then 0-dim tensors, then scalars (Python
    and NumPy numbers; a float scalar counts as the default float). A lower rank changes the
    dtype only when its category (bool < integer < float) is higher: float32 + a 0-dim float64
    is float32, int64 + a 0-dim float64 is float64, int32 + 5 is int32."""
    ranks: list = [None, None, None]  # with dimensions, 0-dim, scalars
    for x in (a, b):
        if isinstance(x, np.ndarray):
            rank, dtype = (0 if x.ndim else 1), x.dtype
        else:
            rank, dtype = 2, _scalar_dtype(x)
        if dtype is None or dtype.kind not in _CATEGORY:
            return None
        ranks[rank] = dtype if ranks[rank] is None else _promote_types(ranks[rank], dtype)
    return _combine(ranks[0], _combine(ranks[1], ranks[2]))


def can_cast(source: np.dtype, target: np.dtype) -> bool:
    """Whether an in-place op may write a `source` result into a `target` tensor (PyTorch's
    canCast): never to a lower category (a float into an integer, an integer into a bool)."""
    return _CATEGORY.get(source.kind, 3) <= _CATEGORY.get(target.kind, 3)


def _scalar_dtype(x):
    kind = np.asarray(x).dtype.kind if isinstance(x, (bool, int, float, np.generic)) else None
    if kind == "b":
        return dtypes.bool_
    if kind in ("i", "u"):
        return dtypes.int64
    if kind == "f":
        return dtypes.get_default_dtype()
    return None


def _promote_types(x: np.dtype, y: np.dtype) -> np.dtype:
    """Two dtypes of any rank combined: within a category as NumPy does; across categories
    the higher one (NumPy would make int64 + float32 float64, PyTorch float32)."""
    cx, cy = _CATEGORY[x.kind], _CATEGORY[y.kind]
    if cx == cy:
        return np.promote_types(x, y)
    return x if cx > cy else y


def _combine(higher, lower):
    """The dtype of a higher-ranked group after meeting a lower-ranked one."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[higher.kind] >= _CATEGORY[lower.kind]:
        return higher if higher.kind != "b" or lower is None else _promote_types(higher, lower)
    return _promote_types(higher, lower)
