"""`memograd train` on several processes (under `mpiexec -n N`): who does what.

Every process holds the whole model and trains on its share of each batch (DDP averages the
gradients). Rank 0 alone prints, draws the progress bar, evaluates and writes the run folder;
what the others need from it (a checkpoint to resume from, validation figures) is broadcast,
so the run folder need only exist on rank 0's machine.

Same weights as one process: with --batch-size b on N processes, the processes split each
global batch of N*b examples (the very batch one process with --batch-size N*b reads) into N
contiguous parts, and each process's loss is its part's summed loss times N / (examples in the
global batch). DDP's average of the gradients is then exactly the gradient of the global batch's
mean loss, whatever the batch's size (the last one may be short, and a part may be empty)."""
from __future__ import annotations

import io
import os

import numpy as np

from .. import distributed as dist
from .. import settings


class Team:
    """The processes of one training run: size 1 when not started by an MPI launcher."""

    def __init__(self, rank: int = 0, size: int = 1):
        self.rank, self.size = rank, size

    @classmethod
    def join(cls, distributed: bool | None = None) -> Team:
        """This process's team: the MPI world when launched under mpiexec with several processes
        (or when `distributed=True`); a team of one otherwise (or when `distributed=False`)."""
        if distributed is False or (distributed is None and not dist.is_initialized() and not dist.launched_by_mpi()):
            return cls()
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        share_cores()
        return cls(dist.get_rank(), dist.get_world_size())

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        if self.size > 1:
            dist.barrier()

    def from_main(self, fn):
        """fn() computed on rank 0, returned on every process. An error there is raised
        everywhere (so no process is left waiting for the others)."""
        result, error = None, None
        if self.is_main:
            try:
                result = fn()
            except Exception as err:  # noqa: BLE001 - re-raised on every process below
                error = err
        if self.size > 1:
            box = [(result, error)]
            dist.broadcast_object_list(box, src=0)
            result, error = box[0]
        if error is not None:
            raise error
        return result

    def sum(self, values: list) -> list:
        """Element-wise sum of `values` over the processes (float64)."""
        array = np.asarray(values, dtype=np.float64)
        if self.size > 1:
            dist.process_group.default_group().comm.Allreduce(dist.process_group.mpi().IN_PLACE, array)
        return array.tolist()

    def wrap(self, model):
        """The module that training calls: the model itself, or DDP around it."""
        if self.size == 1:
            return model
        from ..nn.parallel import DistributedDataParallel

        return DistributedDataParallel(model)

    def share(self, global_size: int) -> slice:
        """This process's contiguous part of a global batch of `global_size` examples (the parts
        differ by at most one example)."""
        base, extra = divmod(global_size, self.size)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (1 if self.rank < extra else 0))


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def share_cores() -> None:
    """Give each process on this machine its share of the cores for BLAS (unless the user chose,
    with OMP_NUM_THREADS and friends). Measured on a busy 2-core machine, 2 processes: with each process's
    OpenBLAS running 2 threads, an epoch of the default MLP took 5.0 s instead of 0.2 s."""
    if any(name in os.environ for name in THREAD_VARIABLES):
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    MPI = dist.process_group.mpi()
    local = MPI.COMM_WORLD.Split_type(MPI.COMM_TYPE_SHARED)
    processes_here = local.Get_size()
    local.Free()
    share = max(1, (os.cpu_count() or 1) // processes_here)
    threadpool_limits(share, user_api="blas")
    settings.set_num_threads(share)  # memograd's own elementwise threads (memograd.blockwise) too


def load_bytes(data: bytes, where: str = "<checkpoint from rank 0>"):
    """A checkpoint read from the bytes rank 0 broadcast (see memograd.load); errors name `where`,
    the file they were read from."""
    from .. import load

    stream = io.BytesIO(data)
    stream.name = where  # memograd.load names the file in its errors
    return load(stream)
