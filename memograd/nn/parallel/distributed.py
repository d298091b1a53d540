"""DistributedDataParallel: one model replica per process, gradients averaged across processes.

Each process runs forward and backward on its own share of the batch; backward returns with
every parameter's `.grad` equal to the average of the processes' gradients, so identical
optimizer steps keep the replicas identical. With every process's loss a mean over b examples,
that average is the gradient of the mean over all N*b examples: training on N processes with
batch b follows training on one process with batch N*b (up to float rounding).

    dist.init_process_group("mpi")                     # under mpiexec -n N python -m mpi4py ...
    model = DistributedDataParallel(make_model())       # rank 0's weights everywhere
    loss_fn(model(x_local), y_local).backward()        # .grad averaged over the N processes
    optimizer.step()

The averaging itself (buckets, overlap with backward) is in reducer.py."""
from __future__ import annotations

import contextlib

import numpy as np

from ... import distributed as dist
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...inplace import bump_version
from ..module import Module
from .reducer import Reducer

# Buffers and parameters are broadcast at construction in chunks of at most this many bytes.
BROADCAST_CHUNK_BYTES = 250 * 1024 * 1024


class DistributedDataParallel(Module):
    """Wrap `module` for data-parallel training over `process_group` (the world by default).

    At construction every process must hold a module with the same parameter names, shapes and
    dtypes (checked; the error names the first difference); rank 0's parameters and buffers are
    then copied to all. Gradients are averaged in buckets of `bucket_cap_mb` MiB, each started
    while backward still runs. `no_sync()` skips the averaging (gradient accumulation);
    `find_unused_parameters=True` lets some parameters get no gradient on some processes;
    `broadcast_buffers` copies rank 0's buffers (BatchNorm's running statistics) to all at each
    forward (nn.SyncBatchNorm computes the batch statistics over all processes instead)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool | None = None, init_sync: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False, static_graph: bool = False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None, mixed_precision=None,
                 device_mesh=None, **unsupported):
        super().__init__()
        reject_unsupported(device_ids, output_device, dim, delay_all_reduce_named_params, param_to_hook_all_reduce,
                           mixed_precision, device_mesh, unsupported)
        params = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module = module
        self.process_group = dist.process_group.resolve(process_group)
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.bucket_cap_mb = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        # DDP's own communicator: its gradient traffic never interleaves with the program's collectives.
        comm = self.process_group.comm.Dup()
        self._comm = comm
        check_same_model(comm, module)
        if init_sync:
            broadcast_tensors(comm, [p for _, p in module.named_parameters()] + list(module.buffers()))
        names = [name for name, _ in params]
        self.reducer = Reducer([p for _, p in params], names, comm, int(self.bucket_cap_mb * 1024 * 1024),
                               self.find_unused_parameters)

    def forward(self, *inputs, **kwargs):
        self.reducer.check_last_pass()
        if self.require_forward_param_sync and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                broadcast_tensors(self._comm, buffers)
        outputs = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.reducer.arm(outputs)
            self.require_forward_param_sync = True
        else:  # no_sync, or no grad: backward (if any) accumulates locally
            self.require_forward_param_sync = False
        return outputs

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes of forwards run inside this block only accumulate `.grad` locally;
        the first synchronised backward after it averages the accumulated sums.

        >>> with ddp.no_sync():
        ...     loss_fn(ddp(x1), y1).backward()    # local
        >>> loss_fn(ddp(x2), y2).backward()        # .grad = average over processes of both
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def join(self, *args, **kwargs):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not supported by memograd: "
                                  "give every process the same number of batches (DistributedSampler does)")

    def extra_repr(self) -> str:
        return f"world_size={self.process_group.size()}, bucket_cap_mb={self.bucket_cap_mb}"


def reject_unsupported(device_ids, output_device, dim, delay_all_reduce_named_params, param_to_hook_all_reduce,
                       mixed_precision, device_mesh, unsupported: dict) -> None:
    if unsupported:
        raise TypeError(f"DistributedDataParallel got unexpected arguments: {', '.join(unsupported)}")
    if device_ids not in (None, []) or output_device is not None:
        raise ValueError("DistributedDataParallel device_ids and output_device must be None for CPU modules "
                         "(memograd replicates one module per process)")
    if dim != 0:
        raise NotImplementedError("DistributedDataParallel(dim=...) is only used to scatter inputs across devices; "
                                  "memograd has one device per process")
    for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                        ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                        ("mixed_precision", mixed_precision), ("device_mesh", device_mesh)):
        if value is not None:
            raise NotImplementedError(f"DistributedDataParallel({name}=...) is not supported by memograd")


def check_same_model(comm, module: Module) -> None:
    """Every process must wrap the same architecture; otherwise all of them raise, naming the
    first parameter that differs from rank 0's."""
    mine = [(name, tuple(p.shape), str(p.dtype), bool(p.requires_grad)) for name, p in module.named_parameters()]
    everyone = comm.allgather(mine)
    reference = everyone[0]
    for rank, theirs in enumerate(everyone[1:], start=1):
        problem = first_difference(reference, theirs)
        if problem is not None:
            raise RuntimeError(f"DistributedDataParallel: every process must wrap the same model, but rank {rank} "
                               f"differs from rank 0: {problem}")


def first_difference(reference: list, theirs: list) -> str | None:
    """The first way a process's (name, shape, dtype, requires_grad) list differs from rank 0's."""
    fields = ("shape", "dtype", "requires_grad")
    for position, (ours, other) in enumerate(zip(reference, theirs)):
        if ours[0] != other[0]:
            return f"parameter {position} is {ours[0]!r} on rank 0 but {other[0]!r} there"
        for field, a, b in zip(fields, ours[1:], other[1:]):
            if a != b:
                return f"parameter {ours[0]!r} has {field} {a} on rank 0 but {b} there"
    if len(reference) != len(theirs):
        longer = theirs if len(theirs) > len(reference) else reference
        return (f"rank 0 has {len(reference)} parameters, it has {len(theirs)} "
                f"(the first unmatched one is {longer[min(len(reference), len(theirs))][0]!r})")
    return None


def broadcast_tensors(comm, tensors: list) -> None:
    """Copy rank 0's values of `tensors` to every process: packed per dtype into flat buffers
    (one MPI call per chunk instead of one per tensor)."""
    by_dtype = {}
    for t in tensors:
        if t is not None:
            by_dtype.setdefault(t._data.dtype, []).append(t)
    for dtype, group in by_dtype.items():
        for chunk in chunks(group, BROADCAST_CHUNK_BYTES):
            flat = np.concatenate([t._data.reshape(-1) for t in chunk]) if comm.Get_rank() == 0 else \
                np.empty(sum(t._data.size for t in chunk), dtype=dtype)
            comm.Bcast(flat, root=0)
            if comm.Get_rank() != 0:
                unpack(flat, chunk)


def chunks(tensors: list, limit: int):
    chunk, size = [], 0
    for t in tensors:
        if chunk and size + t._data.nbytes > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(t)
        size += t._data.nbytes
    if chunk:
        yield chunk


def unpack(flat: np.ndarray, tensors: list) -> None:
    offset = 0
    with no_grad():
        for t in tensors:
            n = t._data.size
            np.copyto(t._data, flat[offset:offset + n].reshape(t._data.shape))
            bump_version(t)
            offset += n
