"""`torch.accelerator`: memograd has none (CPU only), so it answers as PyTorch does on a
machine without an accelerator."""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def synchronize(device=None) -> None:
    """Nothing to wait for."""
