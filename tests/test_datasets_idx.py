"""IDX files and the MNIST / Fashion-MNIST loaders, on small files written to tmp_path."""
import gzip

import numpy as np
import pytest

from memograd.utils.data import load_dataset
from memograd.utils.data.datasets import IDXError, fashion_mnist, mnist, read_idx

TYPE_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
              np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX encoding written independently of the reader: header, big-endian dims and values."""
    header = bytes([0, 0, TYPE_CODES[array.dtype], array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path, array, gz=False):
    data = idx_bytes(array)
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


def write_mnist(folder, n_train=6, n_test=4, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8)[::-1] % 10,
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write(folder / (name + (".gz" if gz else "")), array, gz)
    return arrays


@pytest.mark.parametrize("dtype", list(TYPE_CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_round_trip(tmp_path, dtype, gz):
    array = (np.arange(24) - 5).astype(dtype).reshape(2, 3, 4)
    path = write(tmp_path / ("a.idx" + (".gz" if gz else "")), array, gz)
    back = read_idx(path)
    assert back.dtype == dtype and back.dtype.isnative and np.array_equal(back, array)


def test_read_idx_checks_rank(tmp_path):
    path = write(tmp_path / "labels", np.zeros(5, np.uint8))
    assert read_idx(path, ndim=1).shape == (5,)
    with pytest.raises(IDXError, match="3 dimensions, found 1"):
        read_idx(path, ndim=3)


@pytest.mark.parametrize("corrupt, message", [
    (lambda b: b[:-7], "truncated"),
    (lambda b: b + b"\0", "trailing bytes"),
    (lambda b: b"\x01" + b[1:], "bad magic"),
    (lambda b: b[:2] + b"\x42" + b[3:], "unknown IDX type code 0x42"),
    (lambda b: b[:6], "truncated header"),
    (lambda b: b"", "bad magic"),
])
def test_read_idx_corrupt_files_name_the_file(tmp_path, corrupt, message):
    path = tmp_path / "bad-images-idx3-ubyte"
    path.write_bytes(corrupt(idx_bytes(np.zeros((2, 3, 3), np.uint8))))
    with pytest.raises(IDXError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_broken_gzip(tmp_path):
    good = tmp_path / "x.gz"
    write(good, np.zeros((4, 4), np.uint8), gz=True)
    bad = tmp_path / "broken.gz"
    bad.write_bytes(good.read_bytes()[:-10])
    with pytest.raises(IDXError, match="broken.gz"):
        read_idx(bad)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_idx_files(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    data = mnist(tmp_path)
    x, y = data.train.tensors
    assert x.shape == (6, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.array_equal(x._data[:, 0], arrays["train-images-idx3-ubyte"] / np.float32(255))
    assert data.test.tensors[1].tolist() == [3, 2, 1, 0]  # the official split, in file order
    assert data.num_classes == 10 and data.input_shape == (1, 28, 28)
    assert mnist(tmp_path, flatten=True).input_shape == (784,)


def test_fashion_mnist_in_torchvision_layout_via_spec(tmp_path):
    write_mnist(tmp_path / "FashionMNIST" / "raw")
    data = load_dataset(f"fashion-mnist:{tmp_path}")
    assert data.name == "fashion-mnist" and data.class_names[0] == "T-shirt/top" and len(data.test) == 4
    assert len(load_dataset(f"mnist:{tmp_path / 'FashionMNIST' / 'raw'}").train) == 6


def test_missing_file_names_it_and_the_expected_names(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value) and str(tmp_path) in str(info.value)


def test_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        fashion_mnist(tmp_path / "nowhere")


def test_truncated_mnist_file_is_named(tmp_path):
    write_mnist(tmp_path)
    images = tmp_path / "train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-100])
    with pytest.raises(IDXError, match="truncated") as info:
        mnist(tmp_path)
    assert str(images) in str(info.value)


def test_label_count_and_range_are_checked(tmp_path):
    write_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(IDXError, match="5 labels for 6 images"):
        mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte", np.full(6, 10, np.uint8))
    with pytest.raises(IDXError, match=r"0\.\.9"):
        mnist(tmp_path)


def test_images_file_with_wrong_rank(tmp_path):
    write_mnist(tmp_path)
    write(tmp_path / "t10k-images-idx3-ubyte", np.zeros((4, 784), np.uint8))
    with pytest.raises(IDXError, match="t10k-images-idx3-ubyte.*3 dimensions"):
        mnist(tmp_path)
