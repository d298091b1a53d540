"""Whole objects (an nn.Module, a user's class) in a checkpoint, without pickle.

An object is written as its class's name and its attributes (`vars(obj)`), each attribute
written like any other value in the checkpoint:

    {"$object": "memograd.nn.containers.Sequential", "$id": 0, "state": {"training": true, ...}}

It is read back by `object.__new__(cls)` and an update of the new object's __dict__: no
__init__, __new__, __setstate__ or __setattr__ of the class runs, and the file cannot name a
function to call, only a class to instantiate that way. Which classes may be instantiated:

* weights_only=True (the default): only the classes allowlisted with
  `memograd.serialization.add_safe_globals` / `safe_globals`, matched by name; nothing is imported;
* weights_only=False: also any class found by its name in an already imported module (or in
  memograd itself). Nothing else is imported, so a file cannot make Python import a module
  (and run its top-level code).

Either way the name must be a class (not a function), one whose instances object.__new__ can
make, and not a tensor class (tensors have their own entries)."""
from __future__ import annotations

import importlib
import re
import sys
import types
from collections import OrderedDict

from ..nn.module import Module
from ..tensor import Tensor
from .errors import CheckpointError, WeightsOnlyLoadError
from .safe_globals import allowed_by_name

# The dicts in which a Module keeps its parameters, buffers and children. Their entries are
# named after the module's state_dict keys in the file ("fc.weight", not "fc._parameters.weight").
MODULE_REGISTRIES = ("_parameters", "_buffers", "_modules")
_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
_NOT_OBJECTS = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
                types.BuiltinMethodType, types.MethodWrapperType, types.WrapperDescriptorType)


def full_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# ---- saving ----------------------------------------------------------------------------------

def class_name_for_saving(obj, where: str) -> str:
    """The name under which `obj`'s class is written; TypeError when obj cannot be written as an object."""
    cls = type(obj)
    if isinstance(obj, _NOT_OBJECTS):
        what = "a class" if isinstance(obj, type) else "a function or other callable"
        raise TypeError(f"save: cannot store {what} ({getattr(obj, '__qualname__', cls.__name__)}) at {where}: "
                        "memograd files never name functions or classes as values")
    reason = _why_not_rebuildable(cls)
    if reason is None and not hasattr(obj, "__dict__"):
        reason = "its objects have no __dict__"
    if reason is None and _find(cls.__module__, cls.__qualname__.split(".")) is not cls:
        reason = (f"it cannot be found again as {full_name(cls)} (classes defined inside functions cannot be "
                  "saved; define it at the top level of a module)")
    if reason is not None:
        raise TypeError(f"save: cannot store an object of type {full_name(cls)} at {where}: {reason}")
    return full_name(cls)


def saved_attributes(obj, where: str) -> dict:
    """The attributes to write for `obj` (its __dict__)."""
    state = vars(obj)
    for attr in state:
        if not isinstance(attr, str) or attr.startswith("$"):
            raise TypeError(f"save: the object at {where} has an attribute named {attr!r}")
    return state


def is_registry(obj, attr: str) -> bool:
    return isinstance(obj, Module) and attr in MODULE_REGISTRIES


# ---- loading: which classes --------------------------------------------------------------------

def resolve_classes(names, weights_only: bool, where: str) -> dict[str, type]:
    """The class for every name the file uses, or one error listing every name that is refused."""
    allowed = allowed_by_name()
    classes, refused, problems = {}, [], []
    for name in sorted(names):
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise CheckpointError(f"{where}: the checkpoint names a class {name!r}, which is not a class name")
        cls = allowed.get(name)
        if cls is None and not weights_only:
            cls, problem = _lookup(name)
            if problem:
                problems.append(problem)
                continue
        if cls is None:
            refused.append(name)
            continue
        reason = "it is not a class" if not isinstance(cls, type) else _why_not_rebuildable(cls)
        if reason is not None:
            problems.append(f"{name} cannot be rebuilt from a file ({reason})")
            continue
        classes[name] = cls
    if refused:
        short = ", ".join(n.rsplit(".", 1)[-1] for n in refused)
        raise WeightsOnlyLoadError(
            f"{where}: Weights only load failed: the file holds objects of classes that are not allowlisted: "
            f"{', '.join(refused)}. If you trust these classes, allow them with "
            f"memograd.serialization.add_safe_globals([{short}]) or within "
            f"`with memograd.serialization.safe_globals([{short}]):`, or load with weights_only=False "
            "if you trust the file's source.")
    if problems:
        raise CheckpointError(f"{where}: {'; '.join(problems)}")
    return classes


