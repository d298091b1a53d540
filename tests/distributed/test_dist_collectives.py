"""memograd.distributed's collectives against NumPy computing the same thing from every rank's input."""
import numpy as np
import pytest

import memograd
import memograd.distributed as dist


def rank_world():
    return dist.get_rank(), dist.get_world_size()


def inputs(rank: int, dtype=np.float32) -> np.ndarray:
    """Rank r's input: different on every rank, known to all of them."""
    return (np.arange(6).reshape(2, 3) + 1 + 10 * rank).astype(dtype)


def test_rank_and_world_size_come_from_mpi():
    from mpi4py import MPI

    assert dist.is_initialized() and dist.is_available()
    assert dist.get_rank() == MPI.COMM_WORLD.Get_rank()
    assert dist.get_world_size() == MPI.COMM_WORLD.Get_size() >= 2
    assert dist.get_backend() == "mpi"
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")


@pytest.mark.parametrize("op, reduce", [
    (dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.AVG, np.mean), (dist.ReduceOp.MAX, np.max),
    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.PRODUCT, np.prod),
])
def test_all_reduce_matches_numpy_in_place(op, reduce):
    rank, world = rank_world()
    t = memograd.tensor(inputs(rank))
    memory, version = t._data, t._version
    assert dist.all_reduce(t, op=op) is None
    expected = reduce(np.stack([inputs(r) for r in range(world)]), axis=0)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    assert t._data is memory  # no copy for a contiguous tensor
    assert t._version > version  # an in-place write, like any other


def test_all_reduce_integers_and_bools():
    rank, world = rank_world()
    t = memograd.tensor(inputs(rank, np.int64))
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    np.testing.assert_array_equal(t.numpy(), inputs(world - 1, np.int64))
    flags = memograd.tensor([rank == 0, True, False])
    dist.all_reduce(flags, op=dist.ReduceOp.SUM)  # logical or, as for booleans in PyTorch
    assert flags.tolist() == [True, True, False]
    with pytest.raises(ValueError, match="AVG"):
        dist.all_reduce(memograd.tensor([1, 2]), op=dist.ReduceOp.AVG)


def test_all_reduce_of_a_non_contiguous_view_writes_through():
    rank, world = rank_world()
    base = memograd.tensor(inputs(rank))
    view = base.t()  # a transposed view: not C-contiguous
    dist.all_reduce(view)
    expected = sum(inputs(r) for r in range(world))
    np.testing.assert_allclose(base.numpy(), expected)


def test_async_all_reduce_returns_a_work_to_wait_on():
    rank, world = rank_world()
    t = memograd.tensor(inputs(rank))
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert work.wait() is True and work.is_completed()
    np.testing.assert_allclose(t.numpy(), np.mean([inputs(r) for r in range(world)], axis=0))


@pytest.mark.parametrize("async_op", [False, True])
def test_broadcast_from_the_last_rank(async_op):
    rank, world = rank_world()
    t = memograd.tensor(inputs(rank))
    work = dist.broadcast(t, src=world - 1, async_op=async_op)
    if async_op:
        work.wait()
    np.testing.assert_array_equal(t.numpy(), inputs(world - 1))


def test_all_gather_and_all_gather_into_tensor():
    rank, world = rank_world()
    outs = [memograd.zeros(2, 3) for _ in range(world)]
    dist.all_gather(outs, memograd.tensor(inputs(rank)))
    for r, out in enumerate(outs):
        np.testing.assert_array_equal(out.numpy(), inputs(r))
    flat = memograd.zeros(world * 2, 3)
    dist.all_gather_into_tensor(flat, memograd.tensor(inputs(rank)))
    np.testing.assert_array_equal(flat.numpy(), np.concatenate([inputs(r) for r in range(world)]))
    with pytest.raises(ValueError, match="one per process"):
        dist.all_gather(outs[:1], memograd.tensor(inputs(rank)))


def test_reduce_scatter_gives_each_rank_its_reduced_part():
    rank, world = rank_world()
    parts = [memograd.tensor(inputs(rank) * (k + 1)) for k in range(world)]  # part k goes to rank k
    out = memograd.zeros(2, 3)
    dist.reduce_scatter(out, parts)
    np.testing.assert_allclose(out.numpy(), sum(inputs(r) for r in range(world)) * (rank + 1))
    stacked = memograd.tensor(np.stack([inputs(rank) * (k + 1) for k in range(world)]))
    out2 = memograd.zeros(2, 3)
    dist.reduce_scatter_tensor(out2, stacked, op=dist.ReduceOp.MAX)
    np.testing.assert_allclose(out2.numpy(), inputs(world - 1) * (rank + 1))


def test_reduce_to_one_rank():
    rank, world = rank_world()
    t = memograd.tensor(inputs(rank))
    dist.reduce(t, dst=0)
    expected = sum(inputs(r) for r in range(world)) if rank == 0 else inputs(rank)
    np.testing.assert_allclose(t.numpy(), expected)


def test_object_collectives():
    rank, world = rank_world()
    box = [{"config": [1, 2, 3]} if rank == 0 else None, "from zero" if rank == 0 else "mine"]
    dist.broadcast_object_list(box, src=0)
    assert box == [{"config": [1, 2, 3]}, "from zero"]
    gathered = [None] * world
    dist.all_gather_object(gathered, ("rank", rank))
    assert gathered == [("rank", r) for r in range(world)]


def test_barrier_and_a_subgroup():
    rank, _world = rank_world()
    dist.barrier()
    dist.barrier(async_op=True).wait()
    group = dist.new_group([0, 1])
    if rank < 2:
        t = memograd.tensor([float(rank + 1)])
        dist.all_reduce(t, group=group)
        assert t.item() == 3.0 and dist.get_world_size(group) == 2
    else:
        assert group is dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(group) == -1


def test_differentiable_all_reduce_backward_is_an_all_reduce():
    """s = x_0 + ... + x_{N-1}; rank r's loss is (r + 1) * sum(s). d(sum of losses)/dx = sum_r (r + 1)."""
    rank, world = rank_world()
    x = memograd.tensor(inputs(rank, np.float64), requires_grad=True)
    s = dist.nn.functional.all_reduce(x)
    np.testing.assert_allclose(s.detach().numpy(), sum(inputs(r, np.float64) for r in range(world)))
    ((rank + 1) * s.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), world * (world + 1) / 2))
    np.testing.assert_array_equal(x.detach().numpy(), inputs(rank, np.float64))  # input untouched
