"""`torch.nn.parallel`: DataParallel (one process; on memograd's CPU it simply calls the
module) and DistributedDataParallel (several processes over MPI, see memograd.distributed)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
