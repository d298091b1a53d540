"""Samplers and DataLoader(sampler=..., batch_sampler=..., batch_size=None), with PyTorch's
argument checks; and nn.DataParallel / DistributedDataParallel."""
import numpy as np
import pytest

import memograd
from memograd.utils import data as mdata

torch = pytest.importorskip("torch")
from torch.utils import data as tdata  # noqa: E402


def dataset(lib, n=10):
    return (mdata if lib is memograd else tdata).TensorDataset(lib.arange(float(n)))


def values(loader) -> list:
    return [b[0].tolist() for b in loader]


def both(build):
    """build(lib, data_module) under each library, paired."""
    return build(memograd, mdata), build(torch, tdata)


def test_sequential_and_batch_samplers_as_torch():
    ours, theirs = both(lambda lib, d: list(d.BatchSampler(d.SequentialSampler(range(7)), 3, drop_last=False)))
    assert ours == theirs == [[0, 1, 2], [3, 4, 5], [6]]
    ours, theirs = both(lambda lib, d: len(d.BatchSampler(d.SequentialSampler(range(7)), 3, drop_last=True)))
    assert ours == theirs == 2
    ours, theirs = both(lambda lib, d: list(d.BatchSampler([4, 2, 9], 2, False)))
    assert ours == theirs


def test_random_samplers_draw_what_they_should():
    ds = dataset(memograd)
    perm = list(mdata.RandomSampler(ds))
    assert sorted(perm) == list(range(10)) and len(mdata.RandomSampler(ds)) == 10
    chained = list(mdata.RandomSampler(ds, num_samples=25))
    counts = np.bincount(chained, minlength=10)
    assert len(chained) == 25 and counts.min() == 2 and counts.max() == 3  # two full permutations, then 5
    drawn = list(mdata.RandomSampler(ds, replacement=True, num_samples=40))
    assert len(drawn) == 40 and set(drawn) <= set(range(10))
    sub = list(mdata.SubsetRandomSampler([5, 6, 7]))
    assert sorted(sub) == [5, 6, 7]
    weighted = list(mdata.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50))
    assert len(weighted) == 50 and set(weighted) <= {1, 3}
    once = list(mdata.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False))
    assert sorted(once) == [0, 1, 2]
    g1, g2 = memograd.Generator().manual_seed(4), memograd.Generator().manual_seed(4)
    assert list(mdata.RandomSampler(ds, generator=g1)) == list(mdata.RandomSampler(ds, generator=g2))


@pytest.mark.parametrize("build, error", [
    (lambda lib, d: d.RandomSampler(dataset(lib), replacement=1), TypeError),
    (lambda lib, d: d.RandomSampler(dataset(lib), num_samples=0), ValueError),
    (lambda lib, d: d.RandomSampler([]), ValueError),
    (lambda lib, d: d.BatchSampler(d.SequentialSampler(range(3)), 0, False), ValueError),
    (lambda lib, d: d.BatchSampler(d.SequentialSampler(range(3)), 2, 1), ValueError),
    (lambda lib, d: d.WeightedRandomSampler([1, 2], 0), ValueError),
    (lambda lib, d: d.WeightedRandomSampler([[1, 2]], 2), ValueError),
    (lambda lib, d: d.WeightedRandomSampler([1, 2], 2, replacement=0), ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), sampler=d.SequentialSampler(range(10)), shuffle=True), ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_sampler=d.BatchSampler(range(10), 3, False), batch_size=2),
     ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_sampler=d.BatchSampler(range(10), 3, False), drop_last=True),
     ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_sampler=d.BatchSampler(range(10), 3, False), shuffle=True),
     ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_sampler=d.BatchSampler(range(10), 3, False), sampler=[1]),
     ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_size=None, drop_last=True), ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_size=0), ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), batch_size=2.5), ValueError),
    (lambda lib, d: d.DataLoader(dataset(lib), num_workers=-1), ValueError),
], ids=lambda x: "" if callable(x) else x.__name__)
def test_argument_checks_as_torch(build, error):
    with pytest.raises(error):
        build(torch, tdata)
    with pytest.raises(error):
        build(memograd, mdata)


def test_loader_with_sampler_batch_sampler_and_no_batching():
    ours, theirs = both(lambda lib, d: values(d.DataLoader(dataset(lib), batch_size=4, sampler=[9, 8, 7, 6, 5])))
    assert ours == theirs == [[9.0, 8.0, 7.0, 6.0], [5.0]]
    ours, theirs = both(lambda lib, d: len(d.DataLoader(dataset(lib), batch_size=4, sampler=[9, 8, 7, 6, 5])))
    assert ours == theirs == 2
    make = lambda lib, d: d.DataLoader(dataset(lib), batch_sampler=d.BatchSampler(d.SequentialSampler(range(10)), 3,  # noqa: E731
                                                                                  False))
    ours, theirs = both(lambda lib, d: (values(make(lib, d)), len(make(lib, d))))
    assert ours == theirs and ours[1] == 4
    ours, theirs = both(lambda lib, d: [b[0].item() for b in d.DataLoader(dataset(lib, 4), batch_size=None)])
    assert ours == theirs == [0.0, 1.0, 2.0, 3.0]
    ours, theirs = both(lambda lib, d: len(d.DataLoader(dataset(lib), batch_size=None)))
    assert ours == theirs == 10
    ours, theirs = both(lambda lib, d: (lambda dl: (type(dl.sampler).__name__, type(dl.batch_sampler).__name__,
                                                    dl.batch_size))(d.DataLoader(dataset(lib), batch_size=3,
                                                                                 shuffle=True)))
    assert ours == theirs


def test_shuffled_loader_visits_every_item_once_per_epoch():
    loader = mdata.DataLoader(dataset(memograd, 23), batch_size=5, shuffle=True)
    for _ in range(2):
        seen = [v for batch in values(loader) for v in batch]
        assert sorted(seen) == [float(i) for i in range(23)]


def test_weighted_sampler_in_a_loader():
    ds = dataset(memograd, 4)
    loader = mdata.DataLoader(ds, batch_size=8, sampler=mdata.WeightedRandomSampler([0.0, 0.0, 1.0, 0.0], 16))
    assert values(loader) == [[2.0] * 8, [2.0] * 8]


def test_data_parallel_calls_the_module_on_cpu():
    memograd.manual_seed(0)
    inner = memograd.nn.Linear(3, 2)
    model = memograd.nn.DataParallel(inner)
    x = memograd.randn(4, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), inner(x).detach().numpy())
    assert list(model.state_dict()) == list(torch.nn.DataParallel(torch.nn.Linear(3, 2)).state_dict())
    assert model.module is inner and memograd.nn.parallel.DataParallel is memograd.nn.DataParallel
    model(x).sum().backward()
    assert inner.weight.grad is not None
    with pytest.raises(RuntimeError):
        memograd.nn.DataParallel(inner, device_ids=[0])


def test_distributed_data_parallel_needs_a_process_group_as_in_pytorch():
    with pytest.raises(ValueError, match="init_process_group"):
        memograd.nn.parallel.DistributedDataParallel(memograd.nn.Linear(2, 2))
