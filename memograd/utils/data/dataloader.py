"""DataLoader: iterate over a dataset in (optionally shuffled) batches."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ...random import Generator, rng
from .collate import default_collate
from .dataset import Dataset, batch_reader


class DataLoader:
    """Batches of `dataset`, in order or reshuffled every epoch.

    Shuffling draws a fresh permutation from `generator` (or the global generator, seeded by
    `memograd.manual_seed`) at the start of each epoch: the same seed gives the same sequence
    of epochs. A TensorDataset (or a Subset of one) is batched by fancy-indexing whole arrays,
    unless a subclass defines its own `__getitem__`, which is then called for every item.
    `sampler` (any iterable of indices with a length, such as DistributedSampler) replaces the
    built-in order and excludes `shuffle`, as in PyTorch. `num_workers` and `pin_memory` are
    accepted for PyTorch compatibility and ignored.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    >>> for xb, yb in loader: ...
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: Generator | None = None,
        collate_fn: Callable | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
        sampler=None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        return rng(self.generator).permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator:
        order = self._order()
        fast = batch_reader(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if fast is not None:
                yield fast(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])
