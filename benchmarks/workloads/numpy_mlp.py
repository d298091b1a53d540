"""The MLP training step written by hand in NumPy: the floor for a NumPy engine.

Forward with one matmul, one in-place bias add and one in-place ReLU per layer; softmax
cross-entropy fused; backward with the two matmuls and a sum per layer; SGD in place.
As in the frameworks, all gradients exist before the update (an optimizer's contract),
and each activation is released as soon as the backward pass has used it."""
from __future__ import annotations

import statistics
import time

import numpy as np


def cross_entropy_forward(logits: np.ndarray, y: np.ndarray, rows: np.ndarray) -> tuple:
    """Mean softmax cross-entropy and the softmax probabilities (computed in place of a temporary)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    total = probs.sum(axis=1, keepdims=True)
    loss = np.log(total).mean() - shifted[rows, y].mean()
    probs /= total
    return loss, probs


def cross_entropy_backward(probs: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    g = probs  # reused in place: the probabilities are not needed again
    g[rows, y] -= 1
    g /= len(y)
    return g


class NumpyMLP:
    def __init__(self, arrays: list, x: np.ndarray, y: np.ndarray, lr: float):
        self.params = [a.copy() for a in arrays]
        self.x, self.y, self.lr = x, y, lr
        self.rows = np.arange(len(y))
        self.acts = self.probs = self.grads = None

    def forward(self) -> float:
        ps = self.params
        h = self.x
        acts = [h]
        for i in range(0, len(ps), 2):
            h = h @ ps[i].T
            h += ps[i + 1]
            if i < len(ps) - 2:
                np.maximum(h, 0, out=h)
                acts.append(h)
        loss, self.probs = cross_entropy_forward(h, self.y, self.rows)
        self.acts = acts
        return float(loss)

    def backward(self) -> None:
        ps, acts = self.params, self.acts
        g = cross_entropy_backward(self.probs, self.y, self.rows)
        self.probs = None
        grads = [None] * len(ps)
        for i in range(len(ps) - 2, -1, -2):
            a = acts.pop()
            grads[i] = g.T @ a
            grads[i + 1] = g.sum(axis=0)
            if i > 0:
                g = g @ ps[i]
                g *= a > 0
        self.acts = None
        self.grads = grads

    def update(self) -> None:
        for p, g in zip(self.params, self.grads):
            g *= self.lr
            p -= g

    def __call__(self) -> float:
        loss = self.forward()
        self.backward()
        self.update()
        return loss

    def loss_value(self, loss) -> float:
        return float(loss)

    def clear(self) -> None:
        self.grads = None

    def phases(self, repeats: int) -> dict:
        samples = {"forward": [], "backward": [], "update": []}
        for _ in range(repeats):
            self.grads = None
            t0 = time.perf_counter()
            self.forward()
            t1 = time.perf_counter()
            self.backward()
            t2 = time.perf_counter()
            self.update()
            t3 = time.perf_counter()
            samples["forward"].append(t1 - t0)
            samples["backward"].append(t2 - t1)
            samples["update"].append(t3 - t2)
        return {k: statistics.median(v) for k, v in samples.items()}
