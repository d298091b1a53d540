"""Collectives on tensors, with `torch.distributed`'s names and semantics.

Each works in place on the tensors' memory: a C-contiguous tensor's own array is handed to MPI
(MPI_IN_PLACE where input and output are one tensor), so nothing is copied; a non-contiguous
one goes through a contiguous copy and back. Results bump the tensors' version counters, as any
in-place write does. `async_op=True` starts MPI's non-blocking collective and returns a Work
whose `wait()` finishes it (writes back, averages); the tensors must not be read before then.
Collectives record no autograd history (memograd.distributed.nn has differentiable ones)."""
from __future__ import annotations

import enum

import numpy as np

from ..inplace import bump_version
from .process_group import mpi, resolve


class ReduceOp(enum.Enum):
    """How `all_reduce`/`reduce_scatter` combine the processes' values."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    BAND = "band"
    BOR = "bor"
    BXOR = "bxor"

    def __repr__(self) -> str:
        return f"<ReduceOp.{self.name}>"


# MPI's predefined reductions by name; AVG is a SUM divided afterwards (MPI has no average).
_MPI_OPS = {"sum": "SUM", "avg": "SUM", "product": "PROD", "min": "MIN", "max": "MAX",
            "band": "BAND", "bor": "BOR", "bxor": "BXOR"}
# MPI defines only logical reductions on booleans: or for sum/max, and for product/min.
_BOOL_OPS = {"sum": "LOR", "max": "LOR", "bor": "LOR", "product": "LAND", "min": "LAND", "band": "LAND",
             "bxor": "LXOR"}


def mpi_op(op: ReduceOp, dtype: np.dtype):
    """The MPI.Op for `op` on arrays of `dtype` (a clear error where none applies)."""
    if not isinstance(op, ReduceOp):
        raise TypeError(f"expected a memograd.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.AVG and dtype.kind not in "fc":
        raise ValueError(f"ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and dtype.kind not in "iub":
        raise ValueError(f"ReduceOp.{op.name} needs an integer or bool tensor, got {dtype}")
    table = _BOOL_OPS if dtype.kind == "b" else _MPI_OPS
    return getattr(mpi(), table[op.value])


class Work:
    """A started collective (`async_op=True`). `wait()` blocks until it is done and its result
    is in the tensors; `is_completed()` asks without blocking."""

    def __init__(self, request, finish=None):
        self._request = request
        self._finish = finish
        self._done = False

    def wait(self, timeout=None) -> bool:
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


def run(async_op: bool, blocking, nonblocking, finish):
    """Run a collective now (blocking MPI call, then `finish`), or start it and return a Work."""
    if async_op:
        return Work(nonblocking(), finish)
    blocking()
    finish()
    return None


def contiguous_buffer(tensor) -> np.ndarray:
    """The tensor's own array when MPI can use it as it is, else a C-contiguous copy."""
    array = tensor._data
    if array.flags.c_contiguous and array.flags.writeable:
        return array
    return np.ascontiguousarray(array)


def written(tensor, buffer: np.ndarray) -> None:
    """The collective's result is in `buffer`: put it in the tensor if it was a copy, bump the version."""
    if buffer is not tensor._data:
        np.copyto(tensor._data, buffer.reshape(tensor._data.shape))
    bump_version(tensor)


