"""memograd.serialization: the allowlist of `memograd.load` (PyTorch's torch.serialization names)
and the pieces behind `memograd.save` / `memograd.load` (see memograd.io for the format).

>>> with memograd.serialization.safe_globals([MyModel, memograd.nn.Linear]):
...     model = memograd.load("model.pt")
"""
from .atomic import atomic_write
from .errors import CheckpointError, WeightsOnlyLoadError
from .safe_globals import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .safetensors_format import from_bytes, read_header, to_bytes
from .tree import flatten, unflatten


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The class names a saved file holds objects of, all of which need allowlisting to load."""
    from ..io import get_unsafe_globals_in_checkpoint as _get

    return _get(f)


__all__ = ["CheckpointError", "WeightsOnlyLoadError", "add_safe_globals", "atomic_write", "clear_safe_globals",
           "flatten", "from_bytes", "get_safe_globals", "get_unsafe_globals_in_checkpoint", "read_header",
           "safe_globals", "to_bytes", "unflatten"]
