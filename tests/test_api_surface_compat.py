"""A PyTorch API memograd lacks raises NotImplementedError naming it (and docs/compat.md)
where the program asks for it; a name PyTorch lacks too stays an AttributeError."""
from pathlib import Path

import pytest

import memograd
from memograd.unsupported import UnsupportedAPIError, is_pytorch_name

COMPAT = Path(__file__).resolve().parent.parent / "docs" / "compat.md"


@pytest.mark.parametrize("get, api", [
    (lambda: memograd.fft, "torch.fft"),
    (lambda: memograd.linalg, "torch.linalg"),
    (lambda: memograd.sparse, "torch.sparse"),
    (lambda: memograd.jit, "torch.jit"),
    (lambda: memograd.distributions, "torch.distributions"),
    (lambda: memograd.stft, "torch.stft"),
    (lambda: memograd.complex64, "torch.complex64"),
    (lambda: memograd.nn.Fold, "torch.nn.Fold"),
    (lambda: memograd.nn.functional.affine_grid, "torch.nn.functional.affine_grid"),
    (lambda: memograd.optim.SparseAdam, "torch.optim.SparseAdam"),
    (lambda: memograd.optim.lr_scheduler.CyclicLR, "torch.optim.lr_scheduler.CyclicLR"),
    (lambda: memograd.utils.data.StackDataset, "torch.utils.data.StackDataset"),
    (lambda: memograd.zeros(2).cholesky, "torch.Tensor.cholesky"),
])
def test_missing_pytorch_apis_raise_not_implemented_naming_them(get, api):
    with pytest.raises(NotImplementedError, match=api.replace(".", r"\.")) as info:
        get()
    assert "docs/compat.md" in str(info.value)


def test_from_import_shows_the_message():
    with pytest.raises(UnsupportedAPIError, match="torch.nn.functional.grid_sample"):
        from memograd.nn.functional import grid_sample  # noqa: F401


def test_unknown_names_stay_attribute_errors():
    with pytest.raises(AttributeError) as info:
        memograd.no_such_function  # noqa: B018
    assert not isinstance(info.value, NotImplementedError)
    with pytest.raises(AttributeError):
        memograd.zeros(2).no_such_method  # noqa: B018
    with pytest.raises(AttributeError):
        memograd.nn.NoSuchLayer  # noqa: B018


def test_probing_a_tensor_stays_quiet():
    t = memograd.zeros(2)
    assert not hasattr(t, "values") and not hasattr(t, "to_sparse") and getattr(t, "cholesky", None) is None
    assert not hasattr(t, "_private_thing")


def test_the_name_tables_hold_pytorch_names_memograd_lacks():
    assert is_pytorch_name("torch", "fft") and not is_pytorch_name("torch", "no_such_function")
    assert is_pytorch_name("torch.Tensor", "cholesky")
    pytest.importorskip("torch")
    import torch

    for namespace, ours, theirs in (("torch", memograd, torch), ("torch.nn", memograd.nn, torch.nn)):
        from memograd.unsupported_names import NAMES

        for name in NAMES[namespace].split():
            assert hasattr(theirs, name), f"{namespace}.{name} is not a PyTorch name"


def test_lazy_submodules_and_compat_doc_exist():
    assert memograd.cuda.is_available() is False and memograd.backends.cudnn.enabled
    assert COMPAT.exists()
    text = COMPAT.read_text(encoding="utf-8")
    for family in ("Tensors", "torch.*", "autograd", "nn", "optim", "utils.data", "io"):
        assert f"## {family}" in text


def test_loading_a_pytorch_pickle_checkpoint_names_the_problem(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(NotImplementedError, match="torch.load.*safetensors"):
        memograd.load(path)
    memograd.save({"w": memograd.ones(2)}, tmp_path / "ok.safetensors")
    assert memograd.load(tmp_path / "ok.safetensors")["w"].tolist() == [1.0, 1.0]
