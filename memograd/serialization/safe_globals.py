"""The allowlist of classes that `memograd.load(weights_only=True)` may rebuild, with PyTorch's
functions: add_safe_globals, get_safe_globals, clear_safe_globals and the safe_globals context.

An entry is a class, or a (class, "module.QualName") pair for a file that names the class by
another path (a class saved from a script's __main__ and now imported from a package). The
list is process-wide, as PyTorch's is. Loading compares the names written in the file with the
names of these entries: nothing is ever imported or looked up by a file's say-so."""
from __future__ import annotations

from collections.abc import Iterable

_allowed: list = []


def _check(entries) -> list:
    if isinstance(entries, (str, bytes)) or not isinstance(entries, Iterable):
        raise TypeError(f"safe globals must be a list of classes or (class, name) pairs, got {type(entries).__name__}")
    entries = list(entries)
    for entry in entries:
        if isinstance(entry, tuple):
            if len(entry) != 2 or not isinstance(entry[1], str) or not callable(entry[0]):
                raise TypeError(f"a safe global pair must be (class, 'module.QualName'), got {entry!r}")
        elif not callable(entry):
            raise TypeError(f"safe globals must be classes, got {entry!r}")
    return entries


def add_safe_globals(safe_globals: list) -> None:
    """Allow `memograd.load` (weights_only=True) to rebuild objects of these classes.

    >>> memograd.serialization.add_safe_globals([MyModel, memograd.nn.Linear])
    """
    for entry in _check(safe_globals):
        if entry not in _allowed:
            _allowed.append(entry)


def get_safe_globals() -> list:
    """The entries added by add_safe_globals (and by open safe_globals contexts)."""
    return list(_allowed)


def clear_safe_globals() -> None:
    _allowed.clear()


def _remove_safe_globals(entries: list) -> None:
    for entry in entries:
        if entry in _allowed:
            _allowed.remove(entry)


class safe_globals:  # noqa: N801 - PyTorch's name
    """Context manager that allowlists classes for the loads inside it, then removes them.

    >>> with memograd.serialization.safe_globals([MyModel]):
    ...     model = memograd.load("model.pt")
    """

    def __init__(self, safe_globals: list):
        self.safe_globals = _check(safe_globals)
        self._added: list = []

    def __enter__(self):
        self._added = [entry for entry in self.safe_globals if entry not in _allowed]
        _allowed.extend(self._added)
        return self

    def __exit__(self, *exc_info) -> None:
        # Only what this context added: entries allowed before it stay allowed after it.
        _remove_safe_globals(self._added)


def allowed_by_name() -> dict[str, object]:
    """"module.QualName" -> class, for every allowlisted entry."""
    names = {}
    for entry in _allowed:
        if isinstance(entry, tuple):
            names[entry[1]] = entry[0]
        else:
            names[f"{getattr(entry, '__module__', '?')}.{getattr(entry, '__qualname__', '?')}"] = entry
    return names
