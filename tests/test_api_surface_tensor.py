"""What a tensor is and how it prints: torch.Size, repr/str/format as PyTorch prints them,
new_* creators, device flags, the legacy Tensor(...) constructor rules, NumPy/matplotlib."""
import pickle

import numpy as np
import pytest

import memograd
from memograd.creation import constructor_array
from surface_helpers import assert_same

torch = pytest.importorskip("torch")

# Each prints identically under both libraries (the dtype suffix says torch.float64 in both).
PRINTED = [
    lambda lib: lib.tensor(1.5),
    lambda lib: lib.tensor([1.0, 2.0]),
    lambda lib: lib.tensor([1.5, 2.0, -3.25]),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([1e9, 1.0]),
    lambda lib: lib.tensor([1e-10, 1e10]),
    lambda lib: lib.tensor([float("nan"), float("inf"), -1.5]),
    lambda lib: lib.tensor([float("nan"), 2.0]),
    lambda lib: lib.tensor([0.0, -0.0, 0.0]),
    lambda lib: lib.tensor([[1, 2], [3, 4]]),
    lambda lib: lib.tensor([[-100, 2], [3, 4000]]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([1.5], dtype=lib.float16),
    lambda lib: lib.tensor(3),
    lambda lib: lib.tensor([]),
    lambda lib: lib.zeros(0, 3),
    lambda lib: lib.zeros(0, dtype=lib.int64),
    lambda lib: lib.arange(2000.0),
    lambda lib: lib.arange(30.0).reshape(5, 6) / 7,
    lambda lib: lib.arange(24).reshape(2, 3, 4),
    lambda lib: lib.arange(3000).reshape(10, 300),
    lambda lib: lib.linspace(-1, 1, 40),
    lambda lib: lib.tensor([123456.0, 0.5]),
    lambda lib: lib.tensor(2.0, requires_grad=True),
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True) * 2,
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True) + 1,
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True).sum(),
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True).mean(),
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True).exp(),
    lambda lib: lib.tensor([1.5, 2.0], requires_grad=True).view(2, 1),
    lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float64, requires_grad=True) / 3,
    lambda lib: lib.ones(2, 2, requires_grad=True) @ lib.ones(2, 2),
    lambda lib: lib.tensor([[1.0] * 12] * 2, dtype=lib.float64, requires_grad=True) * 3,
]


@pytest.mark.parametrize("make", PRINTED, ids=lambda f: "")
def test_prints_as_torch(make):
    assert repr(make(memograd)) == repr(make(torch))
    assert str(make(memograd)) == str(make(torch))


def test_set_printoptions_as_torch():
    try:
        for lib in (memograd, torch):
            lib.set_printoptions(precision=2)
        assert repr(memograd.tensor([1.23456, 2.0])) == repr(torch.tensor([1.23456, 2.0]))
        for lib in (memograd, torch):
            lib.set_printoptions(profile="default", sci_mode=False)
        assert repr(memograd.tensor([1e-6, 1.0])) == repr(torch.tensor([1e-6, 1.0]))
        for lib in (memograd, torch):
            lib.set_printoptions(threshold=5, edgeitems=2, linewidth=40)
        assert repr(memograd.arange(10.0)) == repr(torch.arange(10.0))
        assert memograd.get_printoptions()["threshold"] == 5
    finally:
        for lib in (memograd, torch):
            lib.set_printoptions(profile="default", sci_mode=None)


def test_format_spec_on_zero_dim_tensors_as_torch():
    for lib in (memograd, torch):
        loss = lib.tensor(1.23456, requires_grad=True) * 2
        assert format(loss, ".4f") == "2.4691" and f"{loss:.2e}" == "2.47e+00" and f"{lib.tensor(3):>4}" == "   3"
        assert f"{lib.tensor([1.0])}" == "tensor([1.])"
        with pytest.raises(TypeError):
            f"{lib.tensor([2.5]):.2f}"  # a 1-element 1-d tensor takes no spec in PyTorch either


def test_size_is_a_tuple_that_prints_as_torch():
    x = memograd.zeros(2, 3)
    for size in (x.shape, x.size()):
        assert isinstance(size, memograd.Size) and isinstance(size, tuple) and size == (2, 3)
        assert repr(size) == str(size) == repr(torch.zeros(2, 3).shape) == "torch.Size([2, 3])"
    assert f"{x.shape}" == "torch.Size([2, 3])" and x.size(1) == 3 and x.size(-1) == 3
    assert x.shape.numel() == 6 and memograd.Size([]).numel() == 1
    assert type(x.shape[1:]) is memograd.Size and type(x.shape + (4,)) is memograd.Size
    assert type((1,) + x.shape) is memograd.Size and type(x.shape * 2) is memograd.Size
    assert hash(x.shape) == hash((2, 3)) and x.shape[0] == 2 and type(x.shape[0]) is int
    assert pickle.loads(pickle.dumps(x.shape)) == (2, 3)
    assert memograd.Size([memograd.tensor(2), 3]) == (2, 3)
    with pytest.raises(TypeError):
        memograd.Size([2.0])
    assert np.zeros(x.shape).shape == (2, 3)


