"""Which array module holds a tensor's data. Ops ask here instead of importing NumPy
directly, so a CuPy backend can slot in by teaching `array_module` one more type."""
from __future__ import annotations

import numpy as np


def array_module(array):
    """NumPy today; the module of `array` (e.g. CuPy) once another backend is added."""
    module = type(array).__module__
    if module.startswith("cupy"):
        import cupy  # pragma: no cover - no GPU backend yet

        return cupy
    return np


class device:  # noqa: N801 - PyTorch's name
    """`memograd.device("cpu")`: only the CPU exists until a GPU backend is added."""

    __slots__ = ("type",)

    def __init__(self, spec: "str | device" = "cpu"):
        name = spec.type if isinstance(spec, device) else str(spec)
        if name.split(":")[0] != "cpu":
            raise RuntimeError(f"device {name!r} is not available: memograd runs on 'cpu' only")
        self.type = "cpu"

    def __eq__(self, other) -> bool:
        return isinstance(other, (device, str)) and device(other).type == self.type

    def __hash__(self) -> int:
        return hash(self.type)

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __str__(self) -> str:
        return self.type


CPU = device("cpu")
