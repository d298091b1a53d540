"""The CNN training step written by hand in NumPy (the floor):

    conv 1->32 3x3 pad 1, ReLU, conv 32->64 3x3 pad 1, ReLU, maxpool 2, flatten,
    linear 1024->128, ReLU, linear 128->10, cross-entropy, SGD

Activations are kept channels-last (N, H, W, C) so that each convolution is one
sliding_window_view copy (im2col, columns in (KH, KW, C) order, so that the copy moves runs
of C contiguous values) and one matmul, whose result is already channels-last. Padding
buffers are allocated once and only their interior is written. The shared weights are
re-laid out once at set-up: conv weights as (KH*KW*C, O) matrices, and the first linear
layer's columns permuted from PyTorch's (C, H, W) flatten order to (H, W, C).
(Until issue 15 the columns were in PyTorch's (C, KH, KW) order: the same copy moved single
values 32 floats apart and took 20 ms instead of 0.5 ms, single-threaded.)"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .numpy_mlp import cross_entropy_backward, cross_entropy_forward


def windows(padded):
    """(N, 8, 8, 3, 3, C): every 3x3 window of a padded channels-last batch, copied."""
    return np.ascontiguousarray(sliding_window_view(padded, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3))


class NumpyCNN:
    def __init__(self, arrays: list, x: np.ndarray, y: np.ndarray, lr: float):
        w1, b1, w2, b2, f1, c1, f2, c2 = (a.copy() for a in arrays)
        self.k1 = np.ascontiguousarray(w1.transpose(2, 3, 1, 0).reshape(9, 32))  # rows (kh, kw, c)
        self.k2 = np.ascontiguousarray(w2.transpose(2, 3, 1, 0).reshape(288, 64))
        self.f1 = np.ascontiguousarray(f1.reshape(128, 64, 4, 4).transpose(0, 2, 3, 1).reshape(128, 1024))
        self.b1, self.b2, self.c1, self.f2, self.c2 = b1, b2, c1, f2, c2
        n = len(y)
        self.x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))  # (N, 8, 8, 1)
        self.y, self.lr, self.rows = y, lr, np.arange(n)
        self.pad1 = np.zeros((n, 10, 10, 1), np.float32)
        self.pad2 = np.zeros((n, 10, 10, 32), np.float32)
        self.gpad2 = np.zeros((n, 10, 10, 32), np.float32)

    def __call__(self) -> float:
        n = len(self.y)
        # forward
        self.pad1[:, 1:9, 1:9] = self.x
        cols1 = windows(self.pad1).reshape(n * 64, 9)
        h1 = cols1 @ self.k1
        h1 += self.b1
        np.maximum(h1, 0, out=h1)
        self.pad2[:, 1:9, 1:9] = h1.reshape(n, 8, 8, 32)
        cols2 = windows(self.pad2).reshape(n * 64, 288)
        h2 = cols2 @ self.k2
        h2 += self.b2
        np.maximum(h2, 0, out=h2)
        h2w = h2.reshape(n, 4, 2, 4, 2, 64)
        pooled = h2w.max(axis=(2, 4))  # (N, 4, 4, 64)
        flat = pooled.reshape(n, 1024)
        z = flat @ self.f1.T
        z += self.c1
        np.maximum(z, 0, out=z)
        logits = z @ self.f2.T
        logits += self.c2
        loss, probs = cross_entropy_forward(logits, self.y, self.rows)
        # backward
        g = cross_entropy_backward(probs, self.y, self.rows)
        g_f2, g_c2 = g.T @ z, g.sum(axis=0)
        gz = g @ self.f2
        gz *= z > 0
        g_f1, g_c1 = gz.T @ flat, gz.sum(axis=0)
        gflat = gz @ self.f1
        gflat *= flat > 0  # ReLU before the pool: a window whose max is 0 passes nothing
        gh2 = gflat.reshape(n, 4, 1, 4, 1, 64) * (h2w == pooled.reshape(n, 4, 1, 4, 1, 64))
        gh2 = gh2.reshape(n * 64, 64)
        g_k2, g_b2 = cols2.T @ gh2, gh2.sum(axis=0)
        gcols2 = (gh2 @ self.k2.T).reshape(n, 8, 8, 3, 3, 32)
        gpad = self.gpad2
        gpad.fill(0)
        for i in range(3):
            for j in range(3):
                gpad[:, i:i + 8, j:j + 8] += gcols2[:, :, :, i, j]
        gh1 = gpad[:, 1:9, 1:9] * (h1.reshape(n, 8, 8, 32) > 0)
        gh1 = gh1.reshape(n * 64, 32)
        g_k1, g_b1 = cols1.T @ gh1, gh1.sum(axis=0)
        # SGD
        for p, gp in ((self.k1, g_k1), (self.b1, g_b1), (self.k2, g_k2), (self.b2, g_b2), (self.f1, g_f1),
                      (self.c1, g_c1), (self.f2, g_f2), (self.c2, g_c2)):
            gp *= self.lr
            p -= gp
        return float(loss)

    def loss_value(self, loss) -> float:
        return float(loss)
