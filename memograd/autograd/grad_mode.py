"""Whether operations record a graph. Off inside `no_grad()` and `inference_mode()`: forward
inference then keeps no graph and no saved arrays, and optimizer updates never become part of
a graph. The switch is per thread (see `modes`)."""
from __future__ import annotations

import functools

from .modes import modes


def is_grad_enabled() -> bool:
    return modes.grad_enabled


class _Switch:
    """Sets grad mode to `mode` inside a `with` block, or around every call of a decorated function."""

    mode = True

    def __enter__(self) -> None:
        self.prev = modes.grad_enabled
        modes.grad_enabled = self.mode

    def __exit__(self, *exc) -> None:
        modes.grad_enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = modes.grad_enabled
            modes.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                modes.grad_enabled = prev

        return wrapper


class _BareDecorator(_Switch):
    def __new__(cls, func=None):
        switch = super().__new__(cls)
        # Used bare as a decorator (`@no_grad` rather than `@no_grad()`): wrap right away.
        return switch if func is None else switch(func)


class no_grad(_BareDecorator):
    """Record nothing: `with memograd.no_grad(): ...`, `@memograd.no_grad()` or `@memograd.no_grad`."""

    mode = False


class enable_grad(_BareDecorator):
    """Record again inside a `no_grad()` block."""

    mode = True


class set_grad_enabled(_Switch):
    """Turn recording on or off: as a call (effective at once), a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.prev = modes.grad_enabled
        self.mode = bool(mode)
        modes.grad_enabled = self.mode

    def __enter__(self) -> None:  # the mode is already set; `prev` is what __init__ found
        modes.grad_enabled = self.mode

    def __call__(self, fn):
        modes.grad_enabled = self.prev  # used as a decorator: the call above must not leak
        return super().__call__(fn)