def _lookup(name: str):
    """(class, None) for a class found by `name` in an imported module, else (None, why not)."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        found = _find(module_name, parts[cut:])
        if found is not None:
            return found, None
        if module_name in sys.modules:
            return None, f"{name} is not defined in module {module_name}"
    return None, (f"{name}: its module is not imported (memograd never imports a module a file names; "
                  "import it before loading)")


def _find(module_name: str, attrs: list):
    """The object at `module_name` then `attrs`, read from the __dict__s only (no getattr hooks run)."""
    module = sys.modules.get(module_name)
    if module is None and module_name.split(".")[0] == "memograd" and "._" not in f".{module_name}":
        try:  # memograd's own modules are imported on demand (memograd.nn is lazy)
            module = importlib.import_module(module_name)
        except ImportError:
            return None
    found = module
    for attr in attrs:
        if not isinstance(found, (types.ModuleType, type)):
            return None
        found = vars(found).get(attr)
    return found


def _why_not_rebuildable(cls: type) -> str | None:
    if issubclass(cls, Tensor):
        return "tensor classes are stored as tensors"
    if cls.__new__ is not object.__new__:
        return "its class defines __new__ or is a built-in type"
    if any("__slots__" in vars(k) for k in cls.__mro__[:-1]):
        return "its class uses __slots__"
    if any("__del__" in vars(k) for k in cls.__mro__[:-1]):
        return "its class defines __del__, which would run on an object the file filled in"
    return None


# ---- loading: filling in an object -----------------------------------------------------------

def restore(obj, cls: type, state, where: str, name: str) -> None:
    """Put the decoded attributes `state` into `obj`, the new, empty object of class `cls`.

    Types are checked with type(...) rather than isinstance, which may ask an object for its
    __class__ and so run a __getattribute__ of the class."""
    if type(state) is not dict or not all(type(k) is str for k in state):
        raise CheckpointError(f"{where}: the {name} object's attributes are not a dict of names")
    if issubclass(cls, Module):
        state = _module_state(state, where, name)
    object.__getattribute__(obj, "__dict__").update(state)


def _module_state(state: dict, where: str, name: str) -> dict:
    """The attributes of a Module, checked: a file must not make a module whose registries are broken."""
    from ..nn.parameter import Parameter

    state = dict(state)
    expected = {"_parameters": Parameter, "_buffers": Tensor, "_modules": Module}
    for registry, kind in expected.items():
        entries = state.get(registry, {})
        if type(entries) is not dict:
            raise CheckpointError(f"{where}: {name}.{registry} is not a dict")
        for key, value in entries.items():
            if type(key) is not str or not (value is None or issubclass(type(value), kind)):
                raise CheckpointError(f"{where}: {name}.{registry}[{key!r}] is a {type(value).__name__}, "
                                      f"not a {kind.__name__}")
        state[registry] = OrderedDict(entries)
    persistent = state.get("_non_persistent_buffers_set", set())
    if type(persistent) is not set or not all(type(k) is str for k in persistent):
        raise CheckpointError(f"{where}: {name}._non_persistent_buffers_set is not a set of names")
    state["_non_persistent_buffers_set"] = persistent
    if type(state.get("training", True)) is not bool:
        raise CheckpointError(f"{where}: {name}.training is not a bool")
    state.setdefault("training", True)
    return state
