"""Built-in datasets, each a DatasetSplits of train and test TensorDatasets with a fixed seed.

    data = load_dataset("digits")          # or "spiral", "moons", "mnist:PATH", "fashion-mnist:PATH"
    loader = DataLoader(data.train, batch_size=64, shuffle=True)
"""
from .digits import digits
from .idx import IDXError, read_idx
from .mnist import fashion_mnist, mnist
from .registry import available_datasets, load_dataset, register_dataset
from .splits import DatasetSplits, stratified_split
from .synthetic import moons, spiral

__all__ = [
    "DatasetSplits", "IDXError", "available_datasets", "digits", "fashion_mnist", "load_dataset", "mnist", "moons",
    "read_idx", "register_dataset", "spiral", "stratified_split",
]
