"""DistributedSampler with the process group's rank and size: every process reads its own share."""
import memograd
import memograd.distributed as dist
from memograd.utils.data import DataLoader, DistributedSampler, TensorDataset


def test_the_processes_shares_partition_the_dataset_every_epoch():
    world = dist.get_world_size()
    n = 10 * world
    dataset = TensorDataset(memograd.arange(n).float(), memograd.arange(n))
    sampler = DistributedSampler(dataset, seed=1)
    assert (sampler.num_replicas, sampler.rank) == (world, dist.get_rank())
    loader = DataLoader(dataset, batch_size=4, sampler=sampler)
    orders = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        mine = [i for _, y in loader for i in y.tolist()]
        everyone = [None] * world
        dist.all_gather_object(everyone, mine)
        flat = [i for share in everyone for i in share]
        assert sorted(flat) == list(range(n))  # disjoint and complete
        orders.append(everyone)
    assert orders[0] != orders[1]  # a new order each epoch
