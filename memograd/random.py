"""The global random generator behind randn/rand/randint, dropout and shuffling."""
from __future__ import annotations

import numpy as np


class Generator:
    """A seeded source of random numbers (wraps NumPy's PCG64)."""

    def __init__(self, seed: int | None = None):
        self.manual_seed(seed if seed is not None else np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed: int) -> "Generator":
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        return self

    def initial_seed(self) -> int:
        return self.seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: the same seed gives the same numbers, as in PyTorch."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    s = int(np.random.SeedSequence().entropy % (2**63))
    default_generator.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator).rng
