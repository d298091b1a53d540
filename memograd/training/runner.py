"""`memograd train`: fit a model, one checkpoint per epoch, resumable to the same weights.

Determinism: the data order of epoch e comes from a generator seeded with (seed, e), and the
global generator (dropout, initialisation) is saved in every checkpoint, so a run stopped
between epochs and resumed ends with exactly the weights of an uninterrupted run.

Under `mpiexec -n N` the run is data-parallel (see training/distributed.py): --batch-size is
per process, and the run ends with the weights of one process with batch N * --batch-size."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .. import load, manual_seed, optim, save
from ..nn import functional as F
from ..random import Generator, get_rng_state, set_rng_state
from ..utils.data import DataLoader, random_split
from .checks import LOAD_ERRORS, check_checkpoint, check_like, check_memory
from .config import TrainConfig
from .data import load_run_data
from .distributed import Team, load_bytes
from .divergence import TrainingDiverged, check_step
from .metrics import infer
from .models import build_model
from .plots import plot_curves
from .run_folder import (
    CHECKPOINT,
    CONFIG,
    CURVES,
    METRICS,
    MODEL,
    check_new_run,
    read_resume_state,
    rewrite_metrics,
    start_run_folder,
)

# Schedules whose shape depends on the number of epochs: rebuilt when --resume changes --epochs.
EPOCH_SHAPED_SCHEDULERS = ("step", "cosine", "onecycle")

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

    def __init__(self, config: TrainConfig, run_dir: Path, team: Team | None = None):
        self.config = config
        self.dir = Path(run_dir)
        self.team = team or Team()
        manual_seed(config.seed)
        self.data, _ = load_run_data(config.dataset)
        self.train_set, self.val_set = random_split(
            self.data.train, [1 - config.val_fraction, config.val_fraction], generator=Generator(config.seed))
        if len(self.train_set) == 0 or len(self.val_set) == 0:
            raise ValueError(f"dataset {config.dataset!r} has {len(self.data.train)} training examples: too few to "
                             "split into training and validation sets")
        check_memory(config, self.data.input_shape, self.data.num_classes, len(self.train_set))
        self.model = build_model(config, self.data.input_shape, self.data.num_classes)
        self.trained = self.team.wrap(self.model)  # what training calls: the model, or DDP around it
        self.optimizer = make_optimizer(config, self.model.parameters())
        self.steps_per_epoch = -(-len(self.train_set) // self.global_batch)
        self.scheduler, self.per_batch = make_scheduler(config, self.optimizer, self.steps_per_epoch)
        self.epoch = 0  # epochs completed

    @property
    def global_batch(self) -> int:
        return self.config.batch_size * self.team.size

    def loader(self, epoch: int) -> DataLoader:
        """The global batches of epoch `epoch` (each process then takes its share of each)."""
        if self.team.size > 1:  # dropout draws differ per process, and per epoch for --resume
            manual_seed(self.config.seed * 1_000_003 + epoch * 7_919 + self.team.rank + 1)
        return DataLoader(self.train_set, batch_size=self.global_batch, shuffle=True,
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

    def load_checkpoint(self, data: bytes | None = None, rebuild_schedule: bool = False,
                        max_epoch: int | None = None) -> None:
        """Restore the run from its checkpoint (the file, or its bytes as rank 0 read and sent
        them), each part checked against what this run's config makes (errors name the file and
        the part). With `rebuild_schedule` (--epochs changed and the schedule depends on it), the
        schedule is this config's, advanced to the checkpoint's epoch."""
        path = self.dir / CHECKPOINT
        where = str(path)
        state = load(path) if data is None else load_bytes(data, where)
        state = check_checkpoint(state, where, self.config.epochs if max_epoch is None else max_epoch)
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
          diagnose: bool = False, tensorboard: str | Path | None = None, changes: dict | None = None,
          distributed: bool | None = None) -> dict:
    """Train (or resume) the run in `run_dir`; returns the final metrics. With `tensorboard`,
    each epoch's losses, accuracies and learning rate also go to event files in that folder.

    Resuming, `changes` holds the settings given again as flags: more --epochs continue the
    run; any other setting that differs is refused (see checks.resume_config). Training stops
    with TrainingDiverged when a loss or gradient becomes NaN/inf, keeping the last checkpoint.
    `distributed`: None trains data-parallel when started under an MPI launcher with several
    processes; False forces a single-process run. Rank 0 alone reads and writes the run folder."""
    run_dir = Path(run_dir)
    team = Team.join(distributed)
    quiet = quiet or not team.is_main
    if resume:
        config, saved, checkpoint, records = team.from_main(
            lambda: read_resume_state(run_dir, changes or {}, tensorboard))
    else:
        team.from_main(lambda: check_new_run(run_dir, tensorboard))
    run = Run(config, run_dir, team)  # loads and checks the data, and that the model fits in memory
    if resume:
        rebuild = config.epochs != saved.epochs and config.scheduler in EPOCH_SHAPED_SCHEDULERS
        run.load_checkpoint(checkpoint, rebuild_schedule=rebuild, max_epoch=saved.epochs)
        records = records[: run.epoch]
        if config.epochs != saved.epochs:
            team.from_main(lambda: config.save(run_dir / CONFIG))
        note = f" (--epochs {saved.epochs} -> {config.epochs}" + (
            f"; the {config.scheduler} schedule now spans {config.epochs} epochs)" if rebuild else ")")
        say(quiet, f"resuming {run_dir} after epoch {run.epoch} of {config.epochs}"
                   + (note if config.epochs != saved.epochs else ""))
    else:
        team.from_main(lambda: start_run_folder(run_dir, config))  # only now: a refused run leaves no folder
        records = []
        processes = f" on {team.size} processes (batch {config.batch_size} each)" if team.size > 1 else ""
        say(quiet, f"training {config.model} on {config.dataset}{processes}: {len(run.train_set)} train, "
                   f"{len(run.val_set)} validation, {len(run.data.test)} test examples; "
                   f"{sum(p.numel() for p in run.model.parameters()):,} parameters")
    if not team.is_main:
        return train_follower(run)
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
    result = {"test_accuracy": accuracy, "test_loss": test_loss, "epochs": run.epoch}
    return team.from_main(lambda: result)


def train_follower(run: Run) -> dict:
    """A process other than rank 0: train its share, take the validation figures and the final
    result from rank 0 (which alone evaluates and writes)."""
    while run.epoch < run.config.epochs:
        train_epoch(run, quiet=True)
    return run.team.from_main(lambda: None)


def train_epoch(run: Run, quiet: bool, monitor=None) -> dict:
    start = time.perf_counter()
    model, optimizer, team = run.trained, run.optimizer, run.team
    model.train()
    batches = run.loader(run.epoch)
    progress = progress_bar(batches, run.epoch + 1, run.config.epochs, quiet)
    total, count, correct = 0.0, 0, 0
    try:
        for step, (x, y) in enumerate(progress, start=1):
            if team.size > 1:
                global_count = len(y)
                part = team.share(global_count)
                x, y = x[part], y[part]
            logits = model(x)
            if team.size == 1:
                loss = F.cross_entropy(logits, y, label_smoothing=run.config.label_smoothing)  # forward: the loss now
            else:  # this share's part of the global batch's mean; DDP averages over the processes
                loss_sum = F.cross_entropy(logits, y, reduction="sum", label_smoothing=run.config.label_smoothing)
                loss = loss_sum * (team.size / global_count)
            optimizer.zero_grad()
            loss.backward()                                # backprop: d(loss)/d(every parameter)
            value = loss.item() if team.size == 1 else loss_sum.item() / max(len(y), 1)  # this share's mean
            # NaN/inf: stop before the update spreads it. The gradients are the same on every
            # process (DDP averaged them); a non-finite loss on one aborts the job from the CLI.
            check_step(run, value, step)
            if monitor is not None:
                monitor.step()
            optimizer.step()                               # gradient descent
            if monitor is not None:
                monitor.after_update()
            if run.per_batch:
                run.scheduler.step()
            total += value * len(y) if team.size == 1 else loss_sum.item()
            count += len(y)
            correct += int((logits.argmax(1) == y).sum().item())  # over the epoch, in train mode
            if hasattr(progress, "set_postfix"):
                progress.set_postfix(loss=f"{total / max(count, 1):.4f}", refresh=False)
    finally:
        if hasattr(progress, "close"):
            progress.close()  # clear the bar before any error message
    total, count, correct = team.sum([total, count, correct])
    val_loss, val_accuracy = team.from_main(lambda: validate(run))
    lr = optimizer.param_groups[0]["lr"]
    if run.scheduler is not None and not run.per_batch:
        if isinstance(run.scheduler, optim.lr_scheduler.ReduceLROnPlateau):
            run.scheduler.step(val_loss)
        else:
            run.scheduler.step()
    run.epoch += 1
    return {"epoch": run.epoch, "train_loss": total / max(count, 1), "train_accuracy": correct / max(count, 1),
            "val_loss": val_loss, "val_accuracy": val_accuracy, "lr": lr,
            "seconds": time.perf_counter() - start}


def validate(run: Run) -> tuple[float, float]:
    logits, labels, val_loss = infer(run.model, run.val_set, label_smoothing=run.config.label_smoothing)
    return val_loss, float((logits.argmax(1) == labels).mean())


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
