"""`memograd evaluate` and `memograd predict`: a trained run used by forward inference alone."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import load, no_grad, tensor
from .checks import LOAD_ERRORS, check_memory, check_weights
from .config import TrainConfig
from .data import load_run_data
from .inputs import read_input
from .metrics import confusion_matrix, infer, precision_recall, softmax
from .models import build_model
from .plots import plot_confusion
from .runner import CONFIG, MODEL


def load_run(run_dir: str | Path):
    """(config, dataset splits, input standardizer, model with the trained weights) of a run folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir} is not a folder (expected a memograd run folder)")
    config = TrainConfig.load(run_dir / CONFIG)
    if not (run_dir / MODEL).exists():
        raise FileNotFoundError(f"{run_dir / MODEL} is missing: the run has not finished an epoch")
    weights = check_weights(load(run_dir / MODEL), str(run_dir / MODEL))
    data, standardize = load_run_data(config.dataset)
    check_memory(config, data.input_shape, data.num_classes, 1)
    model = build_model(config, data.input_shape, data.num_classes)
    try:
        model.load_state_dict(weights)
    except LOAD_ERRORS as err:
        raise ValueError(f"{run_dir / MODEL} does not fit the model described by {run_dir / CONFIG}: {err}") from None
    model.eval()
    return config, data, standardize, model


def class_names(data) -> list[str]:
    names = getattr(data, "class_names", None)
    return [str(n) for n in names] if names else [str(i) for i in range(data.num_classes)]


def evaluate(run_dir: str | Path) -> dict:
    """Test accuracy, per-class precision/recall and the confusion matrix (printed, and
    saved as confusion.png in the run folder)."""
    run_dir = Path(run_dir)
    config, data, _, model = load_run(run_dir)
    logits, labels, loss = infer(model, data.test, label_smoothing=config.label_smoothing)
    predicted = logits.argmax(1)
    counts = confusion_matrix(labels, predicted, data.num_classes)
    precision, recall = precision_recall(counts)
    names = class_names(data)
    accuracy = float((predicted == labels).mean())
    width = max(len(n) for n in names + ["class"])
    lines = [f"{config.model} on {config.dataset}: test accuracy {100 * accuracy:.2f}% "
             f"({int((predicted == labels).sum())}/{len(labels)}), test loss {loss:.4f}", "",
             f"{'class':>{width}}  precision  recall  support"]
    for i, name in enumerate(names):
        lines.append(f"{name:>{width}}  {precision[i]:9.3f}  {recall[i]:6.3f}  {counts[i].sum():7d}")
    lines += ["", "confusion matrix (rows: true class, columns: predicted)"]
    cell = max(len(str(counts.max())), max(len(n) for n in names)) + 1
    lines.append(" " * (width + 1) + "".join(f"{n:>{cell}}" for n in names))
    for i, name in enumerate(names):
        lines.append(f"{name:>{width}} " + "".join(f"{c:>{cell}}" for c in counts[i]))
    print("\n".join(lines))
    plot_confusion(counts, names, run_dir / "confusion.png")
    print(f"\nconfusion matrix saved to {run_dir / 'confusion.png'}")
    return {"accuracy": accuracy, "loss": loss, "confusion": counts, "precision": precision, "recall": recall}


def predict(run_dir: str | Path, input_path: str | Path) -> np.ndarray:
    """Print the predicted class and its probabilities for each input; return the probabilities."""
    _, data, standardize, model = load_run(run_dir)
    x = standardize(read_input(input_path, data.input_shape))
    with no_grad():
        logits = model(tensor(x)).numpy()
    if not np.isfinite(logits).all():
        raise ValueError(f"{input_path}: the model's output is NaN or infinite for these inputs (values far outside "
                         "the range it was trained on?)")
    probabilities = softmax(logits)
    names = class_names(data)
    for i, p in enumerate(probabilities):
        best = int(p.argmax())
        shown = "  ".join(f"{names[k]}:{p[k]:.3f}" for k in np.argsort(p)[::-1][:5])
        prefix = f"[{i}] " if len(probabilities) > 1 else ""
        print(f"{prefix}predicted {names[best]} (p={p[best]:.3f})   top: {shown}")
    return probabilities
