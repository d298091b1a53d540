"""Training one model with several processes (`torch.nn.parallel`)."""
from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
