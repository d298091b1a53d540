"""DataLoader, default_collate, TensorDataset, Subset, ConcatDataset and random_split."""
from collections import namedtuple

import numpy as np
import pytest

import memograd
from memograd.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make_ds(n=10):
    x = memograd.from_numpy(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    y = memograd.arange(n)
    return TensorDataset(x, y)


class ListDataset(Dataset):
    """A dataset without the fast batch path: items come one by one."""

    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


def labels_of(loader):
    return [int(v) for _, yb in loader for v in yb._data]


# ---- TensorDataset / Subset / ConcatDataset -----------------------------------------------

def test_tensor_dataset_items_and_len():
    ds = make_ds(4)
    x, y = ds[2]
    assert len(ds) == 4
    assert x.tolist() == [6.0, 7.0, 8.0] and int(y) == 2


def test_tensor_dataset_rejects_mismatched_first_dims():
    with pytest.raises(ValueError, match=r"same first dimension.*\[3, 4\]"):
        TensorDataset(memograd.zeros(3, 2), memograd.zeros(4))


def test_tensor_dataset_rejects_non_tensors_and_nothing():
    with pytest.raises(TypeError, match="argument 1"):
        TensorDataset(memograd.zeros(3), np.zeros(3))
    with pytest.raises(ValueError):
        TensorDataset()


def test_subset_and_concat():
    ds = make_ds(5)
    sub = Subset(ds, [4, 0])
    assert len(sub) == 2 and int(sub[0][1]) == 4
    both = ConcatDataset([ds, sub])
    assert len(both) == 7 and int(both[5][1]) == 4 and int(both[-1][1]) == 0
    assert len(ds + sub) == 7
    with pytest.raises(IndexError):
        both[7]


# ---- DataLoader ------------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch, drop_last, expected", [(10, 4, False, 3), (10, 4, True, 2), (8, 4, True, 2),
                                                            (3, 5, True, 0), (3, 5, False, 1)])
def test_len_and_batch_sizes(n, batch, drop_last, expected):
    loader = DataLoader(make_ds(n), batch_size=batch, drop_last=drop_last)
    sizes = [len(yb) for _, yb in loader]
    assert len(loader) == expected == len(sizes)
    assert all(s == batch for s in sizes[:-1])
    assert sum(sizes) == (n // batch * batch if drop_last else n)


def test_unshuffled_order_and_dtypes():
    loader = DataLoader(make_ds(10), batch_size=4)
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 3) and xb.dtype == memograd.float32 and yb.dtype == memograd.int64
    assert labels_of(loader) == list(range(10))


def test_shuffle_same_seed_same_order_new_permutation_each_epoch():
    ds = make_ds(50)
    a = DataLoader(ds, batch_size=7, shuffle=True, generator=memograd.Generator(3))
    b = DataLoader(ds, batch_size=7, shuffle=True, generator=memograd.Generator(3))
    epochs_a = [labels_of(a) for _ in range(3)]
    epochs_b = [labels_of(b) for _ in range(3)]
    assert epochs_a == epochs_b
    assert all(sorted(e) == list(range(50)) for e in epochs_a)
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    assert epochs_a[0] != list(range(50))


def test_shuffle_uses_global_generator_when_none_given():
    ds = make_ds(30)
    memograd.manual_seed(11)
    first = labels_of(DataLoader(ds, batch_size=4, shuffle=True))
    memograd.manual_seed(11)
    again = labels_of(DataLoader(ds, batch_size=4, shuffle=True))
    memograd.manual_seed(12)
    other = labels_of(DataLoader(ds, batch_size=4, shuffle=True))
    assert first == again != other


def test_drop_last_drops_only_the_short_batch():
    loader = DataLoader(make_ds(10), batch_size=3, shuffle=True, drop_last=True, generator=memograd.Generator(0))
    batches = [yb for _, yb in loader]
    assert [len(b) for b in batches] == [3, 3, 3]
    assert len(set(int(v) for b in batches for v in b._data)) == 9


def test_fast_path_matches_item_by_item_path():
    ds = make_ds(23)
    fast = DataLoader(ds, batch_size=5, shuffle=True, generator=memograd.Generator(1))
    slow = DataLoader(ListDataset([ds[i] for i in range(23)]), batch_size=5, shuffle=True,
                      generator=memograd.Generator(1))
    for (xf, yf), (xs, ys) in zip(fast, slow, strict=True):
        assert np.array_equal(xf._data, xs._data) and np.array_equal(yf._data, ys._data)
        assert xf.dtype == xs.dtype and yf.dtype == ys.dtype


def test_fast_path_never_calls_tensor_datasets_getitem(monkeypatch):
    def refuse(self, i):
        raise AssertionError("the batched path should not read items one by one")

    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    ds = TensorDataset(memograd.zeros(100, 2), memograd.zeros(100))
    assert sum(len(xb) for xb, _ in DataLoader(ds, batch_size=16)) == 100
    # A subset of a TensorDataset batches with the fast path too.
    assert sum(len(xb) for xb, _ in DataLoader(Subset(ds, range(10, 40)), batch_size=8)) == 30


