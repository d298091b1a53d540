"""`memograd train | evaluate | predict | explain`: a thin layer over memograd.training.

One rule for errors: a user error (a bad flag, a bad or missing file, a run that cannot
continue) is one line on stderr, naming the flag or file and what was expected, and exit
status 1 (2 for a command line argparse cannot parse). Anything else is a bug: it is also
reported in one line, which says so and points to `--debug`, which shows the traceback."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
import warnings

import numpy as np

EPILOG = "Run `memograd COMMAND --help` for a command's options."
# The errors a user can cause: bad values (ValueError, including checkpoint and IDX errors),
# files (OSError), a run that diverged (RuntimeError), a missing optional package, no memory.
USER_ERRORS = (ValueError, OSError, RuntimeError, ImportError, MemoryError)
# The train flags that are settings of the run (TrainConfig fields); None means "not given".
SETTINGS = ("dataset", "model", "hidden", "activation", "epochs", "batch_size", "optimizer", "lr",
            "weight_decay", "scheduler", "dropout", "label_smoothing", "seed")


class Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line (the usage is one --help away)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def hidden_sizes(text: str) -> tuple:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 256,128, got {text!r}") from None
    if not sizes:
        raise argparse.ArgumentTypeError("expected at least one hidden size")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    from .training.config import ACTIVATIONS, DEFAULT_LR, MODELS, SCHEDULERS, TrainConfig

    defaults = TrainConfig()
    parser = Parser(prog="memograd", description="Train, evaluate and explain networks "
                    "trained by backpropagation.", epilog=EPILOG)
    parser.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    train = commands.add_parser("train", help="train a model (default: an MLP on the built-in digits)",
                                description="Train a model; each epoch writes a checkpoint to the run folder. "
                                "With --resume, only --epochs may differ from the run's settings.")
    # Settings default to None (not given), so that --resume can tell what was asked for.
    train.add_argument("--dataset", help="digits, spiral, moons, mnist:PATH or fashion-mnist:PATH "
                       f"(default: {defaults.dataset})")
    train.add_argument("--model", choices=MODELS, help=f"(default: {defaults.model})")
    train.add_argument("--hidden", type=hidden_sizes, help="hidden layer sizes, e.g. 256,128 (default: 256,128)")
    train.add_argument("--activation", choices=ACTIVATIONS, help=f"(default: {defaults.activation})")
    train.add_argument("--epochs", type=int, help=f"(default: {defaults.epochs})")
    train.add_argument("--batch-size", type=int, help=f"(default: {defaults.batch_size})")
    train.add_argument("--optimizer", choices=tuple(DEFAULT_LR), help=f"(default: {defaults.optimizer})")
    train.add_argument("--lr", type=float, help="learning rate (default: per optimizer, adam 1e-3)")
    train.add_argument("--weight-decay", type=float, help=f"(default: {defaults.weight_decay})")
    train.add_argument("--scheduler", choices=SCHEDULERS, help=f"(default: {defaults.scheduler})")
    train.add_argument("--dropout", type=float, help=f"(default: {defaults.dropout})")
    train.add_argument("--label-smoothing", type=float, help=f"(default: {defaults.label_smoothing})")
    train.add_argument("--seed", type=int, help=f"(default: {defaults.seed})")
    train.add_argument("--out", metavar="RUN_DIR", help="run folder (default: runs/latest)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its last checkpoint")
    train.add_argument("--diagnose", action="store_true", help="record gradient flow; writes gradflow.png")
    train.add_argument("--tensorboard", metavar="DIR", help="also log each epoch's losses, accuracies and learning "
                       "rate as TensorBoard event files in DIR (needs the tensorboard package)")
    train.add_argument("--quiet", action="store_true", help="print nothing but errors")

    evaluate = commands.add_parser("evaluate", help="test accuracy, precision/recall, confusion matrix of a run")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")

    predict = commands.add_parser("predict", help="classify an input (.npy, .npz or an image) with a trained run")
    predict.add_argument("run_dir", metavar="RUN_DIR")
    predict.add_argument("input", metavar="INPUT")

    try:
        from .explain.cli import add_subparser
    except ImportError:  # the explain tools are optional at this layer
        pass
    else:
        add_subparser(commands)
    for sub in commands.choices.values():  # `memograd train --debug` works as well as `memograd --debug train`
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "train":
        from .backend import retain_freed_memory
        from .training import TrainConfig, train

        retain_freed_memory()  # a training process reuses its freed arrays (no page faults per step)
        given = {name: getattr(args, name) for name in SETTINGS if getattr(args, name) is not None}
        if args.resume:
            if args.out is not None and os.path.abspath(args.out) != os.path.abspath(args.resume):
                raise ValueError(f"--out {args.out} and --resume {args.resume} name different folders; a resumed run "
                                 "stays in its own folder")
            train(None, args.resume, resume=True, quiet=args.quiet, diagnose=args.diagnose,
                  tensorboard=args.tensorboard, changes=given)
            return 0
        train(TrainConfig(**given), args.out or "runs/latest", quiet=args.quiet, diagnose=args.diagnose,
              tensorboard=args.tensorboard)
        return 0
    if args.command == "evaluate":
        from .training.inference import evaluate

        evaluate(args.run_dir)
        return 0
    if args.command == "predict":
        from .training.inference import predict

        predict(args.run_dir, args.input)
        return 0
    from .explain.cli import run as run_explain

    return run_explain(args)


def one_line(text: str) -> str:
    return " ".join(line.strip() for line in str(text).splitlines() if line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"memograd {args.command}"
    try:
        with warnings.catch_warnings(), np.errstate(**({} if args.debug else {"all": "ignore"})):
            # NumPy's overflow warnings would only repeat, in many lines, what the checks report;
            # other warnings are kept, one line each.
            warnings.showwarning = lambda message, category, *_, **__: print(
                f"{prog}: warning: {one_line(message)}", file=sys.stderr)
            return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`memograd evaluate RUN | head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's final flush
        return 0
    except Exception as err:  # noqa: BLE001 - the one place every error becomes one line
        if args.debug:
            traceback.print_exc()
        if isinstance(err, USER_ERRORS):
            message = one_line(err) or type(err).__name__
            if isinstance(err, MemoryError):
                message = f"out of memory ({message})"
        else:
            message = (f"internal error ({type(err).__name__}: {one_line(err)}); this is a bug in memograd"
                       + ("" if args.debug else ", run again with --debug to see the traceback"))
        where = running_distributed()
        print(f"{prog}{where}: error: {message}", file=sys.stderr, flush=True)
        if where:  # the other processes may be waiting for this one: end the whole job
            from mpi4py import MPI

            MPI.COMM_WORLD.Abort(1)
        return 1


def running_distributed() -> str:
    """' (rank R of N)' when this process trains together with others, else ''."""
    if "memograd.distributed" not in sys.modules:
        return ""
    from . import distributed as dist

    if not dist.is_initialized() or dist.get_world_size() < 2:
        return ""
    return f" (rank {dist.get_rank()} of {dist.get_world_size()})"


if __name__ == "__main__":
    sys.exit(main())
