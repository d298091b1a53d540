"""memograd.save / memograd.load: state_dicts, checkpoints and whole objects (an nn.Module)
as safetensors files, with PyTorch's signatures and its weights_only loading, and no pickle.

Format. Every tensor or array in the object is a safetensors tensor named by its path
("fc.weight", "model.fc.weight", "optimizer.state.0.momentum_buffer"); everything else, the
nesting, numbers, strings, None, bools, and the class names and attributes of whole objects,
is JSON in the header's `__metadata__` under "memograd.tree" (memograd.serialization.tree). So:

* a flat state_dict file is an ordinary safetensors file with the same keys:
  `safetensors.torch.load_file(path)` gives PyTorch tensors for `load_state_dict`
  (so does a saved whole module: its tensors are named by its state_dict keys);
* a file written by `safetensors.torch.save_file(model.state_dict(), path)` loads here as a
  dict of memograd Tensors (sorted by key);
* loading never runs code from the file: no pickle, and a saved object is rebuilt with
  `object.__new__` plus its attributes (memograd.serialization.objects). With weights_only=True
  (the default, as in PyTorch >= 2.6) only classes allowlisted with
  `memograd.serialization.add_safe_globals` / `safe_globals` are rebuilt.

What comes back. Tensors come back as memograd Tensors with the same dtype and values, without
history: Parameters as Parameters with their requires_grad, leaf tensors that required grad
still requiring it, other tensors with requires_grad=False. A tensor or object saved twice
comes back as one (tied weights stay tied). NumPy arrays come back as NumPy arrays, NumPy
scalars as NumPy scalars, tuples as tuples, sets as sets, dicts as plain dicts in their original
order (OrderedDict -> dict, except a module's own registries), and dict keys keep their type
(ints, tuples). Ints of any size survive exactly (JSON integers), so NumPy bit-generator states
such as `memograd.get_rng_state()` round-trip; floats round-trip bit for bit, nan and
infinities included. Complex and object arrays, functions, and objects of classes that define
__new__, __slots__ or __del__ cannot be stored.

Writes are atomic: a temporary file in the same directory is written, fsynced and renamed over
the target, so a crash leaves either the old file or the new one.
"""
from __future__ import annotations

import json
import os
import pickle
from typing import Any, BinaryIO

from .backend import device
from .creation import from_numpy
from .serialization import CheckpointError, atomic_write, flatten, from_bytes, to_bytes, unflatten
from .serialization.objects import resolve_classes
from .serialization.tree import class_names
from .tensor import Tensor
from .utils.safe_io import json_depth, open_regular

TREE_KEY = "memograd.tree"
FORMAT_KEY = "memograd.format"
# The structure's JSON nesting: each level is walked by recursion when loading (a saved module
# takes about four levels per level of submodules).
MAX_TREE_DEPTH = 200
FORMAT_VERSIONS = ("1", "2")  # 2 adds whole objects, Parameters, sets, dtypes and shared references

