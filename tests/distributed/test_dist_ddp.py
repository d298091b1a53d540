"""DistributedDataParallel: N processes with b examples each compute the gradients one process
computes on all N*b, and the replicas stay identical."""
import numpy as np
import pytest

import memograd
import memograd.distributed as dist
import memograd.nn.functional as F
from memograd import nn
from memograd.nn.parallel import DistributedDataParallel as DDP


def rank_world():
    return dist.get_rank(), dist.get_world_size()


def mlp(seed: int, dtype=memograd.float32):
    memograd.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)).to(dtype)


def batch(n: int, seed: int = 1, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return memograd.tensor(rng.standard_normal((n, 5)).astype(dtype)), memograd.tensor(rng.integers(0, 3, n))


def my_share(x, y, b: int):
    rank, _ = rank_world()
    return x[rank * b:(rank + 1) * b], y[rank * b:(rank + 1) * b]


def grads(model) -> list:
    return [p.grad.numpy().copy() for p in model.parameters()]


def single_process_grads(seed, x, y, dtype=memograd.float32) -> list:
    reference = mlp(seed, dtype)
    F.cross_entropy(reference(x), y).backward()
    return grads(reference)


@pytest.mark.parametrize("bucket_cap_mb", [25, 0.0001])  # one bucket (plus the first), or one per parameter
def test_gradients_equal_one_process_on_the_whole_batch(bucket_cap_mb):
    _rank, world = rank_world()
    b = 6
    x, y = batch(b * world)
    model = DDP(mlp(seed=0, dtype=memograd.float64), bucket_cap_mb=bucket_cap_mb)
    if bucket_cap_mb < 0.01:
        assert len(model.reducer.buckets) == 6
    xs, ys = my_share(x.double(), y, b)
    F.cross_entropy(model(xs), ys).backward()
    for got, want in zip(grads(model.module), single_process_grads(0, x.double(), y, memograd.float64)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_float32_replicas_stay_bit_identical_and_follow_one_process():
    rank, world = rank_world()
    b = 8
    model = DDP(mlp(seed=rank))  # different initial weights everywhere: DDP copies rank 0's
    reference = mlp(seed=0)
    opt = memograd.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = memograd.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    for step in range(5):
        x, y = batch(b * world, seed=step)
        xs, ys = my_share(x, y, b)
        opt.zero_grad()
        F.cross_entropy(model(xs), ys).backward()
        opt.step()
        ref_opt.zero_grad()
        F.cross_entropy(reference(x), y).backward()
        ref_opt.step()
    mine = np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])
    everyone = [None] * world
    dist.all_gather_object(everyone, mine)
    for theirs in everyone:
        np.testing.assert_array_equal(theirs, mine)  # replicas: bit for bit
    for p, q in zip(model.module.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_buckets_start_while_backward_is_still_running():
    _rank, world = rank_world()
    model = DDP(mlp(seed=0), bucket_cap_mb=0.0001)
    first_weight = model.module[0].weight  # reached last by backward
    seen = {}

    def look(grad):
        seen["started"] = model.reducer.next_to_start

    first_weight.register_hook(look)
    xs, ys = my_share(*batch(4 * world), 4)
    F.cross_entropy(model(xs), ys).backward()
    assert seen["started"] >= 4  # the buckets of the later layers were already on their way
    assert model.reducer.next_to_start == len(model.reducer.buckets)


def test_no_sync_accumulates_locally_then_averages_the_sums():
    _rank, world = rank_world()
    b = 4
    model = DDP(mlp(seed=0, dtype=memograd.float64))
    batches = [batch(b * world, seed=s, dtype=np.float64) for s in range(3)]
    with model.no_sync():
        for x, y in batches[:2]:
            xs, ys = my_share(x, y, b)
            F.cross_entropy(model(xs), ys).backward()
    local = grads(model.module)
    everyone = [None] * world
    dist.all_gather_object(everyone, local[0])
    if world > 1:
        assert not np.allclose(everyone[0], everyone[1])  # nothing was averaged under no_sync
    xs, ys = my_share(*batches[2], b)
    F.cross_entropy(model(xs), ys).backward()
    reference = mlp(0, memograd.float64)
    for x, y in batches:
        F.cross_entropy(reference(x), y).backward()
    for got, want in zip(grads(model.module), grads(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_kept_grads_add_up_across_synchronised_steps_as_in_one_process():
    _, world = rank_world()
    b = 4
    model = DDP(mlp(seed=0, dtype=memograd.float64))
    reference = mlp(0, memograd.float64)
    batches = [batch(b * world, seed=s, dtype=np.float64) for s in range(3)]

    def both(x, y):
        xs, ys = my_share(x, y, b)
        F.cross_entropy(model(xs), ys).backward()
        F.cross_entropy(reference(x), y).backward()

    both(*batches[0])
    both(*batches[1])  # no zero_grad: .grad (a view of DDP's bucket) keeps adding up
    for got, want in zip(grads(model.module), grads(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    model.zero_grad(set_to_none=False)
    reference.zero_grad(set_to_none=False)
    both(*batches[2])
    for got, want in zip(grads(model.module), grads(reference)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


class TwoHeads(nn.Module):
    """head_b is used only when asked (on some ranks); head_never is never used."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(5, 4)
        self.head_a = nn.Linear(4, 3)
        self.head_b = nn.Linear(4, 3)
        self.head_never = nn.Linear(4, 3)

    def forward(self, x, use_b: bool):
        h = self.body(x).tanh()
        return self.head_a(h) + (self.head_b(h) if use_b else 0)


def test_find_unused_parameters_averages_what_was_used_somewhere_without_a_hang():
    rank, world = rank_world()
    memograd.manual_seed(0)
    model = DDP(TwoHeads().double(), find_unused_parameters=True)
    x, y = batch(2 * world, dtype=np.float64)
    xs, ys = my_share(x, y, 2)
    F.cross_entropy(model(xs, use_b=(rank == world - 1)), ys).backward()  # head_b: used on the last rank only
    inner = model.module
    assert inner.head_never.weight.grad is None  # used nowhere: left alone, as in PyTorch
    # head_b's gradient: the last rank's, divided by the world size, on every rank
    memograd.manual_seed(0)
    reference = TwoHeads().double()
    xl, yl = x[(world - 1) * 2:], y[(world - 1) * 2:]
    F.cross_entropy(reference(xl, use_b=True), yl).backward()
    np.testing.assert_allclose(inner.head_b.weight.grad.numpy(), reference.head_b.weight.grad.numpy() / world,
                               rtol=1e-10)
    assert inner.head_a.weight.grad is not None


def test_an_unused_parameter_without_find_unused_is_reported_at_the_next_forward():
    memograd.manual_seed(0)
    model = DDP(TwoHeads())
    x, y = batch(4)
    F.cross_entropy(model(x, use_b=True), y).backward()  # head_never got no gradient (on every rank)
    with pytest.raises(RuntimeError, match="head_never.weight.*find_unused_parameters=True"):
        model(x, use_b=True)
    F.cross_entropy(model.module(x, use_b=True), y)  # the module itself still works


def test_broadcast_buffers_copies_rank_0s_running_statistics_at_each_forward():
    rank, world = rank_world()
    memograd.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4)))
    bn = model.module[1]
    x, _ = batch(8, seed=10 + rank)  # different data, so different running statistics
    model(x).sum().backward()
    stats = [None] * world
    dist.all_gather_object(stats, bn.running_mean.numpy().copy())
    assert not np.allclose(stats[0], stats[1])
    model(x).sum().backward()  # this forward started from rank 0's statistics
    with memograd.no_grad():
        batch_mean = model.module[0](x).numpy().mean(axis=0)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.9 * stats[0] + 0.1 * batch_mean, rtol=1e-5)


def test_mismatched_models_fail_everywhere_with_the_first_difference():
    rank, _world = rank_world()
    width = 4 if rank == 0 else 5
    with pytest.raises(RuntimeError, match=r"rank 1 differs from rank 0: parameter '0.weight' has shape \(4, 3\) "
                                           r"on rank 0 but \(5, 3\) there"):
        DDP(nn.Sequential(nn.Linear(3, width), nn.Linear(width, 2)))
    layers = [nn.Linear(3, 3)] * (1 if rank == 0 else 2)
    with pytest.raises(RuntimeError, match="rank 0 has 2 parameters, it has 4"):
        DDP(nn.Sequential(*layers) if rank == 0 else nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3)))


def test_state_dict_keys_and_unsupported_arguments():
    model = DDP(mlp(0))
    assert next(iter(model.state_dict())) == "module.0.weight"
    with pytest.raises(ValueError, match="device_ids"):
        DDP(mlp(0), device_ids=[0])


def test_sync_batchnorm_equals_batchnorm_on_the_whole_batch():
    """Each rank normalises its share with the whole batch's statistics, so outputs, running
    statistics and gradients are those of one BatchNorm on the whole batch (the losses are sums)."""
    rank, world = rank_world()
    b = 3
    rng = np.random.default_rng(5)
    x_all = rng.standard_normal((b * world, 4, 2)) * 3 + 2
    w_out = rng.standard_normal((b * world, 4, 2))
    sync = nn.SyncBatchNorm(4).double()
    with memograd.no_grad():
        sync.weight.copy_(memograd.tensor(rng.standard_normal(4)))
    plain = nn.BatchNorm1d(4).double()
    plain.load_state_dict(sync.state_dict())
    model = DDP(sync)
    x = memograd.tensor(x_all[rank * b:(rank + 1) * b], requires_grad=True)
    out = model(x)
    (out * memograd.tensor(w_out[rank * b:(rank + 1) * b])).sum().backward()
    x_ref = memograd.tensor(x_all, requires_grad=True)
    out_ref = plain(x_ref)
    (out_ref * memograd.tensor(w_out)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), out_ref.detach().numpy()[rank * b:(rank + 1) * b], rtol=1e-9)
    # x's gradient: the total loss's (every rank's loss depends on every x through the statistics)
    np.testing.assert_allclose(x.grad.numpy(), x_ref.grad.numpy()[rank * b:(rank + 1) * b], rtol=1e-8, atol=1e-12)
    # parameters: DDP averages the ranks' gradients of their own losses, i.e. the total / world
    np.testing.assert_allclose(sync.weight.grad.numpy(), plain.weight.grad.numpy() / world, rtol=1e-9)
    np.testing.assert_allclose(sync.running_mean.numpy(), plain.running_mean.numpy(), rtol=1e-9)
    np.testing.assert_allclose(sync.running_var.numpy(), plain.running_var.numpy(), rtol=1e-9)
    sync.eval()
    with memograd.no_grad():
        np.testing.assert_allclose(sync(memograd.tensor(x_all)).numpy(), plain.eval()(memograd.tensor(x_all)).numpy())


def test_convert_sync_batchnorm_keeps_parameters_and_statistics():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(3)))
    bn = model[1]
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and isinstance(converted[2][0], nn.SyncBatchNorm)
    assert converted[1].weight is bn.weight and converted[1].running_var is bn.running_var
    assert list(converted.state_dict()) == list(model.state_dict())
