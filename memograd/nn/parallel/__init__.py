"""`torch.nn.parallel`: DataParallel (one process; on memograd's CPU it simply calls the
module) and DistributedDataParallel (not yet: it will run over MPI, see DESIGN.md)."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