def test_numel_nelement_dim_and_device_flags():
    x = memograd.zeros(2, 3)
    assert x.nelement() == x.numel() == memograd.numel(x) == 6
    for flag in ("is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(x, flag) is False and getattr(torch.zeros(1), flag) is False
    assert x.is_cpu and x.get_device() == torch.zeros(1).get_device() == -1


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1, 2]).new_tensor([1.5]),
    lambda lib: lib.tensor([1.0], dtype=lib.float64).new_tensor([1]),
    lambda lib: lib.tensor([1.0], dtype=lib.float64).new_zeros(2, 3),
    lambda lib: lib.tensor([1.0], dtype=lib.float64).new_zeros((2, 3)),
    lambda lib: lib.tensor([1.0]).new_ones([2]),
    lambda lib: lib.tensor([1.0], dtype=lib.float64).new_full((2,), 7),
    lambda lib: lib.tensor([1, 2]).new_full((2,), 7.5),
    lambda lib: lib.tensor([1.0]).new_zeros(2, dtype=lib.int64),
    lambda lib: lib.tensor([1.0], dtype=lib.float64).new_zeros(2, requires_grad=True),
    lambda lib: lib.tensor([1.0]).new_empty(3, 2).shape,
], ids=lambda f: "")
def test_new_creators_match_torch(make):
    ours, theirs = make(memograd), make(torch)
    if isinstance(theirs, tuple):
        assert tuple(ours) == tuple(theirs)
    else:
        assert_same(make)
        assert ours.requires_grad == theirs.requires_grad


@pytest.mark.parametrize("args", [(), (2, 3), (4,), "size", [1, 2], "tuple", "array64", "array_int", "array0d",
                                  [[1, 2], [3, 4]], [True]], ids=str)
def test_legacy_constructor_rules_match_torch_Tensor(args):
    def build(lib):
        if args == "size":
            return (lib.Size([2, 3]),)
        if args == "tuple":  # a tuple of numbers is data, not a size
            return ((1.5, 2.0),)
        if args == "array64":
            return (np.array([1.0, 2.0]),)
        if args == "array_int":
            return (np.array([1, 2]),)
        if args == "array0d":
            return (np.array(2.0),)
        return args if isinstance(args, tuple) else (args,)

    reference = torch.Tensor(*build(torch))
    ours = constructor_array(build(memograd))
    assert ours.shape == tuple(reference.shape) and str(ours.dtype) == str(reference.dtype).replace("torch.", "")
    if args not in ((), (2, 3), (4,), "size"):  # the uninitialized ones have no values to compare
        np.testing.assert_array_equal(ours, reference.numpy())


def test_legacy_constructor_shares_a_tensors_memory_and_refuses_numbers():
    t = memograd.tensor([1, 2])
    assert constructor_array((t,)) is t._data  # Tensor(tensor) aliases it, dtype kept (as torch.Tensor)
    assert constructor_array((), device="cpu").shape == (0,)
    memograd.set_default_dtype(memograd.float64)
    assert constructor_array(([1.0],)).dtype == memograd.float64
    for bad in ((3.5,), (np.float64(2.0),), (2.0, 3)):
        with pytest.raises(TypeError):
            torch.Tensor(*bad)
        with pytest.raises(TypeError):
            constructor_array(bad)


def test_numpy_and_matplotlib_accept_tensors():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = memograd.tensor([1.0, 2.0, 2.0, 4.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0, 2.0, 4.0])
    counts, edges = np.histogram(t, bins=3)
    assert counts.tolist() == [1, 2, 1] and len(edges) == 4
    assert not hasattr(t, "values")  # matplotlib's probe for pandas objects must hear "no"
    figure = plt.figure()
    try:
        (line,) = plt.plot(memograd.arange(4), t)
        np.testing.assert_array_equal(line.get_ydata(), [1.0, 2.0, 2.0, 4.0])
        plt.hist(t, bins=2)
        plt.imshow(memograd.zeros(2, 2))
    finally:
        plt.close(figure)
