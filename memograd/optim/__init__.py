"""Optimizers and learning-rate schedules, with PyTorch's names, defaults and update rules.

    opt = memograd.optim.Adam(model.parameters(), lr=1e-3)
    sched = memograd.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
"""
from __future__ import annotations

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .lbfgs import LBFGS
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "LBFGS", "lr_scheduler"]


def __getattr__(name: str):
    """A PyTorch name this namespace lacks raises NotImplementedError naming it (memograd.unsupported)."""
    from ..unsupported import missing

    raise missing("torch.optim", name)