__all__ = ["CheckpointError", "load", "save"]


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module=None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save a state_dict, a nested checkpoint or a whole object (an nn.Module) to `f`
    (a file name or a binary file object). The pickle options are accepted and unused.

    >>> memograd.save({"model": model.state_dict(), "epoch": 3}, "ckpt.safetensors")
    >>> memograd.save(model, "model.pt")
    """
    _check_pickle_module(pickle_module, "save")
    tree, arrays, version = flatten(obj)
    tree_text = json.dumps(tree, allow_nan=False)
    if json_depth(tree_text) > MAX_TREE_DEPTH:  # load would refuse the file: refuse to write it
        raise ValueError(f"save: the object nests more than {MAX_TREE_DEPTH} levels deep (as JSON); "
                         "memograd.load would refuse the file")
    # "format": "pt" tells safetensors-aware tools (e.g. Hugging Face loaders) the tensors are a torch-style state_dict.
    metadata = {"format": "pt", FORMAT_KEY: str(version), TREE_KEY: tree_text}
    data = to_bytes(arrays, metadata)
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write(f, data)


def load(f: str | os.PathLike | BinaryIO, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """Load what `save` wrote (or any safetensors file, as a dict of tensors).

    weights_only (None means True, PyTorch's default) rebuilds objects only of allowlisted
    classes; weights_only=False also rebuilds classes found by name in imported modules.
    map_location may be None, "cpu", a device, a dict of locations to "cpu", or a callable
    `(tensor, "cpu") -> tensor`. mmap is accepted; the file is read into memory.

    >>> checkpoint = memograd.load("ckpt.safetensors"); model.load_state_dict(checkpoint["model"])
    >>> with memograd.serialization.safe_globals([MyModel, memograd.nn.Linear]):
    ...     model = memograd.load("model.pt")
    """
    _check_pickle_module(pickle_module, "load")
    if set(pickle_load_args) - {"encoding"}:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(set(pickle_load_args) - {'encoding'})}")
    make_tensor = _placement(map_location)
    raw, where = _read(f)
    arrays, metadata = from_bytes(raw, where)
    if TREE_KEY not in metadata:
        return {name: make_tensor(arrays[name]) for name in sorted(arrays)}
    tree = _tree(metadata, where)
    classes = resolve_classes(class_names(tree), weights_only is not False, where)
    return unflatten(tree, arrays, where, classes, make_tensor)


def get_unsafe_globals_in_checkpoint(f: str | os.PathLike | BinaryIO) -> list[str]:
    """The names of the classes whose objects the file holds (none is loadable without an allowlist)."""
    raw, where = _read(f)
    _, metadata = from_bytes(raw, where)
    return sorted(class_names(_tree(metadata, where))) if TREE_KEY in metadata else []


# ---- helpers ---------------------------------------------------------------------------------

def _read(f) -> tuple[bytes, str]:
    if hasattr(f, "read"):
        return f.read(), getattr(f, "name", "<file object>")
    where = os.fspath(f)
    if os.path.isdir(where):
        raise IsADirectoryError(f"load: {where} is a directory, not a checkpoint file")
    try:
        # A regular file only: a FIFO or a device is refused at once instead of blocking or never ending.
        with open_regular(where, "checkpoint file", CheckpointError) as file:
            return file.read(), where
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file: {where}") from None


def _tree(metadata: dict, where: str):
    if metadata.get(FORMAT_KEY, "1") not in FORMAT_VERSIONS:
        raise CheckpointError(f"{where}: written in memograd checkpoint format {metadata[FORMAT_KEY]!r}; "
                              f"this version reads formats {', '.join(map(repr, FORMAT_VERSIONS))}")
    text = metadata[TREE_KEY]
    depth = json_depth(text)
    if depth > MAX_TREE_DEPTH:
        raise CheckpointError(f"{where}: its {TREE_KEY!r} metadata nests {depth} levels deep; memograd reads at "
                              f"most {MAX_TREE_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as err:  # bad JSON, or an int of over 4300 digits
        raise CheckpointError(f"{where}: its {TREE_KEY!r} metadata is not valid JSON ({err})") from None


def _check_pickle_module(pickle_module, caller: str) -> None:
    # The standard pickle module is PyTorch's default; passing it changes nothing here.
    if pickle_module is not None and pickle_module is not pickle:
        raise NotImplementedError(f"memograd.{caller}(pickle_module={getattr(pickle_module, '__name__', pickle_module)}): "
                                  "memograd files are never pickles (torch.save's pickle_module has no counterpart)")


def _placement(map_location):
    """The function that turns each loaded array into a tensor, honouring map_location."""
    if map_location is None:
        return from_numpy
    if isinstance(map_location, (str, device)):
        device(map_location)  # raises for anything but the CPU
        return from_numpy
    if isinstance(map_location, dict):
        for target in map_location.values():
            device(target)
        return from_numpy
    if callable(map_location):
        def place(array):
            tensor = map_location(from_numpy(array), "cpu")
            if not isinstance(tensor, Tensor):
                raise TypeError(f"load: map_location returned a {type(tensor).__name__}, not a tensor")
            return tensor
        return place
    raise TypeError(f"load: map_location must be None, a device, a string, a dict or a callable, "
                    f"not {type(map_location).__name__}")
