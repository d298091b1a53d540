"""The pieces behind `memograd.save` / `memograd.load` (see memograd.io for the format)."""
from .atomic import atomic_write
from .errors import CheckpointError
from .safetensors_format import from_bytes, read_header, to_bytes
from .tree import flatten, unflatten

__all__ = ["CheckpointError", "atomic_write", "flatten", "from_bytes", "read_header", "to_bytes", "unflatten"]
