"""Optimizer: parameter groups, per-parameter state, and the state_dict layout PyTorch uses.

A subclass supplies `_check(options)` (validate hyper-parameters) and `_update_group(group)`
(the update rule for one group). The base class owns everything else, and runs every update
under `no_grad()`, so optimizer steps never become part of a graph."""
from __future__ import annotations
from ..autograd.modes import modes

import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor


class Optimizer:
    """Base class of all optimizers.

    `params` is an iterable of tensors, of `(name, tensor)` pairs, or of dicts, each dict one
    parameter group with its own options (`{"params": [...], "lr": 0.1}`); options a group
    does not set come from `defaults`. `state[p]` holds the per-parameter buffers.

    >>> opt = memograd.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.1}], lr=0.01)
    >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: Iterable, defaults: dict) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got a Tensor"
            )
        self._check(defaults)
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    # ---- parameter groups --------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (say, layers unfrozen while fine-tuning) with its own options."""
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}: a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}: a parameter group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        group = dict(param_group)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError(f"{self._name}: give all parameters of a group with names, or none")
            group["param_names"] = names
            params = [p[1] for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{self._name}: can't optimize a non-leaf Tensor")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{self._name}: a parameter group contains duplicate parameters", stacklevel=2)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in group) != ("param_names" in self.param_groups[0]):
            raise ValueError(f"{self._name}: all parameter groups should be given with names, or all without")
        self._check(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: drop them (`set_to_none=True`, the default) or fill them with 0."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    # ---- the update --------------------------------------------------------------------

    def step(self, closure: Callable | None = None):
        """Update every parameter that has a gradient; return `closure()`'s loss if given.

        The closure (re-evaluate the model, backward, return the loss) runs with recording on;
        the update itself runs under `no_grad()`."""
        if modes.recorder is not None:  # memograd.compile: the update becomes one step of its program
            return modes.recorder.optimizer_step(self, closure)
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        raise NotImplementedError(f"{self._name} does not define its update rule (_update_group)")

    def _check(self, options: dict) -> None:
        """Raise ValueError for an invalid hyper-parameter (subclasses list theirs)."""

    def _gradients(self, group: dict) -> Iterator[tuple[Tensor, np.ndarray]]:
        """(param, gradient array) for each parameter of `group` that has a gradient; the gradient
        is in the parameter's dtype and negated when the group maximizes. Never write into it."""
        maximize = group.get("maximize", False)
        for p in group["params"]:
            if p.grad is None:
                continue
            grad = p.grad._data
            if grad.dtype != p._data.dtype:
                grad = grad.astype(p._data.dtype)
            yield p, (-grad if maximize else grad)

    def _buffer(self, p: Tensor, fill: float = 0.0) -> Tensor:
        """A state buffer shaped and typed like `p`."""
        return Tensor._make(np.full_like(p._data, fill), None)

    # ---- saving and loading ------------------------------------------------------------

    def state_dict(self) -> dict:
        """{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}, parameters
        numbered in group order as PyTorch does. The buffers are the live ones, not copies."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: s for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what `state_dict()` returned (the buffers are copied, cast to each parameter's dtype)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{self._name}: loaded state dict has {len(saved_groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"{self._name}: loaded parameter group {i} has {len(saved['params'])} parameters, "
                                 f"the optimizer's has {len(group['params'])}")
        by_index = {
            i: p for group, saved in zip(self.param_groups, saved_groups) for i, p in zip(saved["params"], group["params"])
        }
        state: defaultdict = defaultdict(dict)
        for i, saved_state in state_dict["state"].items():
            if int(i) not in by_index:
                raise ValueError(f"{self._name}: loaded state refers to parameter {i}, which no group holds")
            p = by_index[int(i)]
            state[p] = {key: _load_value(self._name, p, key, value) for key, value in saved_state.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {**group, **{k: v for k, v in saved.items() if k != "params"}, "params": group["params"]}
            self._check(new_group)
            new_groups.append(new_group)
        for group, new_group in zip(self.param_groups, new_groups):
            group.clear()
            group.update(new_group)
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k not in ("params", "param_names")]
        return "\n".join(lines) + "\n)"


def _load_value(name: str, p: Tensor, key: str, value):
    """A copy of a saved state entry: step counts as ints, arrays as tensors of p's dtype."""
    if key == "step":
        return int(float(value))
    if isinstance(value, (Tensor, np.ndarray)):
        array = np.array(value._data if isinstance(value, Tensor) else value, dtype=p._data.dtype)
        if array.shape != p.shape:
            raise ValueError(f"{name}: loaded state {key!r} has shape {array.shape}, its parameter has shape {p.shape}")
        return Tensor._make(array, None)
    return value


def check_range(name: str, what: str, value, low: float = 0.0, high: float | None = None,
                high_open: bool = False) -> None:
    """Raise `ValueError("{name}: invalid {what} {value}")` unless low <= value (<= or <) high."""
    ok = value >= low
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:  # also catches NaN
        raise ValueError(f"{name}: invalid {what} {value}")
