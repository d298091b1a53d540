"""A run's settings, stored as config.json in the run folder so that evaluate, predict and
--resume rebuild exactly the same model.

Every setting is checked when a TrainConfig is made, from flags or from a file: its type, that
numbers are finite and in range. A config.json is read against the same schema, and each error
names the file and the key."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from ..serialization import atomic_write
from ..utils.safe_io import load_json

DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3, "adamw": 1e-3}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
SCHEDULERS = ("none", "step", "cosine", "exponential", "onecycle", "plateau")
MODELS = ("mlp", "cnn")
MAX_EPOCHS = 1_000_000
MAX_LAYERS = 64
MAX_CONFIG_BYTES = 1 << 20


class ConfigError(ValueError):
    """A setting out of its type or range; `field` names it, `detail` says what is wrong."""

    def __init__(self, field: str, detail: str):
        super().__init__(f"{flag(field)} {detail}")
        self.field, self.detail = field, detail


def flag(field: str) -> str:
    return "--" + field.replace("_", "-")


@dataclasses.dataclass
class TrainConfig:
    dataset: str = "digits"
    model: str = "mlp"
    hidden: tuple = (256, 128)
    activation: str = "relu"
    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float | None = None  # None: the optimizer's default from DEFAULT_LR
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    dropout: float = 0.0
    label_smoothing: float = 0.1
    seed: int = 0
    val_fraction: float = 0.1

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            problem = _type_problem(field.name, value)
            if problem:
                raise ConfigError(field.name, problem)
        self.hidden = tuple(self.hidden)
        for name, kind in _TYPES.items():
            value = getattr(self, name)
            if kind == _FLOAT and _is_int(value):
                try:
                    setattr(self, name, float(value))
                except OverflowError:
                    raise ConfigError(name, f"is too large, got {_json_repr(value)}") from None
        for name, ok, detail in self._range_checks():
            if not ok:
                raise ConfigError(name, detail)

    def _range_checks(self):
        lr, wd = self.lr, self.weight_decay
        return [
            ("dataset", bool(self.dataset.strip()), "must name a dataset, got an empty string"),
            _choice("model", self.model, MODELS),
            _choice("activation", self.activation, ACTIVATIONS),
            _choice("optimizer", self.optimizer, tuple(DEFAULT_LR)),
            _choice("scheduler", self.scheduler, SCHEDULERS),
            ("epochs", 1 <= self.epochs <= MAX_EPOCHS, f"must be in 1..{MAX_EPOCHS}, got {self.epochs}"),
            ("batch_size", 1 <= self.batch_size < 2**31, f"must be in 1..{2**31 - 1}, got {self.batch_size}"),
            ("hidden", 1 <= len(self.hidden) <= MAX_LAYERS,
             f"must give 1 to {MAX_LAYERS} layer sizes, got {len(self.hidden)}"),
            ("hidden", all(1 <= h < 2**31 for h in self.hidden),
             f"sizes must be in 1..{2**31 - 1}, got {','.join(map(str, self.hidden))}"),
            ("lr", lr is None or (math.isfinite(lr) and lr > 0), f"must be a positive finite number, got {lr}"),
            ("weight_decay", math.isfinite(wd) and wd >= 0, f"must be a finite number >= 0, got {wd}"),
            ("dropout", 0 <= self.dropout < 1, f"must be in [0, 1), got {self.dropout}"),
            ("label_smoothing", 0 <= self.label_smoothing < 1, f"must be in [0, 1), got {self.label_smoothing}"),
            ("seed", 0 <= self.seed < 2**63, f"must be in 0..2**63-1, got {self.seed}"),
            ("val_fraction", 0 < self.val_fraction < 1, f"must be in (0, 1), got {self.val_fraction}"),
        ]

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    def save(self, path: Path) -> None:
        import json

        atomic_write(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())

    @classmethod
    def from_dict(cls, data, where: str) -> "TrainConfig":
        """A config from parsed JSON, checked against the schema; errors name `where` and the key."""
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected a JSON object of settings, found {_json_kind(data)}")
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(known))
        missing = [k for k in known if k not in data]
        if unknown:
            raise ValueError(f"{where}: unknown setting(s) {', '.join(map(repr, unknown))}; "
                             f"a run's settings are {', '.join(known)}")
        if missing:
            raise ValueError(f"{where}: missing setting(s) {', '.join(map(repr, missing))}")
        values = dict(data)
        if isinstance(values["hidden"], list):
            values["hidden"] = tuple(values["hidden"])
        try:
            return cls(**values)
        except ConfigError as err:
            raise ValueError(f'{where}: "{err.field}" {err.detail}') from None

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        path = Path(path)
        try:
            data = load_json(path, MAX_CONFIG_BYTES, max_depth=4, what="run config")
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} is missing: not a memograd run folder") from None
        return cls.from_dict(data, str(path))


# Each setting's type: the JSON values it may take.
_INT, _FLOAT, _STR = "an integer", "a number", "a string"
_TYPES = {"dataset": _STR, "model": _STR, "activation": _STR, "optimizer": _STR, "scheduler": _STR,
          "epochs": _INT, "batch_size": _INT, "seed": _INT, "lr": _FLOAT, "weight_decay": _FLOAT,
          "dropout": _FLOAT, "label_smoothing": _FLOAT, "val_fraction": _FLOAT}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type_problem(name: str, value) -> str | None:
    if name == "hidden":
        if isinstance(value, (tuple, list)) and all(_is_int(h) for h in value):
            return None
        return f"must be a list of integers, got {_json_repr(value)}"
    if name == "lr" and value is None:
        return None
    kind = _TYPES[name]
    ok = (isinstance(value, str) if kind == _STR else _is_int(value) if kind == _INT
          else _is_int(value) or isinstance(value, float))
    return None if ok else f"must be {kind}, got {_json_repr(value)}"


def _json_repr(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _choice(field: str, value: str, allowed: tuple) -> tuple:
    return field, value in allowed, f"must be one of {', '.join(allowed)}, got {value!r}"
