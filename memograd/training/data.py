"""The data a run trains on: a built-in dataset with its inputs standardised.

Each input feature (pixel) is shifted and scaled by the mean and spread it has over the
training split. The split is fixed by the dataset's seed, so evaluate and predict recompute
exactly the same statistics: nothing extra has to be stored in the run folder."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..creation import from_numpy
from ..utils.data import TensorDataset, load_dataset

# Added to each feature's standard deviation: pixels that are almost always blank (the
# borders of digits) would otherwise be blown up by tiny spreads.
SPREAD_FLOOR = 0.1


class Standardizer:
    def __init__(self, train_inputs: np.ndarray):
        self.mean = train_inputs.mean(axis=0)
        self.scale = 1.0 / (train_inputs.std(axis=0) + SPREAD_FLOOR)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return ((inputs - self.mean) * self.scale).astype(np.float32)


def load_run_data(spec: str):
    """(dataset splits with standardised inputs, the standardizer for new inputs)."""
    data = load_dataset(spec)
    x_train, y_train = data.train.tensors
    x_test, y_test = data.test.tensors
    for split, x in (("training", x_train), ("test", x_test)):
        if len(x) == 0:
            raise ValueError(f"dataset {spec!r} has no {split} examples")
        bad = int(np.size(x._data) - np.count_nonzero(np.isfinite(x._data)))
        if bad:
            raise ValueError(f"dataset {spec!r}: its {split} inputs hold {bad} NaN or infinite values")
    standardize = Standardizer(x_train.numpy())
    data = replace(data, train=TensorDataset(from_numpy(standardize(x_train.numpy())), y_train),
                   test=TensorDataset(from_numpy(standardize(x_test.numpy())), y_test))
    return data, standardize
