"""Utilities outside the engine: `memograd.utils.data` (datasets and loaders)."""
from . import data

__all__ = ["data"]
