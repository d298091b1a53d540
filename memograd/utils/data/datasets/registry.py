"""load_dataset: built-in datasets by name, as the CLI names them ("digits", "mnist:PATH", ...)."""
from __future__ import annotations

from collections.abc import Callable

from .digits import digits
from .mnist import fashion_mnist, mnist
from .splits import DatasetSplits
from .synthetic import moons, spiral

# name -> (loader, whether the spec must carry a path after the colon)
_REGISTRY: dict[str, tuple[Callable[..., DatasetSplits], bool]] = {
    "digits": (digits, False),
    "spiral": (spiral, False),
    "moons": (moons, False),
    "mnist": (mnist, True),
    "fashion-mnist": (fashion_mnist, True),
}


def register_dataset(name: str, loader: Callable[..., DatasetSplits], needs_path: bool = False) -> None:
    """Make `load_dataset(name)` (or `name:PATH` when `needs_path`) call `loader`."""
    _REGISTRY[name.lower()] = (loader, needs_path)


def available_datasets() -> list[str]:
    return sorted(_REGISTRY)


def load_dataset(spec: str, **kwargs) -> DatasetSplits:
    """Load a dataset from a spec: "digits", "spiral", "moons", "mnist:PATH" or "fashion-mnist:PATH".

    Keyword arguments go to the loader (e.g. `n_samples=`, `noise=`, `flatten=True`).

    >>> data = load_dataset("digits"); data.num_classes, data.input_shape
    (10, (1, 8, 8))
    """
    # Split at the first colon only, so that paths such as C:\\data survive.
    name, sep, path = spec.partition(":")
    key = name.strip().lower().replace("_", "-")
    if key not in _REGISTRY:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(available_datasets())}")
    loader, needs_path = _REGISTRY[key]
    if needs_path:
        if not path:
            raise ValueError(f"dataset {key!r} reads local IDX files: write it as '{key}:PATH' "
                             f"(e.g. '{key}:data/{key}')")
        return loader(path, **kwargs)
    if sep:
        raise ValueError(f"dataset {key!r} takes no path; write it as {key!r}")
    return loader(**kwargs)
