"""DistributedDataParallel: not yet in memograd (it is planned over MPI, with mpi4py)."""
from __future__ import annotations


class DistributedDataParallel:
    """Raises NotImplementedError: memograd has no distributed training yet (docs/compat.md)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "torch.nn.parallel.DistributedDataParallel is not supported by memograd yet (distributed "
            "training over MPI is planned); train in one process, or wrap the model in "
            "nn.DataParallel, which runs it unchanged on the CPU. See docs/compat.md."
        )
