"""Map-style datasets: anything with `__getitem__(i)` and `__len__()`.

`batch_reader(dataset)` gives a TensorDataset (or a Subset of one) a way to collate a whole
batch with one fancy-index per tensor instead of a Python loop over items, which is most of a
small model's epoch time otherwise. Only where `__getitem__` is TensorDataset's own: a subclass
that defines its own `__getitem__` has it called for every item, as in PyTorch."""
from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from ...creation import from_numpy
from ...tensor import Tensor


class Dataset:
    """Base class of map-style datasets; subclasses define `__getitem__` and `__len__`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: "Dataset") -> "ConcatDataset":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension.

    >>> ds = TensorDataset(memograd.randn(10, 3), memograd.arange(10))
    >>> x, y = ds[0]
    """

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, not a Tensor")
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is 0-d; every tensor needs a first dimension")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: tensors must have the same first dimension, got sizes {sizes}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _get_batch(self, indices: np.ndarray) -> tuple:
        # The data are detached copies, as a collated batch of items would be.
        return tuple(from_numpy(t._data[indices]) for t in self.tensors)


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = [int(i) for i in indices]

    def __getitem__(self, index):
        if isinstance(index, (list, tuple, np.ndarray)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def batch_reader(dataset):
    """A function from an index array to the collated batch at those indices, when `dataset`'s
    items are rows of tensors by construction: a TensorDataset whose `__getitem__` is its own,
    or a Subset of one. None for any other dataset (its items are read one by one)."""
    kind = type(dataset).__getitem__
    if kind is TensorDataset.__getitem__:
        return dataset._get_batch
    if kind is Subset.__getitem__:
        inner = batch_reader(dataset.dataset)
        if inner is not None:
            positions = np.asarray(dataset.indices, dtype=np.int64)
            return lambda indices: inner(positions[indices])
    return None


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets: Sequence[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: give at least one dataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index out of range for length {len(self)}")
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]
