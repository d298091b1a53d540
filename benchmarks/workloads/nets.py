"""Initial weights and data shared by all implementations, and the models built with the
PyTorch API. memograd mirrors that API, so one function builds the model for either
library (`lib` is the memograd or the torch module)."""
from __future__ import annotations

import itertools

import numpy as np

LR = 0.01

# ---- weights and data (NumPy, float32) ---------------------------------------------------


def _uniform(rng, bound: float, shape) -> np.ndarray:
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def mlp_weights(sizes: tuple, rng) -> list:
    """[W1, b1, W2, b2, ...] with W (out, in), as nn.Linear's default init."""
    arrays = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = 1 / np.sqrt(fan_in)
        arrays += [_uniform(rng, bound, (fan_out, fan_in)), _uniform(rng, bound, fan_out)]
    return arrays


def mlp_data(sizes: tuple, batch: int, rng) -> tuple:
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int64)
    return x, y


CNN_SHAPES = [(32, 1, 3, 3), (32,), (64, 32, 3, 3), (64,), (128, 1024), (128,), (10, 128), (10,)]


def cnn_weights(rng) -> list:
    arrays = []
    for w_shape, b_shape in zip(CNN_SHAPES[::2], CNN_SHAPES[1::2]):
        bound = 1 / np.sqrt(np.prod(w_shape[1:]))
        arrays += [_uniform(rng, bound, w_shape), _uniform(rng, bound, b_shape)]
    return arrays


def cnn_data(batch: int, rng) -> tuple:
    """The first `batch` of scikit-learn's 8x8 digits in [0, 1], (N, 1, 8, 8); random
    images of the same shape when scikit-learn is missing."""
    try:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        x = (bunch.images[:batch] / 16.0).astype(np.float32)[:, None]
        y = bunch.target[:batch].astype(np.int64)
    except ImportError:
        x = rng.random((batch, 1, 8, 8), dtype=np.float32)
        y = rng.integers(0, 10, batch).astype(np.int64)
    return x, y


# ---- models with the PyTorch API (memograd or torch) -------------------------------------


def mlp_model(lib, sizes: tuple):
    nn = lib.nn
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        if i:
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def cnn_model(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True),
        nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(1024, 128), nn.ReLU(inplace=True),
        nn.Linear(128, 10),
    )


def load_weights(lib, model, arrays: list) -> None:
    """Copy the shared NumPy weights into the model's parameters, in parameters() order."""
    params = list(model.parameters())
    if len(params) != len(arrays):
        raise ValueError(f"{len(params)} parameters, {len(arrays)} arrays")
    with lib.no_grad():
        for p, a in zip(params, arrays):
            if tuple(p.shape) != a.shape:
                raise ValueError(f"parameter {tuple(p.shape)} vs array {a.shape}")
            p.copy_(lib.from_numpy(a.copy()))


def as_tensors(lib, x: np.ndarray, y: np.ndarray) -> tuple:
    return lib.from_numpy(x.copy()), lib.from_numpy(y.copy())
