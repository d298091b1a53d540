"""`torch.cuda` on a machine without CUDA, which is what memograd is (CPU only for now).

Programs ask `torch.cuda.is_available()` and pick the CPU; they seed CUDA and query its
memory unconditionally. Those calls answer as PyTorch's CPU build does: not available, no
devices, seeding and cache clearing do nothing, memory counters are 0. Calls that need a
device raise AssertionError("Torch not compiled with CUDA enabled"), as PyTorch's CPU build."""
from __future__ import annotations

import types
import warnings

from . import amp as _amp


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed: there are no CUDA generators (PyTorch ignores the call too)."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed, as `manual_seed`."""


def seed() -> None:
    """Nothing to seed."""


def seed_all() -> None:
    """Nothing to seed."""


def empty_cache() -> None:
    """No CUDA cache to empty."""


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def _no_cuda(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled (memograd runs on the CPU only)")


current_device = get_device_name = get_device_properties = get_device_capability = _no_cuda
synchronize = set_device = get_rng_state = set_rng_state = reset_peak_memory_stats = _no_cuda


class _DeprecatedAutocast(_amp.autocast):
    """`torch.cuda.amp.autocast(...)`, deprecated by PyTorch for `torch.amp.autocast("cuda")`."""

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class _DeprecatedGradScaler(_amp.GradScaler):
    """`torch.cuda.amp.GradScaler(...)`, deprecated by PyTorch for `torch.amp.GradScaler("cuda")`."""

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


amp = types.SimpleNamespace(autocast=_DeprecatedAutocast, GradScaler=_DeprecatedGradScaler)
