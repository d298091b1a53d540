"""Creation functions and dtypes: PyTorch's defaults (float32 for Python floats, int64 for
ints), dtype kept from NumPy arrays, conversions, and promotion that never lets a Python
scalar or an integer operand change a float tensor's dtype."""
import numpy as np
import pytest

import memograd


@pytest.mark.parametrize(
    "data, dtype",
    [([1.0, 2.0], memograd.float32), (2.5, memograd.float32), ([1, 2], memograd.int64), (3, memograd.int64),
     ([True, False], memograd.bool), (np.ones(2), memograd.float64), (np.ones(2, np.float32), memograd.float32),
     (np.arange(3), memograd.int64), ([[1, 2.5]], memograd.float32)],
    ids=["floats", "float", "ints", "int", "bools", "f64-array", "f32-array", "int-array", "mixed"],
)
def test_tensor_infers_dtype(data, dtype):
    t = memograd.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_tensor_copies_its_data_and_from_numpy_shares():
    a = np.zeros(3)
    t = memograd.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 0
    shared = memograd.from_numpy(a)
    assert shared.dtype == memograd.float64
    a[1] = 7
    assert shared.numpy()[1] == 7
    with pytest.raises(TypeError, match="from_numpy"):
        memograd.from_numpy([1.0, 2.0])


def test_tensor_explicit_dtype_and_requires_grad():
    t = memograd.tensor([1, 2], dtype=memograd.float64, requires_grad=True)
    assert t.dtype == memograd.float64 and t.requires_grad and t.is_leaf
    assert memograd.tensor([1.5], dtype="float64").dtype == memograd.float64
    assert memograd.tensor([memograd.tensor(1.0), memograd.tensor(2.0)]).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("fn, fill", [(memograd.zeros, 0.0), (memograd.ones, 1.0)])
def test_zeros_ones(fn, fill):
    for t in (fn(2, 3), fn((2, 3)), fn([2, 3])):
        assert t.shape == (2, 3) and t.dtype == memograd.float32
        assert np.all(t.numpy() == fill)
    assert fn(3, dtype=memograd.int64).dtype == memograd.int64
    assert fn(2, requires_grad=True).requires_grad
    assert fn(()).shape == ()


def test_full():
    assert memograd.full((2, 2), 3.5).tolist() == [[3.5, 3.5], [3.5, 3.5]]
    assert memograd.full((2,), 3.5).dtype == memograd.float32
    assert memograd.full((2,), 3).dtype == memograd.int64
    assert memograd.full((2,), True).dtype == memograd.bool
    assert memograd.full(3, 1.0, dtype=memograd.float64).dtype == memograd.float64


