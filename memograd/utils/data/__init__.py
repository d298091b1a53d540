"""Datasets and batching, with PyTorch's names (`torch.utils.data`).

    from memograd.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
"""
from . import datasets, distributed
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
)
from .datasets import DatasetSplits, load_dataset
from .distributed import DistributedSampler
from .split import random_split

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "DatasetSplits", "DistributedSampler", "RandomSampler",
    "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
    "datasets", "default_collate", "distributed", "load_dataset", "random_split",
]


def __getattr__(name: str):
    """A PyTorch name this namespace lacks raises NotImplementedError naming it (memograd.unsupported)."""
    from ...unsupported import missing

    raise missing("torch.utils.data", name)
