"""Two-dimensional toy problems generated in NumPy: interleaved spirals and two moons."""
from __future__ import annotations

import numpy as np

from .splits import DatasetSplits, make_splits, stratified_split


def _check(n_samples: int, noise: float) -> None:
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}")
    if noise < 0:
        raise ValueError(f"noise must be non-negative, got {noise}")


def spiral(n_samples: int = 600, num_classes: int = 3, noise: float = 0.2, seed: int = 0,
           test_fraction: float = 0.2) -> DatasetSplits:
    """`num_classes` spiral arms of float32 points in the plane; not linearly separable.

    >>> data = spiral(n_samples=300, noise=0.1); data.num_classes
    3
    """
    _check(n_samples, noise)
    if num_classes < 2 or num_classes > n_samples:
        raise ValueError(f"num_classes must be between 2 and n_samples, got {num_classes}")
    generator = np.random.default_rng(seed)
    labels = np.arange(n_samples) % num_classes
    radius = np.empty(n_samples)
    for cls in range(num_classes):
        members = labels == cls
        radius[members] = np.linspace(0.0, 1.0, members.sum())
    # Each arm turns through 4 radians; arm k starts k/num_classes of a full turn further on.
    angle = 4.0 * radius + labels * (2 * np.pi / num_classes) + generator.normal(0.0, noise, n_samples)
    points = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1).astype(np.float32)
    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    return make_splits("spiral", points, labels, train_idx, test_idx, [f"arm {k}" for k in range(num_classes)])


def moons(n_samples: int = 600, noise: float = 0.1, seed: int = 0, test_fraction: float = 0.2) -> DatasetSplits:
    """Two interleaving half circles of float32 points with Gaussian noise (like sklearn's make_moons).

    >>> data = moons(noise=0.2); data.input_shape
    (2,)
    """
    _check(n_samples, noise)
    generator = np.random.default_rng(seed)
    n_upper = n_samples // 2 + n_samples % 2
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_samples - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    points = np.concatenate([upper, lower]) + generator.normal(0.0, noise, (n_samples, 2))
    labels = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_samples - n_upper, np.int64)])
    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    return make_splits("moons", points.astype(np.float32), labels, train_idx, test_idx, ["upper", "lower"])
