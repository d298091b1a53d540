"""The global random generator behind randn/rand/randint, dropout and shuffling, and
sampling from categorical distributions (`multinomial`).

As in PyTorch, a fresh process seeds the global generator from the operating system
(`initial_seed()` says with what), and `manual_seed(s)` makes every later draw repeatable."""
from __future__ import annotations

import numpy as np

_SEED_RANGE = 2**64  # PyTorch's seeds are unsigned 64-bit integers; negative ones wrap


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % _SEED_RANGE)


class Generator:
    """A seeded source of random numbers (wraps NumPy's PCG64).

    `Generator()` or `Generator(device="cpu")` as in PyTorch, seeded from the OS;
    `Generator(seed)` (an int) is memograd's shorthand for `Generator().manual_seed(seed)`."""

    def __init__(self, device="cpu"):
        if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
            self.manual_seed(int(device))
            return
        from .backend import device as _device

        self.device = _device(device)  # a clear error for anything but the CPU
        self.manual_seed(_fresh_seed())

    def manual_seed(self, seed: int) -> "Generator":
        self.seed_value = int(seed) % _SEED_RANGE
        self.rng = np.random.default_rng(self.seed_value)
        return self

    def seed(self) -> int:
        """Reseed from the OS and return the new seed."""
        self.manual_seed(_fresh_seed())
        return self.seed_value

    def initial_seed(self) -> int:
        return self.seed_value

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: the same seed gives the same numbers, as in PyTorch."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from the OS; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator).rng


def multinomial(input, num_samples: int, replacement: bool = False, *, generator: Generator | None = None, out=None):
    """Indices drawn from the categorical distributions in the rows of `input` (1-D: one
    distribution; 2-D: one per row), weights need not sum to 1. Without replacement each
    index appears at most once per row (then `num_samples` <= categories).

    >>> memograd.multinomial(memograd.tensor([0.1, 0.2, 0.7]), 2)   # e.g. tensor([2, 1])
    """
    from .creation import from_numpy

    if out is not None:
        raise NotImplementedError("multinomial(out=...) is not supported; use the returned tensor")
    weights = input._data
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {weights.dtype}")
    if weights.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    rows = weights.reshape(-1, weights.shape[-1]).astype(np.float64)
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    totals = rows.sum(axis=1, keepdims=True)
    if (totals <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    source = rng(generator)
    if replacement:
        # Inverse CDF: where each uniform draw falls among the cumulative weights.
        cdf = np.cumsum(rows / totals, axis=1)
        draws = source.random((rows.shape[0], num_samples))
        picked = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cdf, draws)])
        picked = np.minimum(picked, rows.shape[1] - 1)  # a draw past the rounded last cdf value
    else:
        # Exponential race: category i "arrives" at time E_i / w_i; the first num_samples to
        # arrive are a draw without replacement, with probability in proportion to weight.
        # Zero-weight categories arrive last (never, in order), as PyTorch's sampler lets them.
        keys = rows / source.exponential(size=rows.shape)
        picked = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    picked = picked.astype(np.int64)
    return from_numpy(picked if weights.ndim == 2 else picked[0])
