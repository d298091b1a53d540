"""DDP's gradient averaging: parameters grouped in buckets, each bucket all-reduced with one
non-blocking MPI call as soon as backward has produced all of its gradients.

One synchronised backward pass, as PyTorch's reducer does it:
  1. forward (DDP.forward) arms the reducer with the parameters backward will reach: all of
     them, or with find_unused_parameters those the outputs' graph leads to (the others are
     marked ready at once, with zeros).
  2. During backward, each parameter's tensor hook (`register_hook`) fires the moment its
     gradient is complete: the gradient (plus any `.grad` accumulated under `no_sync`), divided
     by the world size, is copied into its slot of the bucket, and a bucket whose slots are all
     filled starts its `Iallreduce` (a sum: the average) while backward goes on with earlier
     layers (overlap). The hook hands the engine the slot itself as the gradient, which the
     engine will deposit into `.grad` when the pass ends.
  3. The hook of the last expected parameter waits for every bucket. The all-reduce works in
     place, so the slots, and with them the `.grad`s about to be written, hold the averages.

So `.grad` is a view into DDP's bucket (PyTorch's `gradient_as_bucket_view=True`): no copy out,
no second copy of the gradients in memory; the next synchronised backward writes it again
(after `zero_grad()` has let go of it, or adding to it when it was kept, as `.grad` always does).

Buckets start strictly in index order, on every process, because MPI requires the processes
to issue their collectives in the same order: a bucket that fills early waits for the ones
before it. Parameters are bucketed in reverse registration order (the order backward usually
reaches them), the first bucket capped at 1 MiB so that communication starts early, the
others at `bucket_cap_mb`, as PyTorch does.

(Step 3 would sit more naturally in a post-accumulate-grad hook; those cannot be registered on
multi-element tensors yet, see docs/compat.md.) MPICH moves a non-blocking collective forward
only inside MPI calls, so every hook also tests the requests in flight (cheap) to keep them
moving while backward computes."""
from __future__ import annotations

import weakref

import numpy as np

from ...creation import from_numpy

FIRST_BUCKET_BYTES = 1 << 20


class Bucket:
    """Parameters of one dtype whose gradients travel together, in one flat buffer; slot i is
    parameter i's part of it, shaped like the parameter. Each slot is made from a buffer object
    of its own, so the engine sees the slots as separate memory (which they are: they never
    overlap) and stores each as a `.grad` without copying it."""

    def __init__(self, params: list, indices: list, dtype: np.dtype):
        self.params = params
        self.indices = indices  # the parameters' positions in the reducer's list
        offsets = np.cumsum([0] + [p._data.size for p in params]).tolist()
        self.buffer = np.zeros(offsets[-1], dtype=dtype)
        self.slots = [np.frombuffer(self.buffer.data, dtype, count=p._data.size, offset=start * self.buffer.itemsize)
                      .reshape(p._data.shape) for p, start in zip(params, offsets)]
        self.filled = [False] * len(params)
        self.pending = len(params)
        self.request = None

    def slot(self, i: int) -> np.ndarray:
        return self.slots[i]

    def reset(self) -> None:
        self.filled = [False] * len(self.params)
        self.pending = len(self.params)
        self.request = None


def assign_buckets(params: list, cap_bytes: int, first_cap_bytes: int) -> list[Bucket]:
    """Walk the parameters last to first, filling one open bucket per dtype; a bucket closes when
    the next parameter would take it past its cap (the very first bucket's cap is the smaller)."""
    groups = []        # [indices, bytes, dtype, cap] per bucket, in the order they are opened
    open_by_dtype = {}
    for index in reversed(range(len(params))):
        array = params[index]._data
        group = open_by_dtype.get(array.dtype)
        if group is None or (group[0] and group[1] + array.nbytes > group[3]):
            group = [[], 0, array.dtype, first_cap_bytes if not groups else cap_bytes]
            open_by_dtype[array.dtype] = group
            groups.append(group)
        group[0].append(index)
        group[1] += array.nbytes
    return [Bucket([params[i] for i in indices], indices, dtype) for indices, _, dtype, _ in groups]


