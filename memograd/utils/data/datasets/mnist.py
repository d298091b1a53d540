"""MNIST and Fashion-MNIST from local IDX files (this library never downloads)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...safe_io import open_regular
from .idx import IDXError, read_idx
from .splits import DatasetSplits, from_arrays

FILE_STEMS = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def _candidates(stem: str) -> list[str]:
    # Some mirrors write "train-images.idx3-ubyte" instead of "train-images-idx3-ubyte".
    dotted = stem.replace("-idx", ".idx")
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def _find(root: Path, stem: str, subdirs: tuple[str, ...]) -> Path:
    folders = [root] + [root / sub for sub in subdirs]
    for folder in folders:
        for name in _candidates(stem):
            candidate = folder / name
            if candidate.is_file():
                return candidate
            if os.path.lexists(candidate) and not candidate.is_dir():
                # A FIFO, a device, a dangling or looping link: name it rather than say "missing".
                with open_regular(candidate, "IDX file", IDXError):
                    pass  # raises, naming what the path is
    raise FileNotFoundError(
        f"missing {stem!r}: none of {_candidates(stem)} found in {', '.join(str(f) for f in folders)}; "
        f"expected the four files {sorted(FILE_STEMS.values())} (raw or .gz)"
    )


def _load(name: str, path: str | os.PathLike, subdirs: tuple[str, ...], class_names, flatten: bool) -> DatasetSplits:
    root = Path(path).expanduser()
    if not root.is_dir():
        expected = sorted(FILE_STEMS.values())
        raise FileNotFoundError(f"{name}: {root} is not a directory holding the IDX files {expected}")
    files = {key: _find(root, stem, subdirs) for key, stem in FILE_STEMS.items()}
    parts = {}
    for split in ("train", "test"):
        images = read_idx(files[f"{split}_images"], ndim=3)
        labels = read_idx(files[f"{split}_labels"], ndim=1)
        if len(images) != len(labels):
            raise IDXError(f"{files[f'{split}_labels']}: {len(labels)} labels for {len(images)} images "
                           f"in {files[f'{split}_images']}")
        if labels.dtype.kind not in "iu":
            raise IDXError(f"{files[f'{split}_labels']}: labels must be integers, found IDX values of type "
                           f"{labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= len(class_names)):
            raise IDXError(f"{files[f'{split}_labels']}: labels must lie in 0..{len(class_names) - 1}")
        parts[split] = ((images.astype(np.float32) / 255.0)[:, None], labels)
    data = from_arrays(name, parts["train"], parts["test"], class_names)
    return data.flattened() if flatten else data


def mnist(path: str | os.PathLike, flatten: bool = False) -> DatasetSplits:
    """MNIST digits from the IDX files in `path` (or path/MNIST/raw): float32 (N, 1, 28, 28) in [0, 1].

    >>> data = mnist("~/data/mnist")
    """
    return _load("mnist", path, ("raw", "MNIST/raw"), [str(d) for d in range(10)], flatten)


def fashion_mnist(path: str | os.PathLike, flatten: bool = False) -> DatasetSplits:
    """Fashion-MNIST from the IDX files in `path` (or path/FashionMNIST/raw), shaped as `mnist`."""
    return _load("fashion-mnist", path, ("raw", "FashionMNIST/raw"), FASHION_CLASSES, flatten)
