"""memograd.save / memograd.load next to PyTorch: the same program runs in both, PyTorch's
pickle files are refused by name, and a whole memograd module's file loads into PyTorch."""
import pickle

import numpy as np
import pytest

import memograd
from memograd import nn
from memograd.serialization import CheckpointError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")


def save_and_load_a_sequential(library, path):
    """A PyTorch program: save a whole model, fail to load it by default, load it allowlisted."""
    library.manual_seed(0)
    model = library.nn.Sequential(library.nn.Linear(3, 2), library.nn.ReLU())
    library.save(model, path)
    try:
        library.load(path)
        refused = ""
    except pickle.UnpicklingError as err:
        refused = str(err)
    with library.serialization.safe_globals([library.nn.Sequential, library.nn.Linear, library.nn.ReLU]):
        back = library.load(path, map_location="cpu", weights_only=True)
    x = library.ones(4, 3)
    return refused, (back(x) - model(x)).abs().max().item(), type(back).__name__


def test_same_program_runs_in_pytorch_and_memograd(tmp_path):
    for library, name in ((torch, "t.pt"), (memograd, "m.pt")):
        refused, difference, kind = save_and_load_a_sequential(library, tmp_path / name)
        assert "Weights only load failed" in refused and "add_safe_globals" in refused
        assert difference == 0.0 and kind == "Sequential"


def test_pytorch_files_are_refused_by_name(tmp_path):
    for legacy in (False, True):
        path = tmp_path / f"torch{legacy}.pt"
        torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=not legacy)
        with pytest.raises(CheckpointError, match=f"{path.name}.*PyTorch pickle"):
            memograd.load(path)


def test_saved_memograd_module_loads_into_pytorch_through_safetensors(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    path = tmp_path / "model.pt"
    memograd.save(model, path)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    twin.load_state_dict(safetensors_torch.load_file(str(path)))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(twin(torch.from_numpy(x)).numpy(), model(memograd.tensor(x))._data, rtol=1e-6)
