"""dtypes: memograd's dtype objects are NumPy's, so `t.dtype == memograd.float32` and
`t.numpy().dtype` agree, and no translation table stands between a tensor and its array."""
from __future__ import annotations

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
float16 = np.dtype("float16")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

# bfloat16 is float32 in memograd: NumPy has no bfloat16 (ml_dtypes' is a "V"-kind dtype
# that NumPy's float code paths do not treat as a float), so tensors asked for in bfloat16
# are stored and computed in float32: more precise than PyTorch's, twice the memory, and
# `t.dtype` reports float32 (docs/compat.md).
bfloat16 = float32

# PyTorch's aliases.
float = float32  # noqa: A001 - the name is PyTorch's
double = float64
half = float16
long = int64
int = int32  # noqa: A001

_default_float = float32


def get_default_dtype() -> np.dtype:
    """The dtype that Python floats and `randn`/`zeros`-style creators produce."""
    return _default_float


def set_default_dtype(dtype) -> None:
    """Set the default float dtype (float32 or float64), as `torch.set_default_dtype`."""
    global _default_float
    dtype = to_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are allowed, got {dtype}")
    _default_float = dtype


def to_dtype(dtype) -> np.dtype:
    """Accept a memograd/NumPy dtype, a NumPy scalar type or a name like 'float32'."""
    if dtype is None:
        return _default_float
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def infer_dtype(data) -> np.dtype:
    """The dtype `memograd.tensor(data)` gives when no dtype is asked for, as PyTorch does:
    Python floats become the default float, ints int64, bools bool; arrays keep theirs."""
    if isinstance(data, np.ndarray) or hasattr(data, "__array_interface__"):
        return np.asarray(data).dtype
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        return _default_float
    if arr.dtype.kind in "iu":
        return int64
    return arr.dtype