IDLE, ARMED = "idle", "armed"


class Reducer:
    """The buckets of one DDP and the state of the backward pass being synchronised."""

    def __init__(self, params: list, names: list[str], comm, bucket_cap_bytes: int, find_unused: bool):
        self.params = params
        self.names = names
        self.comm = comm
        self.world = comm.Get_size()
        self.find_unused = find_unused
        self.buckets = assign_buckets(params, bucket_cap_bytes, min(FIRST_BUCKET_BYTES, bucket_cap_bytes))
        self.where = {}  # parameter index -> (bucket, position in it)
        for bucket in self.buckets:
            for position, index in enumerate(bucket.indices):
                self.where[index] = (bucket, position)
        self.state = IDLE
        self.next_to_start = 0
        self.differences = []  # (array handed to the engine, slot, kept .grad) to fill at the end
        self.waiting_for = 0                 # expected gradients not yet arrived in this pass
        self.used = np.zeros(len(params), dtype=np.uint8)
        me = weakref.ref(self)  # the hooks must not keep a discarded DDP alive
        self.handles = [param.register_hook(lambda grad, i=index: _grad_ready(me, i, grad))
                        for index, param in enumerate(params)]
        weakref.finalize(self, _remove, list(self.handles))

    # ---- the pass ---------------------------------------------------------------------------

    def arm(self, outputs) -> None:
        """A forward that backward must synchronise (DDP.forward outside no_sync)."""
        for bucket in self.buckets:
            bucket.reset()
        self.next_to_start = 0
        self.used[:] = 0
        self.differences = []
        self.state = ARMED
        expected = reachable_leaves(outputs) if self.find_unused else None
        self.waiting_for = 0
        for index, param in enumerate(self.params):
            if expected is None or id(param) in expected:
                self.waiting_for += 1
            else:  # unused in this forward: ready now, contributing zeros (or its no_sync sum)
                bucket, position = self.where[index]
                self.fill(bucket, position, None)
        if self.waiting_for == 0:  # nothing to wait for: average now (no gradient, no hook)
            self.finish()
        else:
            self.start_ready_buckets()

    def grad_ready(self, index: int, grad):
        """A parameter's gradient is complete (its tensor hook): into the bucket, start what can start."""
        if self.state != ARMED:  # no_sync, or a second backward through one forward: local only
            return None
        bucket, position = self.where[index]
        if bucket.filled[position]:
            return None
        held = self.params[index].grad
        self.fill(bucket, position, grad._data)
        handed = self.hand_over(bucket.slot(position), held)
        self.used[index] = 1
        self.waiting_for -= 1
        if self.waiting_for == 0:
            self.finish()
        else:
            self.start_ready_buckets()
            self.progress()
        return from_numpy(handed)

    def hand_over(self, slot: np.ndarray, held) -> np.ndarray:
        """What the engine should add into `.grad` so that it ends up equal to the slot (the
        average, once the all-reduce is done). Usually `.grad` is None and that is the slot
        itself. A kept `.grad` already went into the slot; the engine will add to it, so it gets
        zeros when it is that very slot, else the difference (filled in by finish())."""
        if held is None:
            return slot
        difference = np.zeros_like(slot)
        if not np.shares_memory(held._data, slot):
            self.differences.append((difference, slot, held._data))
        return difference

    def fill(self, bucket: Bucket, position: int, grad) -> None:
        """The slot gets this pass's gradient plus what `.grad` holds already (no_sync steps),
        divided by the world size on the way in (as PyTorch does), so that the all-reduce's sum
        is the average."""
        slot = bucket.slot(position)
        held = bucket.params[position].grad
        if grad is None:
            if held is None:
                slot[...] = 0
            else:
                np.divide(held._data, self.world, out=slot)
        elif held is None:
            np.divide(grad, self.world, out=slot)
        else:
            np.add(grad, held._data, out=slot)
            slot /= self.world
        bucket.filled[position] = True
        bucket.pending -= 1

    def start_ready_buckets(self) -> None:
        from mpi4py import MPI

        while self.next_to_start < len(self.buckets) and self.buckets[self.next_to_start].pending == 0:
            bucket = self.buckets[self.next_to_start]
            bucket.request = self.comm.Iallreduce(MPI.IN_PLACE, bucket.buffer, op=MPI.SUM)
            self.next_to_start += 1

    def progress(self) -> None:
        started = [b.request for b in self.buckets[:self.next_to_start]]
        if started:
            from mpi4py import MPI

            MPI.Request.Testall(started)

    def finish(self) -> None:
        """Every expected gradient is in: start what has not started, wait for everything."""
        from mpi4py import MPI

        self.state = IDLE
        self.start_ready_buckets()
        used_anywhere = None
        if self.find_unused:
            used_anywhere = self.used.copy()
            used_request = self.comm.Iallreduce(MPI.IN_PLACE, used_anywhere, op=MPI.MAX)
        MPI.Request.Waitall([bucket.request for bucket in self.buckets])
        if self.find_unused:
            used_request.Wait()
        for difference, slot, held in self.differences:
            np.subtract(slot, held, out=difference)
        self.differences = []
        for index, param in enumerate(self.params):
            # A parameter no hook saw (unused here) gets `.grad` written directly, unless no
            # process used it: then `.grad` is left alone, as PyTorch does.
            if not self.used[index] and (used_anywhere is None or used_anywhere[index]):
                bucket, position = self.where[index]
                write_grad(param, bucket.slot(position))

    def check_last_pass(self) -> None:
        """Called by the next forward. If the previous synchronised backward started but never
        reached some parameter it was expected to, raise (as PyTorch does, at the next forward;
        unlike PyTorch's, the `.grad`s that pass wrote hold no meaningful values). A forward that
        no backward followed is fine: what it started is completed and dropped."""
        if self.state != ARMED:
            return
        self.state = IDLE
        if not self.used.any():
            from mpi4py import MPI

            MPI.Request.Waitall([b.request for b in self.buckets if b.request is not None])
            return
        missing = [self.names[i] for i in range(len(self.params)) if not self.used[i]]
        raise RuntimeError(
            "DistributedDataParallel: the previous backward did not reach every parameter, so its gradients were "
            f"not averaged. On rank {self.comm.Get_rank()} these got no gradient: {', '.join(missing)}. Pass "
            "find_unused_parameters=True to DistributedDataParallel if some parameters are not used in producing "
            "the loss, and make sure all forward outputs take part in it.")


