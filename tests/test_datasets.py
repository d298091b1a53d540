"""Built-in datasets: digits, spiral, moons and the load_dataset registry."""
import numpy as np
import pytest

from memograd.utils.data import DataLoader, TensorDataset, load_dataset
from memograd.utils.data.datasets import available_datasets, digits, moons, register_dataset, spiral


@pytest.fixture(scope="module")
def digits_data():
    pytest.importorskip("sklearn")
    return digits()


def arrays(ds: TensorDataset):
    x, y = ds.tensors
    return x._data, y._data


def test_digits_shapes_dtypes_and_range(digits_data):
    x_train, y_train = arrays(digits_data.train)
    x_test, y_test = arrays(digits_data.test)
    assert x_train.shape[1:] == (1, 8, 8) and x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert len(x_train) + len(x_test) == 1797
    assert len(x_test) == pytest.approx(0.2 * 1797, abs=10)
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert digits_data.num_classes == 10 and digits_data.input_shape == (1, 8, 8)
    assert digits_data.class_names == tuple("0123456789")


def test_digits_split_is_stratified_and_disjoint(digits_data):
    x_train, y_train = arrays(digits_data.train)
    x_test, y_test = arrays(digits_data.test)
    train_share = np.bincount(y_train, minlength=10) / len(y_train)
    test_share = np.bincount(y_test, minlength=10) / len(y_test)
    assert np.abs(train_share - test_share).max() < 0.01
    # No test image is also a train image (rows as bytes).
    train_rows = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    overlap = sum(row.tobytes() in train_rows for row in x_test.reshape(len(x_test), -1))
    assert overlap <= 2  # the raw data holds a couple of duplicate images, nothing more


def test_digits_is_deterministic_and_seed_changes_the_split(digits_data):
    again = digits()
    assert np.array_equal(arrays(again.test)[1], arrays(digits_data.test)[1])
    assert np.array_equal(arrays(again.train)[0], arrays(digits_data.train)[0])
    other = digits(seed=1)
    assert not np.array_equal(arrays(other.test)[1], arrays(digits_data.test)[1])


def test_digits_flat_view_shares_memory(digits_data):
    flat = digits_data.flattened()
    assert flat.input_shape == (64,) and flat.train.tensors[0].shape == (len(digits_data.train), 64)
    assert np.shares_memory(flat.train.tensors[0]._data, digits_data.train.tensors[0]._data)
    assert digits(flatten=True).test.tensors[0].shape[1:] == (64,)


@pytest.mark.parametrize("make, classes", [(spiral, 3), (moons, 2)])
def test_synthetic_shapes_balance_and_determinism(make, classes):
    data = make(n_samples=300, noise=0.1, seed=4)
    x, y = arrays(data.train)
    x_test, y_test = arrays(data.test)
    assert x.dtype == np.float32 and x.shape == (240, 2) and x_test.shape == (60, 2) and y.dtype == np.int64
    assert data.num_classes == classes == len(data.class_names) and data.input_shape == (2,)
    counts = np.bincount(np.concatenate([y, y_test]))
    assert counts.max() - counts.min() <= 1
    assert np.array_equal(arrays(make(n_samples=300, noise=0.1, seed=4).train)[0], x)
    assert not np.array_equal(arrays(make(n_samples=300, noise=0.1, seed=5).train)[0], x)


def test_noise_zero_moons_lie_on_the_half_circles():
    x, y = arrays(moons(n_samples=200, noise=0.0).train)
    upper = x[y == 0]
    lower = x[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0, atol=1e-6)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0, atol=1e-6)


def test_spiral_with_more_arms():
    data = spiral(n_samples=500, num_classes=5)
    assert data.num_classes == 5 and set(np.unique(arrays(data.train)[1])) == set(range(5))


@pytest.mark.parametrize("kwargs", [{"n_samples": 1}, {"noise": -0.1}, {"num_classes": 1}, {"test_fraction": 1.0}])
def test_synthetic_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        spiral(**kwargs)


def test_load_dataset_specs():
    data = load_dataset("spiral", n_samples=90)
    assert data.name == "spiral" and len(data.train) + len(data.test) == 90
    assert load_dataset("MOONS").name == "moons"
    assert {"digits", "spiral", "moons", "mnist", "fashion-mnist"} <= set(available_datasets())
    batch_x, batch_y = next(iter(DataLoader(data.train, batch_size=8, shuffle=True)))
    assert batch_x.shape == (8, 2) and batch_y.dtype == np.int64


def test_load_dataset_digits(digits_data):
    data = load_dataset("digits")
    assert data.input_shape == (1, 8, 8) and len(data.test) == len(digits_data.test)


@pytest.mark.parametrize("spec, message", [
    ("cifar", "unknown dataset 'cifar'.*digits"),
    ("mnist", "mnist:PATH"),
    ("fashion-mnist:", "fashion-mnist:PATH"),
    ("spiral:/tmp", "takes no path"),
])
def test_load_dataset_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(spec)


def test_register_dataset(monkeypatch):
    from memograd.utils.data.datasets import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # leave the real registry alone
    register_dataset("tiny-test", lambda: spiral(n_samples=12))
    assert len(load_dataset("tiny-test").train) + len(load_dataset("tiny-test").test) == 12
