"""DataLoader: iterate over a dataset in batches chosen by a sampler."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ...random import Generator
from .collate import default_collate
from .dataset import Dataset, batch_reader
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Batches of `dataset`, with PyTorch's arguments and their checks.

    The order comes from `sampler` (default: in order, or a fresh random permutation every
    epoch with `shuffle=True`, drawn from `generator` or from the global generator seeded by
    `memograd.manual_seed`), grouped into batches of `batch_size` by a BatchSampler, or
    given whole by `batch_sampler`. `batch_size=None` turns batching off: the loader then
    yields the samples one by one, as they are. A TensorDataset (or a Subset of one) is
    batched by fancy-indexing whole arrays, unless a subclass defines its own `__getitem__`,
    which is then called for every item. `num_workers` and `pin_memory` are accepted
    for PyTorch compatibility; loading always happens in the calling process.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    >>> for xb, yb in loader: ...
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | None = None,
        batch_sampler: Sampler | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        generator: Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)  # checks batch_size and drop_last
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator:
        if self.batch_sampler is None:  # batching turned off: the samples one by one
            for index in self.sampler:
                item = self.dataset[index]
                yield item if self.collate_fn is None else self.collate_fn(item)
            return
        fast = batch_reader(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        for indices in self._batches():
            if fast is not None:
                yield fast(np.asarray(indices, dtype=np.int64))
            else:
                yield collate([self.dataset[i] for i in indices.tolist()] if isinstance(indices, np.ndarray)
                              else [self.dataset[i] for i in indices])

    def _batches(self) -> Iterator:
        """Index batches. The usual case (a BatchSampler over the default sampler) is cut
        from one index array rather than built index by index."""
        batches = self.batch_sampler
        if type(batches) is BatchSampler and type(batches.sampler) in (SequentialSampler, RandomSampler):
            order = np.fromiter(batches.sampler, dtype=np.int64)
            size = batches.batch_size
            for start in range(0, len(batches) * size, size):
                yield order[start:start + size]
            return
        yield from batches
