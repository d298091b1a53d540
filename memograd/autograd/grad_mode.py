"""Whether operations record a graph. Off inside `no_grad()`: forward inference then keeps
no graph and no saved arrays, and optimizer updates never become part of a graph."""
from __future__ import annotations

import functools

# A one-element list so the hot path reads it without a function call.
state = [True]


def is_grad_enabled() -> bool:
    return state[0]


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Turn recording on or off: as a call, a context manager or a decorator."""

    def __init__(self, mode: bool):
        self.prev = state[0]
        self.mode = bool(mode)
        state[0] = self.mode

    def __enter__(self) -> None:
        state[0] = self.mode

    def __exit__(self, *exc) -> None:
        state[0] = self.prev

    def __call__(self, fn):
        mode = self.mode
        state[0] = self.prev  # used as a decorator: the call above must not leak

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class _Switch:
    mode = True

    def __new__(cls, func=None):
        switch = super().__new__(cls)
        # Used bare as a decorator (`@no_grad` rather than `@no_grad()`): wrap right away.
        return switch if func is None else switch(func)

    def __enter__(self) -> None:
        self.prev = state[0]
        state[0] = self.mode

    def __exit__(self, *exc) -> None:
        state[0] = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Switch):  # noqa: N801
    """Record nothing: `with memograd.no_grad(): ...`, `@memograd.no_grad()` or `@memograd.no_grad`."""

    mode = False


class enable_grad(_Switch):  # noqa: N801
    """Record again inside a `no_grad()` block."""

    mode = True
