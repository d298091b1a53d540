"""Split a nested checkpoint into a JSON tree (structure, numbers, strings) and a flat
name -> array mapping (the tensors), and put the two back together.

Tensors are named by their path, joined with dots ("model.fc.weight", "optim.state.0.exp_avg"),
so a flat state_dict keeps its own keys; inside a saved nn.Module they are named by the
module's state_dict keys. In the JSON tree a value that is not plain JSON is a tagged object:

    {"$tensor": name}                    a Tensor ("requires_grad": true for a leaf that needs grad)
    {"$param": name, "requires_grad": b} an nn.Parameter
    {"$array": name}   a NumPy array     {"$scalar": name}   a NumPy scalar (0-d)
    {"$tuple": [...]}  a tuple           {"$set": [...]}, {"$frozenset": [...]}
    {"$float": "nan"}  a non-finite float
    {"$dict": [[key, value], ...]}       a dict whose keys are not all plain strings (ints, tuples, "$...")
    {"$dtype": "float32"}, {"$device": "cpu"}
    {"$object": "module.QualName", "$id": n, "state": {...}}   an object (see objects.py)
    {"$ref": n}                          the object with "$id" n again (shared modules, cycles)

A tensor or object that appears twice is written once and referred to again, so tied weights
stay tied. Anything else is plain JSON. Python's json keeps ints of any size exactly (RNG
states hold 128-bit ints) and writes floats with repr, so numbers round-trip bit for bit.
Files that use only the first six tags are format 1; the others need format 2."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from ..backend import device
from ..creation import from_numpy
from ..nn.parameter import Parameter
from ..tensor import Tensor
from . import objects
from .errors import CheckpointError

# The array dtypes safetensors and NumPy share (little-endian on disk).
STORABLE_KINDS = {"b1", "u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f2", "f4", "f8"}
_DTYPE_KINDS = "biufc"  # the dtypes a "$dtype" entry may name: numbers and bools
_PLAIN_KEYS = (str, int, float, type(None), np.generic, Tensor)  # what a loaded dict/set key may be


class _Flattener:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self.tensor_nodes: dict[int, dict] = {}  # id(tensor) -> the node of its first appearance
        self.object_ids: dict[int, int] = {}     # id(object) -> its "$id"
        self.alive: list = []   # holds every memoised object, so that no id is reused meanwhile
        self.open: set[int] = set()  # ids of the containers being written (one inside itself is an error)
        self.version = 1

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

    def _v2(self, node: dict) -> dict:
        self.version = 2
        return node

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
            return self._tensor(obj, path)
        if isinstance(obj, np.ndarray):
            return {"$array": self._store(obj, path)}
        if isinstance(obj, np.dtype):
            if obj.kind not in _DTYPE_KINDS:
                raise TypeError(f"save: cannot store the dtype {obj} at {describe(path)}")
            return self._v2({"$dtype": obj.name})
        if isinstance(obj, device):
            return self._v2({"$device": str(obj)})
        if isinstance(obj, (tuple, list, Mapping, set, frozenset)):
            if id(obj) in self.open:
                raise TypeError(f"save: the {type(obj).__name__} at {describe(path)} contains itself; only "
                                "objects (such as modules) may refer back to themselves")
            self.open.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self.open.discard(id(obj))
        return self._object(obj, path)

    def _container(self, obj, path: tuple):
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, path + (i,)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, path + (i,)) for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            tag = "$set" if isinstance(obj, set) else "$frozenset"
            # A set's order depends on string hashing, which changes per process: sort it, so the
            # same content always gives the same file.
            items = sorted(obj, key=lambda v: (type(v).__name__, repr(v)))
            return self._v2({tag: [self.encode(v, path + (i,)) for i, v in enumerate(items)]})
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: self.encode(v, path + (k,)) for k, v in obj.items()}
        return {"$dict": [[self.encode(k, path + ("key",)), self.encode(v, path + (k,))] for k, v in obj.items()]}

    def _tensor(self, tensor: Tensor, path: tuple) -> dict:
        if id(tensor) in self.tensor_nodes:
            return self._v2(dict(self.tensor_nodes[id(tensor)]))
        if isinstance(tensor, Parameter):
            node = self._v2({"$param": self._store(tensor._data, path), "requires_grad": tensor.requires_grad})
        else:
            node = {"$tensor": self._store(tensor._data, path)}
            if tensor.requires_grad and tensor.grad_fn is None:  # a hand-made leaf parameter
                node = self._v2({**node, "requires_grad": True})
        self.tensor_nodes[id(tensor)] = node
        self.alive.append(tensor)
        return node

    def _object(self, obj, path: tuple) -> dict:
        if id(obj) in self.object_ids:
            return {"$ref": self.object_ids[id(obj)]}
        name = objects.class_name_for_saving(obj, describe(path))
        number = self.object_ids[id(obj)] = len(self.object_ids)
        self.alive.append(obj)
        state = {}
        for attr, value in objects.saved_attributes(obj, describe(path)).items():
            # A module's parameters, buffers and children are named by their state_dict keys.
            state[attr] = self.encode(value, path if objects.is_registry(obj, attr) else path + (attr,))
        return self._v2({"$object": name, "$id": number, "state": state})


def describe(path: tuple) -> str:
    return "obj" + "".join(f"[{p!r}]" for p in path)


def flatten(obj) -> tuple[object, dict[str, np.ndarray], int]:
    """The JSON-ready tree of `obj`, its arrays by name and the format version the tree needs."""
    flattener = _Flattener()
    tree = flattener.encode(obj)
    return tree, flattener.arrays, flattener.version


def class_names(tree) -> set:
    """The class names of every "$object" in `tree` (walked without recursion)."""
    names, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if "$object" in node:  # a name that is not a string is refused by its repr
                name = node["$object"]
                names.add(name if isinstance(name, str) else repr(name))
            stack.extend(node.values())
    return names


class _Unflattener:
    def __init__(self, arrays: Mapping[str, np.ndarray], where: str, classes: dict, make_tensor: Callable):
        self.arrays, self.where, self.classes, self.make_tensor = arrays, where, classes, make_tensor
        self.tensors: dict[str, Tensor] = {}  # by array name: a tensor written twice comes back once
        self.objects: dict[int, object] = {}

    def fail(self, message: str):
        return CheckpointError(f"{self.where}: {message}")

    def array(self, name) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise self.fail(f"the checkpoint refers to tensor {name!r}, which the file does not hold")
        return self.arrays[name]

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        tag = next((k for k in node if k.startswith("$")), None)
        if tag is None:
            return {k: self.decode(v) for k, v in node.items()}
        if "$object" in node:
            return self._object(node)
        value = node[tag]
        if tag in ("$tensor", "$param"):
            return self._tensor(value, node.get("requires_grad", tag == "$param"), tag == "$param")
        if tag == "$array":
            return self.array(value)
        if tag == "$scalar":
            return self.array(value)[()]
        if tag == "$tuple":
            return tuple(self.decode(v) for v in value)
        if tag == "$float":
            return float(value)
        if tag == "$dict":
            return {self._key(k): self.decode(v) for k, v in value}
        if tag in ("$set", "$frozenset"):
            items = [self._key(v) for v in value]
            return set(items) if tag == "$set" else frozenset(items)
        if tag == "$dtype":
            dtype = np.dtype(value) if isinstance(value, str) else None
            if dtype is None or dtype.kind not in _DTYPE_KINDS:
                raise self.fail(f"{value!r} is not a dtype memograd stores")
            return dtype
        if tag == "$device":
            return device(value)
        if tag == "$ref":
            if value not in self.objects:
                raise self.fail(f"the checkpoint refers to object {value!r} before defining it")
            return self.objects[value]
        raise self.fail(f"unknown entry {tag!r} in the checkpoint structure")

    def _key(self, node):
        """A dict key or set item: only values whose hashing runs no code the file chose."""
        key = self.decode(node)
        if not _plain_key(key):
            raise self.fail(f"a dict key or set item is a {type(key).__name__}; keys may be numbers, strings, "
                            "None, tensors or tuples of them")
        return key

    def _tensor(self, name, requires_grad, param: bool) -> Tensor:
        if name in self.tensors:
            return self.tensors[name]
        if not isinstance(requires_grad, bool):
            raise self.fail(f"tensor {name!r} has requires_grad={requires_grad!r}")
        tensor = self.make_tensor(self.array(name))
        if param:
            tensor = Parameter(tensor, requires_grad=requires_grad)
        elif requires_grad:
            tensor.requires_grad_(True)
        self.tensors[name] = tensor
        return tensor

    def _object(self, node: dict):
        name, number = node["$object"], node.get("$id")
        if not isinstance(number, int) or isinstance(number, bool) or number in self.objects:
            raise self.fail(f"the {name} object has a missing or repeated $id {number!r}")
        cls = self.classes[name]
        obj = object.__new__(cls)
        self.objects[number] = obj  # before its attributes: they may refer back to it
        objects.restore(obj, cls, self.decode(node.get("state")), self.where, name)
        return obj


def _plain_key(key) -> bool:
    # type(...), not isinstance: isinstance may ask an object for __class__, running its class's code.
    if type(key) is tuple:
        return all(_plain_key(k) for k in key)
    return issubclass(type(key), _PLAIN_KEYS)


def unflatten(tree, arrays: Mapping[str, np.ndarray], where: str, classes: dict | None = None,
              make_tensor: Callable = from_numpy):
    """Rebuild the object `flatten` took apart; `where` (the file) goes into error messages.

    `classes` maps each "$object" name to the class allowed to be rebuilt (objects.resolve_classes);
    `make_tensor` turns a loaded array into a tensor (map_location)."""
    try:
        return _Unflattener(arrays, where, classes or {}, make_tensor).decode(tree)
    except CheckpointError:
        raise
    except (TypeError, ValueError, KeyError, RuntimeError, RecursionError) as err:
        raise CheckpointError(f"{where}: the checkpoint structure (memograd.tree) is malformed: "
                              f"{type(err).__name__}: {err}") from None
