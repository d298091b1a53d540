"""Forward inference over a dataset, and the numbers reported about it."""
from __future__ import annotations

import numpy as np

from .. import no_grad
from ..nn import functional as F
from ..utils.data import DataLoader


def infer(model, dataset, batch_size: int = 512, label_smoothing: float = 0.0) -> tuple[np.ndarray, np.ndarray, float]:
    """Logits, labels and mean cross-entropy over `dataset`, by forward inference alone:
    eval mode, and no graph recorded. `label_smoothing` should be the training loss's, so
    that training and held-out losses measure the same thing."""
    was_training = model.training
    model.eval()
    logits, labels, total = [], [], 0.0
    with no_grad():
        for x, y in DataLoader(dataset, batch_size=batch_size):
            out = model(x)
            total += F.cross_entropy(out, y, reduction="sum", label_smoothing=label_smoothing).item()
            logits.append(out.numpy())
            labels.append(y.numpy())
    model.train(was_training)
    labels_all = np.concatenate(labels)
    return np.concatenate(logits), labels_all, total / max(len(labels_all), 1)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """counts[true, predicted]."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def precision_recall(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision (of the predictions of a class, how many were right) and recall
    (of the examples of a class, how many were found); 0 where undefined."""
    hits = np.diag(counts).astype(np.float64)
    predicted = counts.sum(axis=0)
    actual = counts.sum(axis=1)
    precision = np.divide(hits, predicted, out=np.zeros_like(hits), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros_like(hits), where=actual > 0)
    return precision, recall


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
