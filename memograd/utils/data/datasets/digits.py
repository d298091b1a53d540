"""scikit-learn's bundled 8x8 handwritten digits (1797 images, no download)."""
from __future__ import annotations

import numpy as np

from .splits import DatasetSplits, make_splits, stratified_split


def digits(test_fraction: float = 0.2, seed: int = 0, flatten: bool = False) -> DatasetSplits:
    """Digits as float32 images in [0, 1] of shape (N, 1, 8, 8), split per class 80/20 with seed 0.

    >>> data = digits(); x, y = data.train.tensors   # x: (1437, 1, 8, 8) float32, y: int64
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:  # scikit-learn is an optional dependency
        raise ImportError("the digits dataset needs scikit-learn: pip install scikit-learn") from err
    bunch = load_digits()
    # Pixel values are counts 0..16 of an original 32x32 bitmap's 4x4 blocks.
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    train_idx, test_idx = stratified_split(labels, test_fraction, seed)
    data = make_splits("digits", images, labels, train_idx, test_idx, [str(d) for d in range(10)])
    return data.flattened() if flatten else data
