"""default_collate: turn a list of samples into one batch, structure by structure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ... import dtypes
from ...creation import from_numpy
from ...ops.shape import stack
from ...tensor import Tensor


def default_collate(batch: list):
    """Stack a list of samples into a batch, keeping each sample's structure.

    Tensors and NumPy arrays are stacked along a new first axis (their dtype kept); Python
    floats become the default float dtype, ints int64, bools bool; tuples, lists and dicts
    are collated field by field; strings and anything else stay a list.

    >>> default_collate([(memograd.zeros(2), 0), (memograd.ones(2), 1)])
    (tensor([[0., 0.], [1., 1.]]), tensor([0, 1]))
    """
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    first = batch[0]
    if isinstance(first, Tensor):
        if any(t.requires_grad for t in batch):
            return stack(batch)  # keep the graph, as torch.stack would
        return from_numpy(np.stack([t._data for t in batch]))
    if isinstance(first, (np.ndarray, np.generic)):
        return from_numpy(np.stack([np.asarray(a) for a in batch]))
    if isinstance(first, bool):
        return from_numpy(np.array(batch, dtype=dtypes.bool_))
    if isinstance(first, int):
        return from_numpy(np.array(batch, dtype=dtypes.int64))
    if isinstance(first, float):
        return from_numpy(np.array(batch, dtype=dtypes.get_default_dtype()))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("default_collate: every sample in a batch must have the same number of fields")
        fields = [default_collate(list(column)) for column in zip(*batch)]
        if hasattr(first, "_fields"):  # a namedtuple keeps its type
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    return list(batch)