def reachable_leaves(outputs) -> set:
    """ids of the leaf tensors the outputs' recorded graph leads to (find_unused_parameters)."""
    stack = [t.grad_fn for t in tensors_in(outputs) if t.grad_fn is not None]
    seen, leaves = set(), set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        leaf = getattr(node, "variable", None)
        if leaf is not None:
            leaves.add(id(leaf))
        stack.extend(edge[0] if isinstance(edge, tuple) else edge for edge in node.next_functions)
    for t in tensors_in(outputs):  # an output that is itself a parameter
        if t.grad_fn is None and t.requires_grad:
            leaves.add(id(t))
    return leaves


def tensors_in(value) -> list:
    """The tensors inside a forward's output (a tensor, or tuples, lists and dicts of them)."""
    from ...tensor import Tensor

    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors_in(item)]
    return []


def write_grad(param, slot: np.ndarray) -> None:
    """`.grad` becomes the slot's average: the slot itself, or copied into a kept `.grad`."""
    held = param.grad
    if held is None:
        param.grad = from_numpy(slot)
    elif not np.shares_memory(held._data, slot):
        np.copyto(held._data, slot)


def _grad_ready(ref, index: int, grad):
    reducer = ref()
    return None if reducer is None else reducer.grad_ready(index, grad)


def _remove(handles) -> None:
    for handle in handles:
        handle.remove()