def test_random_creation_and_seed():
    for fn in (memograd.randn, memograd.rand):
        t = fn(4, 5)
        assert t.shape == (4, 5) and t.dtype == memograd.float32
        assert fn(3, dtype=memograd.float64).dtype == memograd.float64
        assert fn((2, 3), requires_grad=True).requires_grad
        memograd.manual_seed(7)
        first = fn(10).numpy()
        memograd.manual_seed(7)
        np.testing.assert_array_equal(fn(10).numpy(), first)
        assert not np.array_equal(fn(10).numpy(), first)
    u = memograd.rand(10000).numpy()
    assert u.min() >= 0 and u.max() < 1
    n = memograd.randn(20000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05


def test_arange_and_linspace():
    assert memograd.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert memograd.arange(5).dtype == memograd.int64
    assert memograd.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert memograd.arange(0, 1, 0.25).dtype == memograd.float32
    np.testing.assert_allclose(memograd.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert memograd.arange(3, dtype=memograd.float64).dtype == memograd.float64
    t = memograd.linspace(0, 1, 5)
    assert t.dtype == memograd.float32
    np.testing.assert_allclose(t.numpy(), [0, 0.25, 0.5, 0.75, 1])


def test_eye():
    np.testing.assert_array_equal(memograd.eye(3).numpy(), np.eye(3))
    assert memograd.eye(2, 3).shape == (2, 3)
    assert memograd.eye(2).dtype == memograd.float32


def test_like_functions_keep_shape_and_dtype():
    x = memograd.zeros(2, 3, dtype=memograd.float64)
    for fn in (memograd.zeros_like, memograd.ones_like, memograd.randn_like, memograd.rand_like):
        y = fn(x)
        assert y.shape == (2, 3) and y.dtype == memograd.float64 and not y.requires_grad
    assert memograd.ones_like(x).numpy().sum() == 6
    assert memograd.zeros_like(memograd.tensor([1, 2])).dtype == memograd.int64
    assert memograd.zeros_like(x, dtype=memograd.float32).dtype == memograd.float32
    y = memograd.full_like(x, 7)
    assert y.dtype == memograd.float64 and y.tolist() == [[7.0] * 3] * 2
    assert memograd.ones_like(x, requires_grad=True).requires_grad


def test_default_dtype_can_be_changed():
    memograd.set_default_dtype(memograd.float64)
    assert memograd.get_default_dtype() == memograd.float64
    assert memograd.tensor([1.5]).dtype == memograd.float64
    assert memograd.zeros(2).dtype == memograd.float64
    assert memograd.randn(2).dtype == memograd.float64
    memograd.set_default_dtype(memograd.float32)
    assert memograd.tensor([1.5]).dtype == memograd.float32
    with pytest.raises(TypeError):
        memograd.set_default_dtype(memograd.int64)


def test_dtype_aliases_and_conversions():
    assert memograd.float is memograd.float32 or memograd.float == memograd.float32
    assert memograd.double == memograd.float64 and memograd.long == memograd.int64
    x = memograd.tensor([1.7, -2.2])
    assert x.double().dtype == memograd.float64
    assert x.double().float().dtype == memograd.float32
    assert x.long().dtype == memograd.int64 and x.long().tolist() == [1, -2]
    assert x.to(memograd.float64).dtype == memograd.float64
    assert x.to(dtype=memograd.float64).dtype == memograd.float64
    assert memograd.tensor([0, 2]).bool().tolist() == [False, True]
    assert memograd.tensor([1, 2]).float().dtype == memograd.float32
    assert x.type_as(memograd.tensor([1])).dtype == memograd.int64


@pytest.mark.parametrize("dtype", [memograd.float32, memograd.float64])
@pytest.mark.parametrize("scalar", [2, 2.5, -1, True])
def test_python_scalar_never_changes_float_dtype(dtype, scalar):
    for t in (memograd.ones(3, dtype=dtype), memograd.tensor(1.0, dtype=dtype)):
        for result in (t * scalar, scalar * t, t + scalar, scalar - t, t / scalar, t**scalar, scalar / t):
            assert result.dtype == dtype


def test_integer_promotion_follows_pytorch():
    ints = memograd.tensor([1, 2])
    assert (ints + 1).dtype == memograd.int64
    assert (ints * 2.5).dtype == memograd.float32
    assert (ints / 2).dtype == memograd.float32
    assert (memograd.ones(2) * ints).dtype == memograd.float32
    assert (memograd.ones(2, dtype=memograd.float64) * ints).dtype == memograd.float64
    assert (memograd.tensor([True, False]) + 1.5).dtype == memograd.float32
    assert (memograd.ones(2) + memograd.ones(2, dtype=memograd.float64)).dtype == memograd.float64


def test_gradients_have_their_tensors_dtype():
    x = memograd.ones(3, requires_grad=True)  # float32
    y = x * np.array([1.0, 2.0, 3.0])  # float64 array
    assert y.dtype == memograd.float64
    y.sum().backward()
    assert x.grad.dtype == memograd.float32
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])
    w = memograd.ones(2, dtype=memograd.float64, requires_grad=True)
    (w * memograd.ones(2)).sum().backward()
    assert w.grad.dtype == memograd.float64


def test_requires_grad_on_integer_tensor_is_an_error():
    for make in (lambda: memograd.tensor([1, 2], requires_grad=True),
                 lambda: memograd.zeros(2, dtype=memograd.int64, requires_grad=True),
                 lambda: memograd.arange(3).requires_grad_()):
        with pytest.raises(RuntimeError, match="int64"):
            make()


def test_unknown_device_and_dtype_are_clear_errors():
    with pytest.raises(RuntimeError, match="cuda"):
        memograd.zeros(2, device="cuda")
    assert memograd.zeros(2, device="cpu").device == memograd.device("cpu")
    with pytest.raises(TypeError, match="dtype"):
        memograd.zeros(2, dtype="not-a-dtype")
