"""memograd.distributed: `torch.distributed`'s names over MPI (mpi4py).

Start N processes with an MPI launcher, join them into a group, and run collectives on tensors:

    # mpiexec -n 2 python -m mpi4py train.py
    import memograd.distributed as dist
    dist.init_process_group("mpi")
    t = memograd.ones(3) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)      # in place: t == 0 + 1 on both processes

`python -m mpi4py` makes an exception on any process abort the whole job (plain `python` would
leave the others waiting in their next collective). Data-parallel training builds on this:
`memograd.nn.parallel.DistributedDataParallel`, `memograd.utils.data.distributed.DistributedSampler`.
"""
from . import nn
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
)
from .objects import all_gather_object, broadcast_object_list, gather_object
from .process_group import (
    GroupMember,
    ProcessGroup,
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
    launched_by_mpi,
    new_group,
)

__all__ = [
    "GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_gather_object",
    "all_reduce", "barrier", "broadcast", "broadcast_object_list", "destroy_process_group", "gather_object",
    "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "is_available", "is_initialized",
    "is_mpi_available", "launched_by_mpi", "new_group", "nn", "reduce", "reduce_scatter", "reduce_scatter_tensor",
]