def test_a_subclass_with_its_own_getitem_has_it_called_for_every_item():
    class Doubled(TensorDataset):
        calls = 0

        def __getitem__(self, i):
            Doubled.calls += 1
            x, y = super().__getitem__(i)
            return x * 2, y

    ds = Doubled(memograd.from_numpy(np.arange(20, dtype=np.float32).reshape(10, 2)), memograd.arange(10))
    batches = list(DataLoader(ds, batch_size=4))
    assert Doubled.calls == 10
    assert batches[0][0].tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0], [12.0, 14.0]]
    assert batches[-1][1].tolist() == [8, 9]
    sub = list(DataLoader(Subset(ds, [7, 2]), batch_size=2))
    assert Doubled.calls == 12 and sub[0][0].tolist() == [[28.0, 30.0], [8.0, 10.0]]


def test_a_subclass_without_its_own_getitem_keeps_the_fast_path(monkeypatch):
    class Named(TensorDataset):
        name = "rows"

    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: pytest.fail("read item by item"))
    assert [yb.tolist() for _, yb in DataLoader(Named(memograd.zeros(5, 2), memograd.arange(5)), batch_size=3)] == [
        [0, 1, 2], [3, 4]]


def test_subset_batches_hold_the_subset_items():
    sub = Subset(make_ds(10), [9, 3, 5])
    assert labels_of(DataLoader(sub, batch_size=2)) == [9, 3, 5]


def test_custom_collate_fn_gets_the_items():
    seen = []
    loader = DataLoader(make_ds(5), batch_size=2, collate_fn=lambda items: seen.append(len(items)) or len(items))
    assert list(loader) == [2, 2, 1] and seen == [2, 2, 1]


def test_loader_over_dict_samples():
    items = [{"x": np.full(2, i, dtype=np.float64), "y": i, "name": f"s{i}"} for i in range(5)]
    batch = next(iter(DataLoader(ListDataset(items), batch_size=3)))
    assert batch["x"].dtype == memograd.float64 and batch["x"].shape == (3, 2)
    assert batch["y"].tolist() == [0, 1, 2] and batch["name"] == ["s0", "s1", "s2"]


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])  # None is valid: it turns batching off
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(make_ds(), batch_size=bad)


# ---- default_collate -------------------------------------------------------------------------

def test_collate_python_numbers():
    floats = default_collate([1.0, 2.5])
    ints = default_collate([1, 2])
    bools = default_collate([True, False])
    assert floats.dtype == memograd.float32 and floats.tolist() == [1.0, 2.5]
    assert ints.dtype == memograd.int64 and bools.dtype == memograd.bool


def test_collate_follows_default_dtype():
    memograd.set_default_dtype(memograd.float64)
    try:
        assert default_collate([1.0, 2.0]).dtype == memograd.float64
    finally:
        memograd.set_default_dtype(memograd.float32)


def test_collate_arrays_keep_dtype():
    assert default_collate([np.zeros(2), np.ones(2)]).dtype == memograd.float64
    assert default_collate([np.zeros(2, np.uint8)] * 3).shape == (3, 2)
    assert default_collate([np.float32(1), np.float32(2)]).dtype == memograd.float32


def test_collate_tensors_stack_and_keep_graph():
    w = memograd.ones(2, requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    assert batch.shape == (2, 2) and batch.requires_grad
    batch.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]
    plain = default_collate([memograd.zeros(2, dtype=memograd.int64)] * 2)
    assert plain.dtype == memograd.int64 and not plain.requires_grad


def test_collate_nested_structures():
    Pair = namedtuple("Pair", "a b")
    out = default_collate([([1, 2.0], {"k": (3, Pair(1, 2))}), ([4, 5.0], {"k": (6, Pair(3, 4))})])
    assert isinstance(out, tuple) and isinstance(out[0], list)
    assert out[0][0].tolist() == [1, 4] and out[0][1].dtype == memograd.float32
    assert out[1]["k"][0].tolist() == [3, 6]
    assert isinstance(out[1]["k"][1], Pair) and out[1]["k"][1].b.tolist() == [2, 4]


def test_collate_errors():
    with pytest.raises(ValueError):
        default_collate([])
    with pytest.raises(RuntimeError, match="same number"):
        default_collate([(1, 2), (3,)])


# ---- random_split ----------------------------------------------------------------------------

def test_random_split_lengths_cover_everything_once():
    parts = random_split(make_ds(10), [3, 7], generator=memograd.Generator(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))


def test_random_split_fractions_distribute_remainder():
    parts = random_split(make_ds(11), [0.5, 0.3, 0.2], generator=memograd.Generator(0))
    assert sum(len(p) for p in parts) == 11
    assert [len(p) for p in parts] == [6, 3, 2]  # floors 5, 3, 2; the spare item goes to the first


def test_random_split_is_deterministic_per_seed():
    ds = make_ds(40)
    a = random_split(ds, [0.8, 0.2], generator=memograd.Generator(5))
    b = random_split(ds, [0.8, 0.2], generator=memograd.Generator(5))
    c = random_split(ds, [0.8, 0.2], generator=memograd.Generator(6))
    assert a[1].indices == b[1].indices != c[1].indices
    memograd.manual_seed(2)
    d = random_split(ds, [32, 8])
    memograd.manual_seed(2)
    assert random_split(ds, [32, 8])[0].indices == d[0].indices


@pytest.mark.parametrize("lengths", [[3, 3], [0.5, 0.6], [-1, 11]])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError):
        random_split(make_ds(10), lengths)
