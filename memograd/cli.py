"""`memograd train | evaluate | predict | explain`: a thin layer over memograd.training."""
from __future__ import annotations

import argparse
import os
import sys

EPILOG = "Run `memograd COMMAND --help` for a command's options."


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
    parser = argparse.ArgumentParser(prog="memograd", description="Train, evaluate and explain networks "
                                     "trained by backpropagation.", epilog=EPILOG)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    train = commands.add_parser("train", help="train a model (default: an MLP on the built-in digits)",
                                description="Train a model; each epoch writes a checkpoint to the run folder.")
    train.add_argument("--dataset", default=defaults.dataset,
                       help="digits, spiral, moons, mnist:PATH or fashion-mnist:PATH (default: %(default)s)")
    train.add_argument("--model", choices=MODELS, default=defaults.model)
    train.add_argument("--hidden", type=hidden_sizes, default=defaults.hidden,
                       help="hidden layer sizes, e.g. 256,128 (default: 256,128)")
    train.add_argument("--activation", choices=ACTIVATIONS, default=defaults.activation)
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--optimizer", choices=tuple(DEFAULT_LR), default=defaults.optimizer)
    train.add_argument("--lr", type=float, default=None, help="learning rate (default: per optimizer, adam 1e-3)")
    train.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    train.add_argument("--scheduler", choices=SCHEDULERS, default=defaults.scheduler)
    train.add_argument("--dropout", type=float, default=defaults.dropout)
    train.add_argument("--label-smoothing", type=float, default=defaults.label_smoothing)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--out", default="runs/latest", metavar="RUN_DIR", help="run folder (default: %(default)s)")
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
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "train":
        from .backend import retain_freed_memory
        from .training import TrainConfig, train

        retain_freed_memory()  # a training process reuses its freed arrays (no page faults per step)
        if args.resume:
            train(TrainConfig(), args.resume, resume=True, quiet=args.quiet, diagnose=args.diagnose,
                  tensorboard=args.tensorboard)
            return 0
        config = TrainConfig(dataset=args.dataset, model=args.model, hidden=args.hidden,
                             activation=args.activation, epochs=args.epochs, batch_size=args.batch_size,
                             optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay,
                             scheduler=args.scheduler, dropout=args.dropout,
                             label_smoothing=args.label_smoothing, seed=args.seed)
        train(config, args.out, quiet=args.quiet, diagnose=args.diagnose, tensorboard=args.tensorboard)
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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`memograd evaluate RUN | head`): not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the interpreter's final flush
        return 0
    except (ValueError, FileNotFoundError, RuntimeError, OSError, KeyError, ImportError) as err:
        message = str(err) if not isinstance(err, KeyError) else f"missing entry {err}"
        message = " ".join(line.strip() for line in message.splitlines() if line.strip())  # one line
        print(f"memograd {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
