"""PyTorch interop through safetensors: memograd state_dicts load into torch and back."""
import numpy as np
import pytest

import memograd

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def test_memograd_state_dict_loads_into_torch_linear(tmp_path):
    state = {"weight": memograd.randn(3, 4), "bias": memograd.randn(3)}
    path = tmp_path / "linear.safetensors"
    memograd.save(state, path)
    layer = torch.nn.Linear(4, 3)
    layer.load_state_dict(safetensors_torch.load_file(str(path)))
    x = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    expected = x @ state["weight"]._data.T + state["bias"]._data
    with torch.no_grad():
        np.testing.assert_allclose(layer(torch.from_numpy(x)).numpy(), expected, rtol=1e-6)


def test_torch_state_dict_loads_into_memograd(tmp_path):
    torch.manual_seed(0)
    layer = torch.nn.Linear(5, 2)
    path = tmp_path / "torch.safetensors"
    safetensors_torch.save_file(layer.state_dict(), str(path))
    state = memograd.load(path)
    assert set(state) == {"weight", "bias"}
    for key, value in layer.state_dict().items():
        assert isinstance(state[key], memograd.Tensor) and state[key].dtype == memograd.float32
        assert np.array_equal(state[key]._data, value.numpy())


@pytest.mark.parametrize("torch_dtype, dtype", [
    ("float64", memograd.float64), ("int64", memograd.int64), ("bool", memograd.bool),
    ("uint8", memograd.uint8), ("float16", memograd.float16), ("int32", memograd.int32),
])
def test_dtypes_agree_both_ways(tmp_path, torch_dtype, dtype):
    values = memograd.tensor([[0, 1], [1, 0]], dtype=dtype)
    path = tmp_path / "d.safetensors"
    memograd.save({"t": values}, path)
    loaded = safetensors_torch.load_file(str(path))["t"]
    assert loaded.dtype == getattr(torch, torch_dtype) and loaded.tolist() == values.tolist()
    safetensors_torch.save_file({"t": loaded}, str(path))
    back = memograd.load(path)["t"]
    assert back.dtype == dtype and back.tolist() == values.tolist()
