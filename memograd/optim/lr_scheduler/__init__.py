"""Learning-rate schedules (PyTorch's `torch.optim.lr_scheduler`): call `step()` once per epoch
(OneCycleLR: once per batch; ReduceLROnPlateau: `step(metric)`), after `optimizer.step()`.

    sched = memograd.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)
    for epoch in range(50):
        train_one_epoch(model, opt)
        sched.step()
"""
from __future__ import annotations

from .base import LRScheduler
from .decay import CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR, StepLR
from .one_cycle import OneCycleLR
from .plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "OneCycleLR", "ReduceLROnPlateau"]


def __getattr__(name: str):
    """A PyTorch name this namespace lacks raises NotImplementedError naming it (memograd.unsupported)."""
    from ...unsupported import missing

    raise missing("torch.optim.lr_scheduler", name)
