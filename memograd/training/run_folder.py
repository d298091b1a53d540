"""The files of a run folder: their names, the metrics log, and what --resume reads back.

In a distributed run only rank 0 calls these (through Team.from_main): the folder need only
exist on its machine, and the other processes get what it read by broadcast."""
from __future__ import annotations

import json
from pathlib import Path

from ..serialization import atomic_write
from ..serialization.errors import CheckpointError
from ..utils.safe_io import open_regular, read_regular
from .checks import resume_config
from .config import TrainConfig

CONFIG, MODEL, CHECKPOINT, METRICS, CURVES = (
    "config.json", "model.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curves.png")
MAX_METRICS_BYTES = 64 << 20
RECORD_KEYS = ("epoch", "train_loss", "val_loss", "val_accuracy", "lr")


def check_new_run(run_dir: Path, tensorboard) -> None:
    """Refuse, before any work, an --out or --tensorboard path that is a file."""
    if tensorboard is not None and Path(tensorboard).exists() and not Path(tensorboard).is_dir():
        raise ValueError(f"--tensorboard {tensorboard}: exists and is not a folder")
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"--out {run_dir}: exists and is not a folder")


def start_run_folder(run_dir: Path, config: TrainConfig) -> None:
    """Made only once the run is known to start, so that a refused run leaves no folder behind."""
    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(run_dir / CONFIG)
    rewrite_metrics(run_dir / METRICS, [])


def read_resume_state(run_dir: Path, changes: dict, tensorboard=None) -> tuple:
    """(the config to continue with, the run's saved config, the checkpoint file's bytes, the
    metrics so far) of the run in `run_dir`; `changes` are the settings given again as flags."""
    if tensorboard is not None and Path(tensorboard).exists() and not Path(tensorboard).is_dir():
        raise ValueError(f"--tensorboard {tensorboard}: exists and is not a folder")
    if not run_dir.exists():
        raise FileNotFoundError(f"--resume {run_dir}: the run folder is missing")
    if not run_dir.is_dir():
        raise FileNotFoundError(f"--resume {run_dir}: not a folder (expected a memograd run folder)")
    saved = TrainConfig.load(run_dir / CONFIG)
    path = run_dir / CHECKPOINT
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: nothing to resume in {run_dir}")
    config = resume_config(saved, changes, str(run_dir))
    # A regular file only: a FIFO or a device is refused at once instead of blocking.
    with open_regular(path, "checkpoint file", CheckpointError) as file:
        checkpoint = file.read()
    return config, saved, checkpoint, read_metrics(run_dir / METRICS)


def read_metrics(path: Path) -> list[dict]:
    """The records of metrics.jsonl, each checked to be a record of numbers (errors name the line)."""
    if not path.exists():
        return []
    records = []
    text = read_regular(path, MAX_METRICS_BYTES, "metrics file").decode("utf-8", "replace")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not (isinstance(record, dict) and all(isinstance(record.get(k), (int, float)) and
                                                 not isinstance(record.get(k), bool) for k in RECORD_KEYS)):
            raise ValueError(f"{path}: line {number} is not an epoch record (a JSON object with numbers "
                             f"{', '.join(RECORD_KEYS)})")
        records.append(record)
    return records


def rewrite_metrics(path: Path, records: list[dict]) -> None:
    """metrics.jsonl holds exactly the completed epochs (rewritten atomically)."""
    atomic_write(path, "".join(json.dumps(r) + "\n" for r in records).encode())
