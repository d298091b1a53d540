"""DatasetSplits, the train/test pair every built-in dataset returns, and a seeded stratified split."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ....creation import from_numpy
from ..dataset import TensorDataset


@dataclass(frozen=True)
class DatasetSplits:
    """A dataset's train and test TensorDatasets of (inputs, int64 labels), with what a model needs to know."""

    name: str
    train: TensorDataset
    test: TensorDataset
    num_classes: int
    input_shape: tuple
    class_names: tuple

    def flattened(self) -> "DatasetSplits":
        """The same data with each input as a flat vector (views, no copy), for MLPs."""
        size = int(np.prod(self.input_shape))

        def flat(ds: TensorDataset) -> TensorDataset:
            x, y = ds.tensors
            return TensorDataset(from_numpy(x._data.reshape(len(x), size)), y)

        return replace(self, train=flat(self.train), test=flat(self.test), input_shape=(size,))


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test index arrays holding `test_fraction` of every class in the test part."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    generator = np.random.default_rng(seed)
    train, test = [], []
    for cls in np.unique(labels):
        members = generator.permutation(np.flatnonzero(labels == cls))
        n_test = int(round(len(members) * test_fraction))
        test.append(members[:n_test])
        train.append(members[n_test:])
    # Shuffle across classes too, so the stored order carries no label information.
    return generator.permutation(np.concatenate(train)), generator.permutation(np.concatenate(test))


def from_arrays(name: str, train: tuple, test: tuple, class_names) -> DatasetSplits:
    """DatasetSplits from (inputs, labels) array pairs; inputs keep their dtype, labels become int64."""

    def part(x: np.ndarray, y: np.ndarray) -> TensorDataset:
        return TensorDataset(from_numpy(np.ascontiguousarray(x)), from_numpy(y.astype(np.int64)))

    x_train = train[0]
    return DatasetSplits(name, part(*train), part(*test), len(class_names), tuple(x_train.shape[1:]),
                         tuple(class_names))


def make_splits(name: str, x: np.ndarray, y: np.ndarray, train_idx, test_idx, class_names) -> DatasetSplits:
    """DatasetSplits of the rows of `x`, `y` at `train_idx` and at `test_idx`."""
    return from_arrays(name, (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx]), class_names)
