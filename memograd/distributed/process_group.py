"""The process group: who takes part in collectives, with `torch.distributed`'s names.

memograd moves bytes between processes with MPI (through mpi4py), never a transport of its own:
the same library runs on a laptop (the `mpich` wheel) and on a cluster (the site's MPI). The
launcher (`mpiexec -n N ...`) starts the processes and MPI tells each its rank and the world
size; `init_process_group` only wraps MPI's world in a group of its own (a duplicate of
COMM_WORLD, so that a program's own mpi4py messages never mix with memograd's).

mpi4py is imported on first use, so `import memograd` never starts MPI."""
from __future__ import annotations

import os
import sys

BACKENDS = ("mpi", "gloo")  # gloo: PyTorch's CPU backend name, served by MPI here (docs/compat.md)


def mpi():
    """The mpi4py.MPI module, imported (and MPI initialised) on first use."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise RuntimeError("memograd.distributed needs mpi4py and an MPI library: "
                           "pip install 'memograd[distributed]' (mpi4py and the mpich wheel)") from err
    return MPI


def is_available() -> bool:
    """Whether mpi4py can be imported (as `torch.distributed.is_available`)."""
    if "mpi4py.MPI" in sys.modules:
        return True
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available() -> bool:
    return is_available()


def launched_by_mpi() -> bool:
    """Whether this process was started by an MPI launcher with other processes beside it
    (so that `memograd train` should train distributed)."""
    if "mpi4py.MPI" in sys.modules:  # MPI is up already: ask it
        MPI = sys.modules["mpi4py.MPI"]
        if MPI.Is_initialized() and not MPI.Is_finalized():
            return MPI.COMM_WORLD.Get_size() > 1
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS"):
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value) > 1
    if "PMIX_RANK" in os.environ and is_available():  # a PMIx launcher (srun --mpi=pmix) names no size
        return mpi().COMM_WORLD.Get_size() > 1
    return False


class ProcessGroup:
    """A set of processes that run collectives together: an MPI communicator of its own.
    `ranks` are the members' ranks in the world, in group-rank order."""

    def __init__(self, comm, ranks: list[int]):
        self.comm = comm
        self.ranks = list(ranks)

    def rank(self) -> int:
        return self.comm.Get_rank()

    def size(self) -> int:
        return self.comm.Get_size()

    def group_rank(self, global_rank: int) -> int:
        """This group's rank of the world rank `global_rank` (as PyTorch's `src`/`dst`)."""
        try:
            return self.ranks.index(global_rank)
        except ValueError:
            raise ValueError(f"rank {global_rank} is not part of this process group "
                             f"(its world ranks are {self.ranks})") from None

    def name(self) -> str:
        return "mpi"

    def __repr__(self) -> str:
        return f"ProcessGroup(backend='mpi', size={self.size()}, ranks={self.ranks})"


class _World:
    """The default group, set by init_process_group (one per process, as in PyTorch)."""

    group: ProcessGroup | None = None
    backend: str | None = None


_world = _World()


class GroupMember:
    """`group=None` means the world, as `dist.group.WORLD`; NON_GROUP_MEMBER is what new_group
    returns to ranks it does not include."""

    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember  # `dist.group.WORLD`


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the processes started by `mpiexec -n N` into the default group. Rank and world size
    come from MPI; `world_size`/`rank`, if given, must agree with it. `init_method`, `store` and
    `timeout` (MPI has no collective timeouts) are accepted and unused.

    >>> dist.init_process_group("mpi")      # under: mpiexec -n 2 python -m mpi4py train.py
    >>> dist.get_rank(), dist.get_world_size()
    """
    if _world.group is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    backend = (backend or "mpi").lower()
    if backend == "nccl":
        raise NotImplementedError("init_process_group(backend='nccl'): memograd has no CUDA collectives; "
                                  "use backend='mpi'")
    if backend not in BACKENDS:
        raise ValueError(f"init_process_group: unknown backend {backend!r}; memograd runs collectives on MPI "
                         f"(backend='mpi')")
    MPI = mpi()
    world = MPI.COMM_WORLD
    if world_size not in (-1, None) and int(world_size) != world.Get_size():
        raise ValueError(f"init_process_group: world_size={world_size}, but MPI started {world.Get_size()} "
                         f"processes (set the number with mpiexec -n)")
    if rank not in (-1, None) and int(rank) != world.Get_rank():
        raise ValueError(f"init_process_group: rank={rank}, but MPI gave this process rank {world.Get_rank()}")
    _world.group = ProcessGroup(world.Dup(), list(range(world.Get_size())))
    _world.backend = "mpi"


def is_initialized() -> bool:
    return _world.group is not None


def default_group() -> ProcessGroup:
    if _world.group is None:
        raise ValueError("Default process group has not been initialized, please make sure to call "
                         "init_process_group.")
    return _world.group


def resolve(group) -> ProcessGroup:
    """The ProcessGroup a collective's `group=` argument names (None: the world)."""
    world = default_group()
    if group is None:
        return world
    if group is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("this process is not a member of the group it passed to a collective")
    return group


def get_rank(group=None) -> int:
    """This process's rank in `group` (the world by default); -1 if it is not a member."""
    if group is GroupMember.NON_GROUP_MEMBER:
        default_group()
        return -1
    return resolve(group).rank()


def get_world_size(group=None) -> int:
    if group is GroupMember.NON_GROUP_MEMBER:
        default_group()
        return -1
    return resolve(group).size()


def get_backend(group=None) -> str:
    resolve(group)
    return _world.backend


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization: bool = False,
              group_desc=None, device_id=None):
    """A group of the world ranks `ranks` (all of them by default). Every process of the world
    must call it, as in PyTorch; processes outside `ranks` get GroupMember.NON_GROUP_MEMBER."""
    world = default_group()
    ranks = sorted(set(range(world.size()) if ranks is None else (int(r) for r in ranks)))
    if any(r < 0 or r >= world.size() for r in ranks):
        raise ValueError(f"new_group: ranks {ranks} are not all in the world of {world.size()} processes")
    MPI = mpi()
    comm = world.comm.Create(world.comm.Get_group().Incl(ranks))  # collective over the whole world
    if comm == MPI.COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    return ProcessGroup(comm, ranks)


def barrier(group=None, async_op: bool = False, device_ids=None, timeout=None):
    """Wait until every process of the group has reached this call."""
    comm = resolve(group).comm
    if async_op:
        from .collectives import Work

        return Work(comm.Ibarrier())
    comm.Barrier()
    return None


def destroy_process_group(group=None) -> None:
    """Free `group`'s communicator; with no argument, the default group (after which
    init_process_group may be called again). MPI itself stays up until the process exits."""
    target = default_group() if group is None else group
    if target is GroupMember.NON_GROUP_MEMBER:
        return
    MPI = mpi()
    if not MPI.Is_finalized():
        target.comm.Free()
    if group is None:
        _world.group = None
        _world.backend = None
