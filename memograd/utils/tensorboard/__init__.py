"""memograd.utils.tensorboard: `SummaryWriter`, as `torch.utils.tensorboard`.

    from memograd.utils.tensorboard import SummaryWriter

Needs the `tensorboard` package (`pip install memograd[tensorboard]`); `tensorboard --logdir
runs` then shows what was written."""
try:
    import tensorboard
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("memograd.utils.tensorboard needs the tensorboard package: "
                      "pip install 'memograd[tensorboard]'") from err

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
