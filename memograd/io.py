"""memograd.save / memograd.load: state_dicts and checkpoints as safetensors files.

Format. Every tensor or array in the object is a safetensors tensor named by its path
("fc.weight", "model.fc.weight", "optimizer.state.0.momentum_buffer"); everything else, the
nesting, numbers, strings, None, bools, is JSON in the header's `__metadata__` under
"memograd.tree". So:

* a flat state_dict file is an ordinary safetensors file with the same keys:
  `safetensors.torch.load_file(path)` gives PyTorch tensors for `load_state_dict`;
* a file written by `safetensors.torch.save_file(model.state_dict(), path)` loads here as a
  dict of memograd Tensors (sorted by key);
* loading never runs code (no pickle): the file holds only arrays and JSON.

What comes back. Tensors come back as memograd Tensors with the same dtype and values, detached
(requires_grad=False). NumPy arrays come back as NumPy arrays, NumPy scalars as NumPy scalars,
tuples as tuples, dicts as plain dicts in their original order (OrderedDict -> dict), and dict
keys keep their type (ints, tuples). A tensor shared by two entries is stored twice and comes
back as two tensors. Ints of any size survive exactly (JSON integers), so NumPy bit-generator
states such as `memograd.get_rng_state()` round-trip; floats round-trip bit for bit, nan and
infinities included. Complex and object arrays cannot be stored.

Writes are atomic: a temporary file in the same directory is written, fsynced and renamed over
the target, so a crash leaves either the old file or the new one.
"""
from __future__ import annotations

import json
import os
from typing import Any, BinaryIO

from .creation import from_numpy
from .serialization import CheckpointError, atomic_write, flatten, from_bytes, to_bytes, unflatten

TREE_KEY = "memograd.tree"
FORMAT_KEY = "memograd.format"
FORMAT_VERSION = "1"

__all__ = ["CheckpointError", "load", "save"]


def save(obj: Any, path: str | os.PathLike | BinaryIO) -> None:
    """Save a state_dict or nested checkpoint to `path` (a file name or a binary file object).

    >>> memograd.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
    """
    tree, arrays = flatten(obj)
    # "format": "pt" tells safetensors-aware tools (e.g. Hugging Face loaders) the tensors are a torch-style state_dict.
    metadata = {"format": "pt", FORMAT_KEY: FORMAT_VERSION, TREE_KEY: json.dumps(tree, allow_nan=False)}
    data = to_bytes(arrays, metadata)
    if hasattr(path, "write"):
        path.write(data)
    else:
        atomic_write(path, data)


def load(path: str | os.PathLike | BinaryIO) -> Any:
    """Load what `save` wrote (or any safetensors file, as a dict of tensors).

    >>> checkpoint = memograd.load("ckpt.safetensors"); model.load_state_dict(checkpoint["model"])
    """
    if hasattr(path, "read"):
        raw, where = path.read(), getattr(path, "name", "<file object>")
    else:
        where = os.fspath(path)
        try:
            with open(where, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"load: no such file: {where}") from None
        except IsADirectoryError:
            raise IsADirectoryError(f"load: {where} is a directory, not a checkpoint file") from None
    arrays, metadata = from_bytes(raw, where)
    if TREE_KEY not in metadata:
        return {name: from_numpy(arrays[name]) for name in sorted(arrays)}
    if metadata.get(FORMAT_KEY, FORMAT_VERSION) != FORMAT_VERSION:
        raise CheckpointError(f"{where}: written in memograd checkpoint format {metadata[FORMAT_KEY]!r}; "
                              f"this version reads format {FORMAT_VERSION!r}")
    try:
        tree = json.loads(metadata[TREE_KEY])
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{where}: its {TREE_KEY!r} metadata is not valid JSON ({err})") from None
    return unflatten(tree, arrays, where)
