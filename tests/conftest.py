"""Shared test set-up: a fixed seed for every test and a fast, deterministic hypothesis profile."""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import memograd

settings.register_profile(
    "memograd", max_examples=15, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("memograd")


@pytest.fixture(autouse=True)
def _seed_and_defaults():
    """Each test starts from the same random state, with recording on and float32 default."""
    memograd.manual_seed(0)
    yield
    memograd.set_default_dtype(memograd.float32)
    memograd.set_grad_enabled(True)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
