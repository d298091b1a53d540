"""DistributedSampler (num_replicas and rank given, so no MPI needed) and DataLoader(sampler=...)."""
import numpy as np
import pytest

import memograd
from memograd.utils.data import DataLoader, DistributedSampler, TensorDataset


def shares(n: int, replicas: int, **kwargs) -> list:
    data = list(range(n))
    return [list(DistributedSampler(data, num_replicas=replicas, rank=r, **kwargs)) for r in range(replicas)]


@pytest.mark.parametrize("n, replicas", [(12, 3), (10, 4), (7, 2), (2, 5)])
def test_shares_are_equal_sized_and_cover_the_dataset(n, replicas):
    parts = shares(n, replicas, shuffle=True, seed=3)
    assert len({len(p) for p in parts}) == 1
    assert sorted({i for p in parts for i in p}) == list(range(n))  # complete
    if n % replicas == 0:
        assert sorted(i for p in parts for i in p) == list(range(n))  # disjoint
    else:  # padded by repeating the start of the order, as PyTorch does
        assert len(parts[0]) == -(-n // replicas)


def test_drop_last_gives_disjoint_shares_without_the_tail():
    parts = shares(10, 4, shuffle=True, drop_last=True)
    flat = [i for p in parts for i in p]
    assert len(flat) == len(set(flat)) == 8 and all(len(p) == 2 for p in parts)
    assert len(DistributedSampler(list(range(10)), num_replicas=4, rank=0, drop_last=True)) == 2


def test_the_order_depends_on_the_epoch_and_the_seed_only():
    data = list(range(20))
    sampler = DistributedSampler(data, num_replicas=2, rank=1, seed=5)
    first = list(sampler)
    assert list(sampler) == first  # same epoch, same order
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and sorted(second) != second
    again = DistributedSampler(data, num_replicas=2, rank=1, seed=5)
    again.set_epoch(1)
    assert list(again) == second


def test_invalid_arguments():
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler([1, 2], num_replicas=2, rank=2)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler([1, 2])


def test_dataloader_reads_the_samplers_indices():
    x = memograd.arange(10).reshape(10, 1).float()
    dataset = TensorDataset(x, memograd.arange(10))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    loader = DataLoader(dataset, batch_size=2, sampler=sampler)
    assert len(loader) == 3
    assert [yb.tolist() for _, yb in loader] == [[1, 3], [5, 7], [9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(dataset, sampler=sampler, shuffle=True)


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (4, 6, False)])
def test_unshuffled_shares_match_pytorch(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(list(range(n)), replicas, rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(list(range(n)), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert torch is not None


def test_shuffled_shares_follow_pytorchs_rules():
    """PyTorch's permutation comes from torch.randperm, so only the rules are compared."""
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    theirs = [list(TorchSampler(list(range(11)), 3, r, shuffle=True)) for r in range(3)]
    ours = shares(11, 3, shuffle=True)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    assert sorted(set(np.concatenate(ours))) == sorted(set(np.concatenate(theirs)))
