"""memograd.save / memograd.load of whole objects (nn.Modules, nested checkpoints), the
weights_only allowlist, and files that must only ever raise."""
import io
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
import safetensors.numpy

import memograd
from memograd import nn
from memograd.serialization import (
    CheckpointError, WeightsOnlyLoadError, add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals,
)


@pytest.fixture(autouse=True)
def _empty_allowlist():
    clear_safe_globals()
    yield
    clear_safe_globals()


class Net(nn.Module):
    """Submodules, a tied weight, a frozen parameter, buffers and plain attributes."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(5, 4)
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.BatchNorm1d(4))
        self.head = nn.Linear(4, 5, bias=False)
        self.head.weight = self.embed.weight  # tied
        self.scale = nn.Parameter(memograd.tensor([0.5]), requires_grad=False)
        self.register_buffer("offset", memograd.tensor([0.25, -0.5, 1.0, 0.0], dtype=memograd.float64))
        self.register_buffer("scratch", memograd.zeros(2), persistent=False)
        self.name, self.sizes, self.opts = "net", (5, 4), {"dropout": None, "tags": ["a", "b"], 3: 1e-3}
        self.dtype = memograd.float32

    def forward(self, ids):
        h = self.body(self.embed(ids) + self.offset.to(memograd.float32))
        return self.head(h * self.scale)


class Meta:
    """A plain (non-Module) class that refers back to the module owning it."""

    def __init__(self, owner):
        self.owner, self.epochs = owner, 2


CLASSES = [Net, nn.Sequential, nn.Linear, nn.Tanh, nn.BatchNorm1d, nn.Embedding, nn.ReLU]
IDS = memograd.tensor([0, 3, 1, 4, 2, 3], dtype=memograd.int64)


def saved(obj, tmp_path, name="model.pt"):
    path = tmp_path / name
    memograd.save(obj, path)
    return path


def crafted(tmp_path, tree, arrays=None, name="crafted.pt"):
    path = tmp_path / name
    safetensors.numpy.save_file(arrays or {}, str(path),
                                metadata={"memograd.tree": json.dumps(tree), "memograd.format": "2"})
    return path


def train(model, steps=3, opt=None, scheduler=None):
    opt = opt or memograd.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        model(IDS).pow(2).mean().backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
    return opt


def assert_same_parameters(a, b):
    for (name, x), (_, y) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert np.array_equal(x._data, y._data), name


# ---- whole modules -------------------------------------------------------------------------------

def test_sequential_round_trips_and_computes_the_same(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with safe_globals([nn.Sequential, nn.Linear, nn.ReLU]):
        back = memograd.load(saved(model, tmp_path))
    assert get_safe_globals() == []
    assert type(back) is nn.Sequential and [type(m) for m in back] == [nn.Linear, nn.ReLU, nn.Linear]
    assert back[0].in_features == 3 and back.training
    x = memograd.randn(5, 3)
    assert np.array_equal(back(x)._data, model(x)._data)
    assert all(type(p) is nn.Parameter and p.requires_grad for p in back.parameters())


def test_user_module_keeps_structure_attributes_and_ties(tmp_path):
    model = Net()
    train(model)
    model.meta = Meta(model)  # objects may refer back to their owner
    model.eval()
    back = memograd.load(saved(model, tmp_path), weights_only=False)
    assert type(back) is Net and back.meta.owner is back and back.meta.epochs == 2
    assert not back.training and not back.body[2].training
    assert back.head.weight is back.embed.weight  # still tied
    assert not back.scale.requires_grad and back.embed.weight.requires_grad
    assert back.name == "net" and back.sizes == (5, 4) and back.opts == {"dropout": None, "tags": ["a", "b"], 3: 1e-3}
    assert back.dtype == memograd.float32 and back.offset.dtype == memograd.float64
    assert back._non_persistent_buffers_set == {"scratch"} and "scratch" not in back.state_dict()
    assert list(back.state_dict()) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert np.array_equal(back.state_dict()[key]._data, value._data), key
    assert np.array_equal(back(IDS)._data, model(IDS)._data)


def test_training_continues_identically_from_a_loaded_module(tmp_path):
    model = Net()
    train(model, steps=2)
    with safe_globals(CLASSES):
        back = memograd.load(saved(model, tmp_path))
    train(model)
    train(back)
    assert_same_parameters(model, back)
    assert back.body[2].num_batches_tracked.item() == model.body[2].num_batches_tracked.item() == 5


def test_checkpoint_with_module_optimizer_state_and_plain_values(tmp_path):
    model = Net()
    opt = train(model)
    checkpoint = {"model": model, "optimizer": opt.state_dict(), "epoch": 3, "history": [0.5, float("nan")],
                  "best": (1, None, "x"), "tensor": memograd.arange(3), "rng": memograd.get_rng_state()}
    with safe_globals(CLASSES):
        back = memograd.load(saved(checkpoint, tmp_path))
    assert back["epoch"] == 3 and back["best"] == (1, None, "x") and np.isnan(back["history"][1])
    assert back["tensor"].tolist() == [0, 1, 2] and back["rng"] == checkpoint["rng"]
    opt2 = memograd.optim.Adam([p for p in back["model"].parameters() if p.requires_grad], lr=0.05)
    opt2.load_state_dict(back["optimizer"])
    train(model, 1, opt)
    train(back["model"], 1, opt2)
    assert_same_parameters(model, back["model"])


def test_optimizer_and_scheduler_objects_continue(tmp_path):
    model = Net()
    opt = memograd.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1, momentum=0.9)
    scheduler = memograd.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
    train(model, 3, opt, scheduler)
    back = memograd.load(saved([model, opt, scheduler], tmp_path), weights_only=False)
    assert back[1].param_groups[0]["params"][0] is back[0].embed.weight and back[2].optimizer is back[1]
    train(model, 3, opt, scheduler)
    train(back[0], 3, back[1], back[2])
    assert_same_parameters(model, back[0])
    assert back[1].param_groups[0]["lr"] == opt.param_groups[0]["lr"] == 0.1 * 0.5**3


def test_module_tensors_are_named_by_state_dict_keys(tmp_path):
    model = Net()
    names = set(safetensors.numpy.load_file(str(saved(model, tmp_path))))
    assert set(model.state_dict()) - {"head.weight"} <= names  # the tied weight is stored once


def test_state_dict_files_stay_format_1(tmp_path):
    raw = saved(Net().state_dict(), tmp_path).read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert header["__metadata__"]["memograd.format"] == "1"


# ---- the allowlist ---------------------------------------------------------------------------------

def test_default_load_refuses_classes_and_says_how_to_allow_them(tmp_path):
    path = saved(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), tmp_path)
    with pytest.raises(pickle.UnpicklingError) as info:  # PyTorch's type, so `except` clauses carry over
        memograd.load(path)
    message = str(info.value)
    assert isinstance(info.value, WeightsOnlyLoadError) and "\n" not in message
    assert message.startswith(f"{path}: Weights only load failed")
    for expected in ("memograd.nn.containers.Sequential", "memograd.nn.layers.linear.Linear", "add_safe_globals",
                     "safe_globals", "weights_only=False"):
        assert expected in message
    assert memograd.serialization.get_unsafe_globals_in_checkpoint(path) == [
        "memograd.nn.containers.Sequential", "memograd.nn.layers.activation.ReLU", "memograd.nn.layers.linear.Linear"]


def test_add_get_clear_safe_globals(tmp_path):
    path = saved(nn.Linear(2, 2), tmp_path)
    add_safe_globals([nn.Linear, nn.Linear])
    assert get_safe_globals() == [nn.Linear]
    assert type(memograd.load(path)) is nn.Linear
    with safe_globals([nn.Linear, nn.ReLU]):
        assert get_safe_globals() == [nn.Linear, nn.ReLU]
    assert get_safe_globals() == [nn.Linear]  # what was allowed before the context stays allowed
    clear_safe_globals()
    with pytest.raises(WeightsOnlyLoadError, match="Linear"):
        memograd.load(path)
    with pytest.raises(TypeError):
        add_safe_globals(nn.Linear)


def test_class_saved_under_another_name_loads_with_a_named_entry(tmp_path):
    tree = json.loads(json.dumps(memograd.serialization.flatten(nn.ReLU())[0]))
    tree["$object"] = "old.place.ReLU"
    path = crafted(tmp_path, tree)
    with safe_globals([(nn.ReLU, "old.place.ReLU")]):
        assert type(memograd.load(path)) is nn.ReLU
    with pytest.raises(CheckpointError, match="not imported"):
        memograd.load(path, weights_only=False)


def test_memograd_serialization_is_a_module_attribute():
    code = ("import memograd as torch; assert callable(torch.serialization.safe_globals); "
            "assert torch.serialization.get_safe_globals() == []")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


# ---- files that must only raise ---------------------------------------------------------------------

@pytest.mark.parametrize("target", ["os.system", "builtins.eval", "subprocess.Popen", "posix.system",
                                    "memograd.io.load", "memograd.tensor.Tensor", "builtins.dict"])
@pytest.mark.parametrize("weights_only", [True, False])
def test_crafted_file_naming_a_callable_only_raises(tmp_path, monkeypatch, target, weights_only):
    calls = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    tree = {"$object": target, "$id": 0, "state": {"args": ["echo pwned"]}}
    with pytest.raises(CheckpointError, match=f"crafted.pt.*{target}") as info:
        memograd.load(crafted(tmp_path, tree), weights_only=weights_only)
    assert "\n" not in str(info.value) and calls == []


def test_crafted_file_cannot_import_a_module(tmp_path):
    assert "antigravity" not in sys.modules
    tree = {"$object": "antigravity.Anything", "$id": 0, "state": {}}
    with pytest.raises(CheckpointError, match="not imported"):
        memograd.load(crafted(tmp_path, tree), weights_only=False)
    assert "antigravity" not in sys.modules


class Tracker:
    calls: ClassVar[list] = []

    def __init__(self):
        Tracker.calls.append("init")

    def __hash__(self):
        Tracker.calls.append("hash")
        return 0

    def __setattr__(self, name, value):
        Tracker.calls.append("setattr")

    def __getattribute__(self, name):
        Tracker.calls.append(f"get {name}")
        return object.__getattribute__(self, name)


@pytest.mark.parametrize("tree", [
    {"$reduce": ["os.system", ["echo pwned"]]},
    {"$dict": [[{"$object": f"{__name__}.Tracker", "$id": 0, "state": {}}, 1]]},  # hashing would run its code
    {"$set": [{"$object": f"{__name__}.Tracker", "$id": 0, "state": {}}]},
])
def test_crafted_structures_run_no_code(tmp_path, tree):
    Tracker.calls.clear()
    with safe_globals([Tracker]), pytest.raises(CheckpointError, match="crafted.pt"):
        memograd.load(crafted(tmp_path, tree))
    assert Tracker.calls == []


def test_allowlisted_object_is_rebuilt_without_its_methods(tmp_path):
    Tracker.calls.clear()
    tree = {"$object": f"{__name__}.Tracker", "$id": 0, "state": {"x": 1}}
    with safe_globals([Tracker]):
        obj = memograd.load(crafted(tmp_path, tree))
    assert type(obj) is Tracker and Tracker.calls == []
    assert obj.x == 1


@pytest.mark.parametrize("state, match", [
    ({"_parameters": {"w": 3}}, r"_parameters\['w'\] is a int"),
    ({"_modules": []}, "_modules is not a dict"),
    ({"training": "yes"}, "training"),
    ([1, 2], "attributes"),
    ({"_buffers": {"b": {"$object": f"{__name__}.Tracker", "$id": 1, "state": {}}}}, r"\['b'\] is a Tracker"),
])
def test_corrupted_module_state(tmp_path, state, match):
    Tracker.calls.clear()
    tree = {"$object": "memograd.nn.layers.activation.ReLU", "$id": 0, "state": state}
    with pytest.raises(CheckpointError, match=f"crafted.pt.*{match}"):
        memograd.load(crafted(tmp_path, tree), weights_only=False)
    assert Tracker.calls == []


@pytest.mark.parametrize("tree, match", [
    ({"$ref": 4}, "before defining it"),
    ({"$param": "missing"}, "'missing'"),
    ({"$dtype": "object"}, "dtype"),
    ([{"$object": "a.B", "$id": 0, "state": {}}, {"$object": "a.B", "$id": 0, "state": {}}], "repeated"),
    ({"$object": "not a name", "$id": 0, "state": {}}, "not a class name"),
])
def test_malformed_trees(tmp_path, tree, match):
    with safe_globals([(nn.ReLU, "a.B")]), pytest.raises(CheckpointError, match=match):
        memograd.load(crafted(tmp_path, tree))


@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_module_file_names_the_file(tmp_path, keep):
    raw = saved(Net(), tmp_path).read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(raw[:int(len(raw) * keep)])
    with pytest.raises(CheckpointError, match="cut.pt") as info:
        memograd.load(path, weights_only=False)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("content, match", [
    (b"PK\x03\x04" + bytes(26) + b"archive/data.pkl" + bytes(40), "PyTorch pickle file.*zip"),
    (b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19." + bytes(30), "PyTorch pickle file.*legacy"),
    (pickle.dumps({"a": 1}), "Python pickle"),
    (b"PK\x03\x04 some other zip", "zip archive, not a memograd file"),
    (b"\x00" * 3, "not a safetensors file"),
])
def test_foreign_files_say_what_they_are(tmp_path, content, match):
    path = tmp_path / "foreign.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=f"foreign.pt.*{match}") as info:
        memograd.load(path)
    assert "\n" not in str(info.value)


# ---- what cannot be saved, and load's options ------------------------------------------------------

class Slotted:
    __slots__ = ("a",)


def test_unsaveable_objects(tmp_path):
    class Local:
        pass

    model = nn.Linear(2, 2)
    model.act = lambda x: x
    cases = [(Local(), "inside functions"), (model, r"function.*obj\['act'\]"), (Slotted(), "__slots__"),
             ([memograd.nn.functional.relu], "function"), (nn.Linear, "class")]
    loop = []
    loop.append(loop)
    cases.append((loop, "contains itself"))
    for obj, match in cases:
        with pytest.raises(TypeError, match=match):
            memograd.save(obj, tmp_path / "x.pt")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", [None, "cpu", memograd.device("cpu"), {"cuda:0": "cpu"},
                                   lambda storage, location: storage])
def test_map_location_forms(tmp_path, where):
    back = memograd.load(saved({"w": memograd.ones(2)}, tmp_path), map_location=where, mmap=False)
    assert back["w"].tolist() == [1.0, 1.0]


def test_load_options_that_cannot_apply(tmp_path):
    path = saved({"w": memograd.ones(2)}, tmp_path)
    with pytest.raises(RuntimeError, match="cuda"):
        memograd.load(path, map_location="cuda")
    with pytest.raises(NotImplementedError, match="pickle_module"):
        memograd.load(path, pickle_module=json)
    assert memograd.load(path, pickle_module=pickle, encoding="latin1")["w"].tolist() == [1.0, 1.0]
    memograd.save({"w": memograd.ones(1)}, io.BytesIO(), pickle, 2)


def test_leaf_tensors_keep_requires_grad(tmp_path):
    w = memograd.randn(3, requires_grad=True)
    back = memograd.load(saved({"w": w, "twice": w, "result": w * 2}, tmp_path))
    assert back["w"].requires_grad and back["w"].is_leaf and back["twice"] is back["w"]
    assert not back["result"].requires_grad
