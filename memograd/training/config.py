"""A run's settings, stored as config.json in the run folder so that evaluate, predict and
--resume rebuild exactly the same model."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3, "adamw": 1e-3}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
SCHEDULERS = ("none", "step", "cosine", "exponential", "onecycle", "plateau")
MODELS = ("mlp", "cnn")


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
        self.hidden = tuple(int(h) for h in self.hidden)
        checks = [
            _choice("--model", self.model, MODELS),
            _choice("--activation", self.activation, ACTIVATIONS),
            _choice("--optimizer", self.optimizer, tuple(DEFAULT_LR)),
            _choice("--scheduler", self.scheduler, SCHEDULERS),
            (self.epochs >= 1, f"--epochs must be at least 1, got {self.epochs}"),
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (all(h >= 1 for h in self.hidden), f"--hidden sizes must be positive, got {self.hidden}"),
            (self.lr is None or self.lr > 0, f"--lr must be positive, got {self.lr}"),
            (self.weight_decay >= 0, f"--weight-decay must be >= 0, got {self.weight_decay}"),
            (0 <= self.dropout < 1, f"--dropout must be in [0, 1), got {self.dropout}"),
            (0 <= self.label_smoothing < 1, f"--label-smoothing must be in [0, 1), got {self.label_smoothing}"),
            (0 < self.val_fraction < 1, f"validation fraction must be in (0, 1), got {self.val_fraction}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.optimizer]

    def save(self, path: Path) -> None:
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        tmp = Path(str(path) + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "TrainConfig":
        try:
            data = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} is missing: not a memograd run folder") from None
        except json.JSONDecodeError as err:
            raise ValueError(f"{path} is not valid JSON: {err}") from None
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _choice(option: str, value: str, allowed: tuple) -> tuple:
    return value in allowed, f"{option} must be one of {', '.join(allowed)}, got {value!r}"