def all_reduce(tensor, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine `tensor` across the group with `op`; every process gets the result, in place.

    >>> t = memograd.tensor([float(dist.get_rank())]); dist.all_reduce(t)   # t: 0 + 1 + ... + (N-1)
    """
    comm = resolve(group).comm
    buffer = contiguous_buffer(tensor)
    mop = mpi_op(op, buffer.dtype)
    size = comm.Get_size()
    in_place = mpi().IN_PLACE

    def finish():
        if op is ReduceOp.AVG:
            np.divide(buffer, size, out=buffer)
        written(tensor, buffer)

    return run(async_op, lambda: comm.Allreduce(in_place, buffer, op=mop),
               lambda: comm.Iallreduce(in_place, buffer, op=mop), finish)


def broadcast(tensor, src: int | None = None, group=None, async_op: bool = False, group_src: int | None = None):
    """Every process's `tensor` becomes world rank `src`'s (or group rank `group_src`'s)."""
    pg = resolve(group)
    root = root_rank(pg, src, group_src, "broadcast")
    buffer = contiguous_buffer(tensor)
    return run(async_op, lambda: pg.comm.Bcast(buffer, root=root), lambda: pg.comm.Ibcast(buffer, root=root),
               lambda: written(tensor, buffer))


def reduce(tensor, dst: int | None = None, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst: int | None = None):
    """Combine `tensor` across the group into world rank `dst`'s tensor (others keep theirs)."""
    pg = resolve(group)
    root = root_rank(pg, dst, group_dst, "reduce")
    buffer = contiguous_buffer(tensor)
    mop = mpi_op(op, buffer.dtype)
    is_root = pg.rank() == root
    send = mpi().IN_PLACE if is_root else buffer

    def finish():
        if is_root:
            if op is ReduceOp.AVG:
                np.divide(buffer, pg.size(), out=buffer)
            written(tensor, buffer)

    recv = buffer if is_root else None
    return run(async_op, lambda: pg.comm.Reduce(send, recv, op=mop, root=root),
               lambda: pg.comm.Ireduce(send, recv, op=mop, root=root), finish)


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """tensor_list[i] becomes process i's `tensor` (one tensor per process, all of one shape)."""
    pg = resolve(group)
    check_list(tensor_list, pg.size(), tensor, "all_gather", "tensor_list")
    send = np.ascontiguousarray(tensor._data)
    gathered = np.empty((pg.size(),) + send.shape, dtype=send.dtype)

    def finish():
        for out, part in zip(tensor_list, gathered):
            np.copyto(out._data, part)
            bump_version(out)

    return run(async_op, lambda: pg.comm.Allgather(send, gathered), lambda: pg.comm.Iallgather(send, gathered),
               finish)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """output_tensor (world * n elements, or shape (world, ...)) gets every process's input_tensor, in rank order."""
    pg = resolve(group)
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise ValueError(f"all_gather_into_tensor: output has {output_tensor.numel()} elements, expected "
                         f"{pg.size()} x {input_tensor.numel()}")
    send = np.ascontiguousarray(input_tensor._data)
    buffer = contiguous_buffer(output_tensor)
    return run(async_op, lambda: pg.comm.Allgather(send, buffer), lambda: pg.comm.Iallgather(send, buffer),
               lambda: written(output_tensor, buffer))


def reduce_scatter(output, input_list: list, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """output = op over processes of their input_list[this rank] (one input per process)."""
    pg = resolve(group)
    check_list(input_list, pg.size(), output, "reduce_scatter", "input_list")
    send = np.stack([np.asarray(t._data, dtype=output.dtype) for t in input_list])
    return _reduce_scatter(output, send, op, pg, async_op)


def reduce_scatter_tensor(output, input, op: ReduceOp = ReduceOp.SUM, group=None, async_op: bool = False):
    """As reduce_scatter, with the inputs as one tensor of world * n elements (rank-major)."""
    pg = resolve(group)
    if input.numel() != pg.size() * output.numel():
        raise ValueError(f"reduce_scatter_tensor: input has {input.numel()} elements, expected "
                         f"{pg.size()} x {output.numel()}")
    return _reduce_scatter(output, np.ascontiguousarray(input._data), op, pg, async_op)


def _reduce_scatter(output, send: np.ndarray, op: ReduceOp, pg, async_op: bool):
    buffer = contiguous_buffer(output)
    mop = mpi_op(op, buffer.dtype)

    def finish():
        if op is ReduceOp.AVG:
            np.divide(buffer, pg.size(), out=buffer)
        written(output, buffer)

    return run(async_op, lambda: pg.comm.Reduce_scatter_block(send, buffer, op=mop),
               lambda: pg.comm.Ireduce_scatter_block(send, buffer, op=mop), finish)


def root_rank(pg, src, group_src, what: str) -> int:
    """The group rank of a collective's root, given as a world rank or a group rank."""
    if (src is None) == (group_src is None):
        raise ValueError(f"{what}: give exactly one of src/dst (a world rank) and group_src/group_dst")
    root = pg.group_rank(int(src)) if src is not None else int(group_src)
    if not 0 <= root < pg.size():
        raise ValueError(f"{what}: rank {root} is not in a group of {pg.size()} processes")
    return root


def check_list(tensors: list, size: int, like, what: str, name: str) -> None:
    if len(tensors) != size:
        raise ValueError(f"{what}: {name} has {len(tensors)} tensors, expected one per process ({size})")
    for i, t in enumerate(tensors):
        if t.shape != like.shape:
            raise ValueError(f"{what}: {name}[{i}] has shape {tuple(t.shape)}, expected {tuple(like.shape)}")
