"""Datasets and batching, with PyTorch's names (`torch.utils.data`).

    from memograd.utils.data import DataLoader, TensorDataset
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
"""
from . import datasets, distributed
from .collate import default_collate
from .dataloader import DataLoader
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset
from .datasets import DatasetSplits, load_dataset
from .distributed import DistributedSampler
from .split import random_split

__all__ = [
    "ConcatDataset", "DataLoader", "Dataset", "DatasetSplits", "DistributedSampler", "Subset", "TensorDataset",
    "datasets", "default_collate", "distributed", "load_dataset", "random_split",
]
