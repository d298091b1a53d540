"""Split a nested checkpoint into a JSON tree (structure, numbers, strings) and a flat
name -> array mapping (the tensors), and put the two back together.

Tensors are named by their path, joined with dots ("model.fc.weight", "optim.state.0.exp_avg"),
so a flat state_dict keeps its own keys. In the JSON tree a tensor is a reference:

    {"$tensor": name}   a memograd Tensor          {"$array": name}   a NumPy array
    {"$scalar": name}   a NumPy scalar (0-d)       {"$tuple": [...]}  a tuple
    {"$float": "nan"}   a non-finite float         {"$dict": [[key, value], ...]}  a dict whose keys
                                                   are not all plain strings (ints, tuples, "$...")
Anything else is plain JSON. Python's json keeps ints of any size exactly (RNG states hold
128-bit ints) and writes floats with repr, so numbers round-trip bit for bit."""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..creation import from_numpy
from ..tensor import Tensor
from .errors import CheckpointError

# The array dtypes safetensors and NumPy share (little-endian on disk).
STORABLE_KINDS = {"b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f2", "f4", "f8"}


class _Flattener:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def _name(self, path: tuple) -> str:
        base = ".".join(str(p) for p in path) or "tensor"
        name, n = base, 1
        # "__metadata__" is the header's own key; other clashes come from keys containing dots.
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}#{n}"
        return name

    def _store(self, array: np.ndarray, path: tuple) -> str:
        array = np.asarray(array)
        if f"{array.dtype.kind}{array.dtype.itemsize}" not in STORABLE_KINDS:
            raise TypeError(f"save: cannot store dtype {array.dtype} at {describe(path)}")
        # safetensors writes raw bytes labelled little-endian: convert, and make them contiguous
        # (np.asarray with order="C" keeps 0-d arrays 0-d, unlike np.ascontiguousarray).
        array = np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")
        name = self._name(path)
        self.arrays[name] = array
        return name

    def encode(self, obj, path: tuple = ()):
        if isinstance(obj, np.generic):  # before float: np.float64 subclasses Python's float
            return {"$scalar": self._store(np.asarray(obj), path)}
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj) if math.isfinite(obj) else {"$float": repr(float(obj))}
        if isinstance(obj, Tensor):
            return {"$tensor": self._store(obj._data, path)}
        if isinstance(obj, np.ndarray):
            return {"$array": self._store(obj, path)}
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, Mapping):
            if all(isinstance(k, str) and not k.startswith("$") for k in obj):
                return {k: self.encode(v, path + (k,)) for k, v in obj.items()}
            return {"$dict": [[self.encode(k, path + ("key",)), self.encode(v, path + (k,))] for k, v in obj.items()]}
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at {describe(path)}; "
                        "checkpoints hold tensors, arrays, numbers, strings, None and lists/tuples/dicts of them")


def describe(path: tuple) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in path)


def flatten(obj) -> tuple[object, dict[str, np.ndarray]]:
    """The JSON-ready tree of `obj` and its arrays by name."""
    flattener = _Flattener()
    tree = flattener.encode(obj)
    return tree, flattener.arrays


def unflatten(tree, arrays: Mapping[str, np.ndarray], where: str):
    """Rebuild the object `flatten` took apart; `where` (the file) goes into error messages."""

    def array(name: str) -> np.ndarray:
        if name not in arrays:
            raise CheckpointError(f"{where}: the checkpoint refers to tensor {name!r}, which the file does not hold")
        return arrays[name]

    def decode(node):
        if isinstance(node, list):
            return [decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (tag, value), = node.items()
            if tag == "$tensor":
                return from_numpy(array(value))
            if tag == "$array":
                return array(value)
            if tag == "$scalar":
                return array(value)[()]
            if tag == "$tuple":
                return tuple(decode(v) for v in value)
            if tag == "$float":
                return float(value)
            if tag == "$dict":
                return {decode(k): decode(v) for k, v in value}
        return {k: decode(v) for k, v in node.items()}

    try:
        return decode(tree)
    except (TypeError, ValueError) as err:
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(f"{where}: the checkpoint structure (memograd.tree) is malformed: {err}") from None
