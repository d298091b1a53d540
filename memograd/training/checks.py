"""What a run checks before it does any work: that the model fits in memory, that a checkpoint
or weights file holds what the run expects (each error names the file and the entry), and that
`--resume` is not asked to change what it cannot."""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..tensor import Tensor
from ..utils.safe_io import available_memory, format_bytes
from .config import TrainConfig, flag
from .models import activation_values, count_parameters

# Bytes per parameter while training in float32: the weights, their gradient, two optimizer
# buffers (Adam), and the copies a checkpoint save makes.
BYTES_PER_PARAMETER = 4 * 6
BYTES_PER_ACTIVATION = 4
# Errors a corrupt checkpoint can make loading code raise; each is reported naming the file.
LOAD_ERRORS = (KeyError, ValueError, TypeError, IndexError, AttributeError, RuntimeError, OverflowError)
CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch", "rng")


# ---- memory -------------------------------------------------------------------------------------

def check_memory(config: TrainConfig, input_shape: tuple, num_classes: int, n_train: int) -> None:
    """Refuse a model whose training would need more memory than is available, before allocating it."""
    parameters = count_parameters(config, input_shape, num_classes)
    batch = max(1, min(config.batch_size, n_train))
    needed = parameters * BYTES_PER_PARAMETER + activation_values(config, input_shape, num_classes, batch) * \
        BYTES_PER_ACTIVATION
    free = available_memory()
    if free is not None and needed > free:
        raise ValueError(f"--hidden {','.join(map(str, config.hidden))} with --batch-size {config.batch_size} "
                         f"({config.model} on inputs of shape {input_shape}): training would need about "
                         f"{format_bytes(needed)} ({parameters:,} parameters with their gradients and optimizer "
                         f"state, and the batch's activations), but only {format_bytes(free)} of memory is available")


# ---- weights and checkpoints ---------------------------------------------------------------------

def check_weights(state, where: str) -> dict:
    """A state_dict as loaded from `where`: names mapping to finite float tensors."""
    if not isinstance(state, dict):
        raise ValueError(f"{where}: expected a state_dict (tensors by name), found {_kind(state)}")
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, Tensor):
            raise ValueError(f"{where}: entry {name!r} is {_kind(value)}, not a tensor")
        if value.dtype.kind != "f":
            raise ValueError(f"{where}: tensor {name!r} has dtype {value.dtype}; weights are floats")
        if not np.isfinite(value._data).all():
            raise ValueError(f"{where}: tensor {name!r} holds NaN or infinite values")
    return state


def check_checkpoint(state, where: str, max_epoch: int) -> dict:
    """The top level of a training checkpoint: its parts, their types, and an epoch the run can have."""
    if not isinstance(state, dict):
        raise ValueError(f"{where}: expected a training checkpoint (a dict with {', '.join(CHECKPOINT_KEYS)}), "
                         f"found {_kind(state)}")
    missing = [k for k in CHECKPOINT_KEYS if k not in state]
    if missing:
        raise ValueError(f"{where}: not a training checkpoint: missing {', '.join(missing)}")
    check_weights(state["model"], f"{where} (model)")
    optimizer = state["optimizer"]
    if not (isinstance(optimizer, dict) and isinstance(optimizer.get("state"), dict)
            and isinstance(optimizer.get("param_groups"), list)
            and all(isinstance(g, dict) for g in optimizer["param_groups"])):
        raise ValueError(f"{where}: its optimizer entry is not an optimizer state_dict "
                         "(a dict of 'state' and a list of 'param_groups')")
    for index, entry in optimizer["state"].items():
        if not isinstance(entry, dict) or not all(_is_number(v) or isinstance(v, Tensor) for v in entry.values()):
            raise ValueError(f"{where}: the optimizer state of parameter {index!r} is not a dict of tensors and "
                             "numbers")
    if state["scheduler"] is not None and not isinstance(state["scheduler"], dict):
        raise ValueError(f"{where}: its scheduler entry is {_kind(state['scheduler'])}, not a dict or None")
    epoch = state["epoch"]
    if not (isinstance(epoch, int) and not isinstance(epoch, bool) and 0 <= epoch <= max_epoch):
        raise ValueError(f"{where}: its epoch is {epoch!r}; the run's config.json allows 0..{max_epoch}")
    if not isinstance(state["rng"], dict):
        raise ValueError(f"{where}: its rng entry is {_kind(state['rng'])}, not a random generator state")
    return state


def check_like(template, value, where: str, path: str = "") -> None:
    """Refuse `value` unless it has the structure and types of `template` (what a fresh object
    of the same kind gives): the same keys, list lengths, number and string types, finite numbers."""
    here = path or "the top level"
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise ValueError(f"{where}: {here} should have the entries {sorted(map(str, template))}, "
                             f"found {sorted(map(str, value)) if isinstance(value, dict) else _kind(value)}")
        for key in template:
            check_like(template[key], value[key], where, f"{path}.{key}" if path else str(key))
    elif isinstance(template, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(template):
            raise ValueError(f"{where}: {here} should be a list of {len(template)}, found {_kind(value)}")
        for i, (t, v) in enumerate(zip(template, value, strict=True)):
            check_like(t, v, where, f"{path}[{i}]")
    elif isinstance(template, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {here} should be true or false, found {_kind(value)}")
    elif _is_number(template):
        if not _is_number(value) or (math.isfinite(template) and not math.isfinite(value)):
            raise ValueError(f"{where}: {here} should be a finite number, found {value!r}")
    elif template is None:
        if value is not None and not _is_number(value):
            raise ValueError(f"{where}: {here} should be a number or null, found {_kind(value)}")
    elif type(value) is not type(template):
        raise ValueError(f"{where}: {here} should be {_kind(template)}, found {_kind(value)}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    name = type(value).__name__
    return ("an " if name[:1] in "aeiou" else "a ") + name


# ---- resume ----------------------------------------------------------------------------------------

def resume_config(saved: TrainConfig, changes: dict, where: str) -> TrainConfig:
    """The config a resumed run continues with. `changes` are the settings given as flags:
    --epochs may grow (training continues); any other flag that differs from the run's own
    setting is refused, all of them listed in one message. (Fewer --epochs than the checkpoint
    has trained is refused when the checkpoint is read.)"""
    differences = []
    for field, value in changes.items():
        if field == "epochs":
            continue
        kept = getattr(saved, field)
        if field == "lr":
            same = dataclasses.replace(saved, lr=value).learning_rate == saved.learning_rate
        else:
            same = (tuple(value) if field == "hidden" else value) == kept
        if not same:
            shown = saved.learning_rate if field == "lr" else kept
            differences.append(f"{flag(field)} {_show(value)} (the run's: {_show(shown)})")
    if differences:
        raise ValueError(f"--resume {where}: only --epochs can change when resuming, and these flags differ from "
                         f"the run's config.json: {'; '.join(differences)}. Drop them to resume as the run was "
                         "started, or start a new run with --out")
    return dataclasses.replace(saved, epochs=changes.get("epochs", saved.epochs))


def _show(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
