"""`memograd train`: fit a model, one checkpoint per epoch, resumable to the same weights.

Determinism: the data order of epoch e comes from a generator seeded with (seed, e), and the
global generator (dropout, initialisation) is saved in every checkpoint, so a run stopped
between epochs and resumed ends with exactly the weights of an uninterrupted run."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .. import load, manual_seed, optim, save
from ..nn import functional as F
from ..random import Generator, get_rng_state, set_rng_state
from ..serialization import atomic_write
from ..utils.data import DataLoader, random_split
from ..utils.safe_io import read_regular
from .checks import LOAD_ERRORS, check_checkpoint, check_like, check_memory, resume_config
from .config import TrainConfig
from .data import load_run_data
from .divergence import TrainingDiverged, check_step
from .metrics import infer
from .models import build_model
from .plots import plot_curves

CONFIG, MODEL, CHECKPOINT, METRICS, CURVES = (
    "config.json", "model.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curves.png")
# Schedules whose shape depends on the number of epochs: rebuilt when --resume changes --epochs.
EPOCH_SHAPED_SCHEDULERS = ("step", "cosine", "onecycle")
MAX_METRICS_BYTES = 64 << 20

__all__ = ["Run", "TrainingDiverged", "train"]


def make_optimizer(config: TrainConfig, params) -> optim.Optimizer:
    lr, wd = config.learning_rate, config.weight_decay
    if config.optimizer == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if config.optimizer == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if config.optimizer == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd or 1e-2)
    return optim.Adam(params, lr=lr, weight_decay=wd)


def make_scheduler(config: TrainConfig, optimizer, steps_per_epoch: int):
    """The scheduler and whether it steps per batch (OneCycle) or per epoch."""
    sched = optim.lr_scheduler
    if config.scheduler == "step":
        return sched.StepLR(optimizer, step_size=max(config.epochs // 3, 1), gamma=0.1), False
    if config.scheduler == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=config.epochs), False
    if config.scheduler == "exponential":
        return sched.ExponentialLR(optimizer, gamma=0.95), False
    if config.scheduler == "onecycle":
        return sched.OneCycleLR(optimizer, max_lr=config.learning_rate, epochs=config.epochs,
                                steps_per_epoch=steps_per_epoch), True
    if config.scheduler == "plateau":
        return sched.ReduceLROnPlateau(optimizer, factor=0.5, patience=3), False
    return None, False


class Run:
    """Everything a run is made of, rebuilt the same way for a new run and for --resume."""

    def __init__(self, config: TrainConfig, run_dir: Path):
        self.config = config
        self.dir = Path(run_dir)
        manual_seed(config.seed)
        self.data, _ = load_run_data(config.dataset)
        self.train_set, self.val_set = random_split(
            self.data.train, [1 - config.val_fraction, config.val_fraction], generator=Generator(config.seed))
        if len(self.train_set) == 0 or len(self.val_set) == 0:
            raise ValueError(f"dataset {config.dataset!r} has {len(self.data.train)} training examples: too few to "
                             "split into training and validation sets")
        check_memory(config, self.data.input_shape, self.data.num_classes, len(self.train_set))
        self.model = build_model(config, self.data.input_shape, self.data.num_classes)
        self.optimizer = make_optimizer(config, self.model.parameters())
        self.steps_per_epoch = -(-len(self.train_set) // config.batch_size)
        self.scheduler, self.per_batch = make_scheduler(config, self.optimizer, self.steps_per_epoch)
        self.epoch = 0  # epochs completed

    def loader(self, epoch: int) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.config.batch_size, shuffle=True,
                          generator=Generator(self.config.seed * 1_000_003 + epoch))

    def save_checkpoint(self) -> None:
        save(self.model.state_dict(), self.dir / MODEL)
        save({
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "epoch": self.epoch,
            "rng": get_rng_state(),
        }, self.dir / CHECKPOINT)

    def load_checkpoint(self, rebuild_schedule: bool = False, max_epoch: int | None = None) -> None:
        """Restore the run from its checkpoint, each part checked against what this run's config
        makes (errors name the file and the part). With `rebuild_schedule` (--epochs changed and
        the schedule depends on it), the schedule is this config's, advanced to the checkpoint's epoch."""
        path = self.dir / CHECKPOINT
        where = str(path)
        state = check_checkpoint(load(path), where, self.config.epochs if max_epoch is None else max_epoch)
        if state["epoch"] > self.config.epochs:
            raise ValueError(f"--resume {self.dir}: --epochs {self.config.epochs} is fewer than the {state['epoch']} "
                             "epochs the run has already trained")
        check_like(self.optimizer.state_dict()["param_groups"], state["optimizer"]["param_groups"],
                   f"{where} (optimizer)", "param_groups")
        if (state["scheduler"] is None) != (self.scheduler is None):
            raise ValueError(f"{where}: its scheduler entry does not match --scheduler {self.config.scheduler} "
                             f"in {self.dir / CONFIG}")
        if self.scheduler is not None:  # checked even when rebuilt: a damaged file is reported, not skipped
            check_like(self.scheduler.state_dict(), state["scheduler"], f"{where} (scheduler)")
        for part, restore in (("model weights do", lambda: self.model.load_state_dict(state["model"])),
                              ("optimizer state does", lambda: self.optimizer.load_state_dict(state["optimizer"])),
                              ("random generator state does", lambda: set_rng_state(state["rng"]))):
            try:
                restore()
            except LOAD_ERRORS as err:
                raise ValueError(f"{where}: its {part} not fit the run described by {self.dir / CONFIG}: "
                                 f"{err}") from None
        self.epoch = state["epoch"]
        if self.scheduler is None:
            return
        if rebuild_schedule:
            steps = self.epoch * (self.steps_per_epoch if self.per_batch else 1)
            self.scheduler.step(steps)  # the closed form at that step: no replay of the old schedule
            return
        try:
            self.scheduler.load_state_dict(state["scheduler"])
        except LOAD_ERRORS as err:
            raise ValueError(f"{where}: its scheduler state does not fit: {err}") from None


def train(config: TrainConfig | None, run_dir: str | Path, resume: bool = False, quiet: bool = False,
          diagnose: bool = False, tensorboard: str | Path | None = None, changes: dict | None = None) -> dict:
    """Train (or resume) the run in `run_dir`; returns the final metrics. With `tensorboard`,
    each epoch's losses, accuracies and learning rate also go to event files in that folder.

    Resuming, `changes` holds the settings given again as flags: more --epochs continue the
    run; any other setting that differs is refused (see checks.resume_config). Training stops
    with TrainingDiverged when a loss or gradient becomes NaN/inf, keeping the last checkpoint."""
    run_dir = Path(run_dir)
    if tensorboard is not None and Path(tensorboard).exists() and not Path(tensorboard).is_dir():
        raise ValueError(f"--tensorboard {tensorboard}: exists and is not a folder")
    if resume:
        if not run_dir.exists():
            raise FileNotFoundError(f"--resume {run_dir}: the run folder is missing")
        if not run_dir.is_dir():
            raise FileNotFoundError(f"--resume {run_dir}: not a folder (expected a memograd run folder)")
        saved = TrainConfig.load(run_dir / CONFIG)
        if not (run_dir / CHECKPOINT).exists():
            raise FileNotFoundError(f"{run_dir / CHECKPOINT} is missing: nothing to resume in {run_dir}")
        config = resume_config(saved, changes or {}, str(run_dir))
    elif run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"--out {run_dir}: exists and is not a folder")
    run = Run(config, run_dir)  # loads and checks the data, and that the model fits in memory
    if not resume:  # only now, so that a refused run leaves no folder behind
        run_dir.mkdir(parents=True, exist_ok=True)
        config.save(run_dir / CONFIG)
    records = []
    if resume:
        rebuild = config.epochs != saved.epochs and config.scheduler in EPOCH_SHAPED_SCHEDULERS
        run.load_checkpoint(rebuild_schedule=rebuild, max_epoch=saved.epochs)
        records = read_metrics(run_dir / METRICS)[: run.epoch]
        if config.epochs != saved.epochs:
            config.save(run_dir / CONFIG)
        note = f" (--epochs {saved.epochs} -> {config.epochs}" + (
            f"; the {config.scheduler} schedule now spans {config.epochs} epochs)" if rebuild else ")")
        say(quiet, f"resuming {run_dir} after epoch {run.epoch} of {config.epochs}"
                   + (note if config.epochs != saved.epochs else ""))
    else:
        rewrite_metrics(run_dir / METRICS, [])
        say(quiet, f"training {config.model} on {config.dataset}: {len(run.train_set)} train, "
                   f"{len(run.val_set)} validation, {len(run.data.test)} test examples; "
                   f"{sum(p.numel() for p in run.model.parameters()):,} parameters")
    monitor = None
    if diagnose:
        from ..explain import GradientMonitor

        monitor = GradientMonitor(run.model)
    board = open_board(tensorboard, run.epoch) if tensorboard is not None else None
    try:
        while run.epoch < config.epochs:
            record = train_epoch(run, quiet, monitor)
            records.append(record)
            if board is not None:
                log_epoch(board, record)
            rewrite_metrics(run_dir / METRICS, records)
            run.save_checkpoint()  # after the metrics line: a kill in between only repeats an epoch's line
            say(quiet, f"epoch {record['epoch']:3d}/{config.epochs}  train loss {record['train_loss']:.4f}  "
                       f"val loss {record['val_loss']:.4f}  val acc {100 * record['val_accuracy']:6.2f}%  "
                       f"lr {record['lr']:.2e}  {record['seconds']:.1f}s")
    except KeyboardInterrupt:
        say(False, f"\ninterrupted after epoch {run.epoch}; continue with: memograd train --resume {run_dir}")
        raise
    finally:
        if board is not None:
            board.close()
    plot_curves(records, run_dir / CURVES)
    logits, labels, test_loss = infer(run.model, run.data.test, label_smoothing=config.label_smoothing)
    accuracy = float((logits.argmax(1) == labels).mean())
    say(quiet, f"test accuracy {100 * accuracy:.2f}%  test loss {test_loss:.4f}  (run folder: {run_dir})")
    if monitor is not None:
        monitor.plot(run_dir / "gradflow.png")
        summary = monitor.report()
        (run_dir / "gradflow.txt").write_text(summary + "\n")
        say(quiet, summary + f"\n(gradient flow plot: {run_dir / 'gradflow.png'})")
    return {"test_accuracy": accuracy, "test_loss": test_loss, "epochs": run.epoch}


def train_epoch(run: Run, quiet: bool, monitor=None) -> dict:
    start = time.perf_counter()
    model, optimizer = run.model, run.optimizer
    model.train()
    batches = run.loader(run.epoch)
    progress = progress_bar(batches, run.epoch + 1, run.config.epochs, quiet)
    total, count, correct = 0.0, 0, 0
    try:
        for step, (x, y) in enumerate(progress, start=1):
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=run.config.label_smoothing)  # forward: the loss now
            optimizer.zero_grad()
            loss.backward()                                # backprop: d(loss)/d(every parameter)
            value = loss.item()
            check_step(run, value, step)                   # NaN/inf: stop before the update spreads it
            if monitor is not None:
                monitor.step()
            optimizer.step()                               # gradient descent
            if monitor is not None:
                monitor.after_update()
            if run.per_batch:
                run.scheduler.step()
            total += value * len(y)
            count += len(y)
            correct += int((logits.argmax(1) == y).sum().item())  # over the epoch, in train mode
            if hasattr(progress, "set_postfix"):
                progress.set_postfix(loss=f"{total / count:.4f}", refresh=False)
    finally:
        if hasattr(progress, "close"):
            progress.close()  # clear the bar before any error message
    logits, labels, val_loss = infer(model, run.val_set, label_smoothing=run.config.label_smoothing)
    lr = optimizer.param_groups[0]["lr"]
    if run.scheduler is not None and not run.per_batch:
        if isinstance(run.scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            run.scheduler.step(val_loss)
        else:
            run.scheduler.step()
    run.epoch += 1
    return {"epoch": run.epoch, "train_loss": total / max(count, 1), "train_accuracy": correct / max(count, 1),
            "val_loss": val_loss,
            "val_accuracy": float((logits.argmax(1) == labels).mean()), "lr": lr,
            "seconds": time.perf_counter() - start}


def open_board(folder, epochs_done: int):
    """A SummaryWriter for `folder`. A resumed run purges what a stopped one logged after its
    last checkpoint, so each epoch has one point."""
    from ..utils.tensorboard import SummaryWriter

    return SummaryWriter(str(folder), purge_step=epochs_done + 1 if epochs_done else None)


def log_epoch(board, record: dict) -> None:
    step = record["epoch"]
    board.add_scalar("loss/train", record["train_loss"], step)
    board.add_scalar("loss/val", record["val_loss"], step)
    board.add_scalar("accuracy/train", record["train_accuracy"], step)
    board.add_scalar("accuracy/val", record["val_accuracy"], step)
    board.add_scalar("lr", record["lr"], step)
    board.flush()  # an epoch is long: make its points visible in TensorBoard now


def progress_bar(batches, epoch: int, epochs: int, quiet: bool):
    if quiet:
        return batches
    from tqdm import tqdm

    return tqdm(batches, desc=f"epoch {epoch}/{epochs}", leave=False, unit="batch", file=sys.stderr)


def say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, flush=True)


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


RECORD_KEYS = ("epoch", "train_loss", "val_loss", "val_accuracy", "lr")


def rewrite_metrics(path: Path, records: list[dict]) -> None:
    """metrics.jsonl holds exactly the completed epochs (rewritten atomically)."""
    atomic_write(path, "".join(json.dumps(r) + "\n" for r in records).encode())
