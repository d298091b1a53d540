"""`inference_mode`: PyTorch's faster `no_grad` for code that will never need gradients.

memograd builds it on grad mode (as `no_grad` does): inside `inference_mode()` nothing is
recorded; `inference_mode(False)` records again, as PyTorch's does. PyTorch additionally
marks the tensors made inside as inference tensors that may never join a graph later;
memograd does not (they are ordinary tensors without history, as under `no_grad`)."""
from __future__ import annotations

import functools

from .modes import modes


class inference_mode:  # noqa: N801 - PyTorch's name
    """`with memograd.inference_mode(): ...`, `@memograd.inference_mode()` or
    `@memograd.inference_mode` (without parentheses). Per thread, as grad mode."""

    def __new__(cls, mode=True):
        switch = super().__new__(cls)
        if callable(mode):  # used bare as a decorator: `mode` is the function
            switch.mode = True
            return switch(mode)
        return switch

    def __init__(self, mode: bool = True):
        if not callable(mode):
            self.mode = bool(mode)

    def __enter__(self) -> None:
        self._previous = (modes.inference, modes.grad_enabled)
        modes.inference = self.mode
        modes.grad_enabled = not self.mode  # inference_mode(False) records again, as PyTorch's

    def __exit__(self, *exc) -> None:
        modes.inference, modes.grad_enabled = self._previous

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper

    def clone(self) -> "inference_mode":
        return type(self)(self.mode)


def is_inference_mode_enabled() -> bool:
    return modes.inference
