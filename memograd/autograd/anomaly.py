"""Anomaly detection: stop at the first NaN or Inf, in the forward pass *and* the backward
pass, naming the op, the shapes and the line of user code that created that op.

Off by default, and then free: the hot paths read one flag. Per thread, as in PyTorch. On, every op output and every
gradient is checked, and each node remembers where in the user's code it was made."""
from __future__ import annotations

import os
import traceback
import weakref

import numpy as np

from .modes import modes

_origins: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class AnomalyError(RuntimeError):
    """A NaN or Inf appeared; the message says where."""


class detect_anomaly:
    """`with memograd.autograd.detect_anomaly(): ...` checks forward outputs and backward
    gradients for NaN/Inf and raises AnomalyError at the first one."""

    def __init__(self, check_nan: bool = True):
        self.mode = bool(check_nan)

    def __enter__(self) -> None:
        self.prev = modes.anomaly
        modes.anomaly = self.mode

    def __exit__(self, *exc) -> None:
        modes.anomaly = self.prev


def set_detect_anomaly(mode: bool) -> None:
    modes.anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    return modes.anomaly


def user_frame() -> str:
    """`file:line in function: code` of the innermost caller outside memograd itself."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {(frame.line or '').strip()}"
    return "<inside memograd>"


def remember_origin(node) -> None:
    _origins[node] = user_frame()


def origin(node) -> str:
    return _origins.get(node, "<unknown: the op was recorded outside detect_anomaly()>")


def _bad(array) -> int:
    """How many elements of `array` are NaN or Inf (0 for non-float arrays)."""
    data = array._data if hasattr(array, "grad_fn") else array  # a Tensor's array, or the array
    if not hasattr(data, "dtype") or data.dtype.kind not in "fc":
        return 0
    return int(data.size - np.count_nonzero(np.isfinite(data)))


def _shapes(values) -> str:
    return ", ".join(str(tuple(getattr(v, "shape", ()))) for v in values if hasattr(v, "shape"))


def check_forward(op_name: str, out, args) -> None:
    count = _bad(out)
    if count:
        raise AnomalyError(
            f"forward: {op_name} produced {count} NaN/Inf value(s) in its output of shape {tuple(out.shape)} "
            f"(inputs: {_shapes(args)}), at {user_frame()}"
        )


def check_backward(node, grad, grads_in) -> None:
    for i, g in enumerate(grads_in):
        if g is not None and _bad(g):
            raise AnomalyError(
                f"backward: {node.name} returned NaN/Inf in the gradient for its input {i} "
                f"(shape {tuple(g.shape)}; incoming gradient shape {tuple(grad.shape)}). "
                f"The op was created at {origin(node)}"
            )


class _Check:
    """The engine's observer while anomaly mode is on (see engine.with_thread_observers)."""

    def begins(self, *args) -> None:
        pass

    def node_ran(self, node, grad, grads_in) -> None:
        check_backward(node, grad, grads_in)

    def slot_added(self, *args) -> None:
        pass


CHECK = _Check()
