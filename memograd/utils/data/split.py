"""random_split: disjoint random subsets of given lengths or fractions."""
from __future__ import annotations

import math
from collections.abc import Sequence

from ...random import Generator, rng
from .dataset import Dataset, Subset


def _lengths_from_fractions(fractions: Sequence[float], total: int) -> list[int]:
    if any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6):
        raise ValueError(f"random_split: fractions must be non-negative and sum to 1, got {list(fractions)}")
    lengths = [int(math.floor(total * f)) for f in fractions]
    # Hand the rounding remainder out one by one, as PyTorch does, so the lengths sum to `total`.
    for i in range(total - sum(lengths)):
        lengths[i % len(lengths)] += 1
    return lengths


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: Generator | None = None) -> list[Subset]:
    """Split `dataset` into non-overlapping random Subsets.

    `lengths` are item counts summing to len(dataset), or fractions summing to 1.
    The permutation comes from `generator` (or the global one), so a seed fixes the split.

    >>> train, val = random_split(ds, [0.8, 0.2], generator=memograd.Generator(0))
    """
    total = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(n, float) for n in lengths) and sum(lengths) <= 1 + 1e-6:
        lengths = _lengths_from_fractions(lengths, total)
    if any(int(n) != n or n < 0 for n in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions, got {lengths}")
    if sum(lengths) != total:
        raise ValueError(f"random_split: lengths sum to {sum(lengths)}, but the dataset has {total} items")
    order = rng(generator).permutation(total)
    subsets, start = [], 0
    for n in lengths:
        subsets.append(Subset(dataset, order[start:start + int(n)].tolist()))
        start += int(n)
    return subsets
