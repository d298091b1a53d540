"""memograd.save / memograd.load: round trips, the file format, errors and atomic writes."""
import io
import json
import math
import os
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy

import memograd
from memograd.io import CheckpointError


def assert_same(a, b, path="obj"):
    """Exact equality of nested checkpoints: types, dtypes, shapes and values (nan == nan)."""
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), f"{path}: {type(a)} vs {type(b)}"
    if isinstance(a, memograd.Tensor):
        a, b = a._data, b._data
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            assert type(key) is type(list(b)[list(a).index(key)]), f"{path}: key {key!r}"
            assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path


def round_trip(obj, tmp_path):
    path = tmp_path / "ckpt.safetensors"
    memograd.save(obj, path)
    return memograd.load(path)


@pytest.fixture
def checkpoint():
    return {
        "model": OrderedDict([("fc.weight", memograd.randn(4, 3)), ("fc.bias", memograd.zeros(4))]),
        "optimizer": {
            "state": {0: {"step": 7, "exp_avg": memograd.ones(4, 3, dtype=memograd.float64)}, 1: {}},
            "param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": (0.9, 0.999), "nesterov": False,
                              "weight_decay": 0, "foreach": None}],
        },
        "epoch": 12,
        "best": float("inf"),
        "loss_history": [0.5, 0.25, float("nan")],
        "note": "run 3 ünïcode",
        "rng": memograd.get_rng_state(),
        "numpy": {"mask": np.array([True, False]), "bytes": np.arange(5, dtype=np.uint8),
                  "scalar": np.float64(2.5), "step": np.int64(3), "empty": np.zeros((0, 3), np.float32)},
        "ints": memograd.tensor([[1, -2]], dtype=memograd.int64),
        "small": memograd.tensor([1, 2], dtype=memograd.int32),
        "flags": memograd.tensor([True, False]),
        "pixels": memograd.tensor([0, 255], dtype=memograd.uint8),
        "half": memograd.tensor([1.5], dtype=memograd.float16),
        "zero_d": memograd.tensor(3.0),
        (1, "tuple key"): [None, True, -(2**100)],
        "$dollar": {"$tensor": "not a reference"},
    }


def test_nested_checkpoint_round_trips_exactly(checkpoint, tmp_path):
    back = round_trip(checkpoint, tmp_path)
    assert_same(checkpoint, back)
    assert isinstance(back["model"]["fc.weight"], memograd.Tensor)
    assert isinstance(back["numpy"]["mask"], np.ndarray) and isinstance(back["numpy"]["scalar"], np.float64)


def test_loaded_tensors_are_detached_and_writable(tmp_path):
    w = memograd.randn(3, requires_grad=True)
    back = round_trip({"w": w * 2}, tmp_path)["w"]
    assert not back.requires_grad and back.grad_fn is None
    back._data += 1  # optimizers update loaded state in place
    back.requires_grad_(True)


def test_rng_state_round_trip_continues_the_stream(tmp_path):
    memograd.manual_seed(123)
    memograd.randn(5)
    state = round_trip({"rng": memograd.get_rng_state()}, tmp_path)["rng"]
    expected = memograd.randn(4)
    memograd.set_rng_state(state)
    assert np.array_equal(memograd.randn(4)._data, expected._data)
    assert state["state"]["state"] > 2**64  # a 128-bit int survived JSON


def test_legacy_mt19937_state_with_array(tmp_path):
    state = np.random.MT19937(1).state
    back = round_trip(state, tmp_path)
    assert_same(state, back)


@pytest.mark.parametrize("obj", [{}, [], 3, "text", None, (1, 2), memograd.ones(2), [memograd.ones(1)] * 3])
def test_top_level_objects(obj, tmp_path):
    assert_same(obj, round_trip(obj, tmp_path))


def test_floats_round_trip_bit_for_bit(tmp_path):
    values = [0.1, -0.0, 5e-324, 1.7976931348623157e308, 1 / 3, float("-inf")]
    back = round_trip(values, tmp_path)
    assert [v.hex() for v in back] == [v.hex() for v in values]


def test_non_contiguous_and_big_endian_arrays(tmp_path):
    obj = {"t": memograd.from_numpy(np.arange(12.0).reshape(3, 4).T), "be": np.arange(3, dtype=">i4")}
    back = round_trip(obj, tmp_path)
    assert np.array_equal(back["t"]._data, obj["t"]._data) and back["t"].shape == (4, 3)
    assert np.array_equal(back["be"], obj["be"]) and back["be"].dtype == np.int32


def test_flat_state_dict_is_plain_safetensors(tmp_path):
    state = {"layer.weight": memograd.randn(2, 2), "layer.bias": memograd.zeros(2)}
    path = tmp_path / "model.safetensors"
    memograd.save(state, path)
    raw = safetensors.numpy.load_file(str(path))
    assert set(raw) == set(state)
    for key in state:
        assert np.array_equal(raw[key], state[key]._data) and raw[key].dtype == np.float32


def test_nested_tensors_are_named_by_path(checkpoint, tmp_path):
    path = tmp_path / "c.safetensors"
    memograd.save(checkpoint, path)
    names = set(safetensors.numpy.load_file(str(path)))
    assert {"model.fc.weight", "optimizer.state.0.exp_avg", "numpy.mask", "zero_d"} <= names


def test_name_clashes_get_distinct_keys(tmp_path):
    obj = {"a.b": memograd.ones(1), "a": {"b": memograd.zeros(1)}, "__metadata__": memograd.ones(2)}
    assert_same(obj, round_trip(obj, tmp_path))


def test_plain_safetensors_file_loads_as_tensors(tmp_path):
    path = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file({"b": np.arange(3, dtype=np.int64), "a": np.ones((2, 2), np.float64)}, str(path))
    back = memograd.load(path)
    assert list(back) == ["a", "b"]
    assert back["a"].dtype == memograd.float64 and back["b"].tolist() == [0, 1, 2]


def test_file_objects(checkpoint):
    buffer = io.BytesIO()
    memograd.save(checkpoint, buffer)
    buffer.seek(0)
    assert_same(checkpoint, memograd.load(buffer))


def test_memograd_save_load_entry_points(tmp_path):
    memograd.save({"x": memograd.ones(2)}, str(tmp_path / "s.safetensors"))
    assert memograd.load(str(tmp_path / "s.safetensors"))["x"].tolist() == [1.0, 1.0]


def test_structure_is_a_readable_json_tree(checkpoint, tmp_path):
    path = tmp_path / "c.safetensors"
    plain_keys = {k: v for k, v in checkpoint.items() if isinstance(k, str) and not k.startswith("$")}
    memograd.save(plain_keys, path)
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    tree = json.loads(header["__metadata__"]["memograd.tree"])
    assert tree["epoch"] == 12 and tree["model"]["fc.bias"] == {"$tensor": "model.fc.bias"}
    assert tree["optimizer"]["state"]["$dict"][0][0] == 0  # int keys stay ints


# ---- what cannot be saved ----------------------------------------------------------------------

@pytest.mark.parametrize("bad, where", [
    ({"a": {"b": object()}}, r"\['a'\]\['b'\]"),
    ({"c": [1, np.zeros(2, np.complex128)]}, r"complex128 at obj\['c'\]\[1\]"),
    ({"f": len}, "function"),
    ({"s": {1, (2, lambda: 3)}}, "function"),
    ({"o": np.array([None], dtype=object)}, "object"),
])
def test_unsaveable_objects_name_their_place(bad, where, tmp_path):
    with pytest.raises(TypeError, match=where):
        memograd.save(bad, tmp_path / "x.safetensors")
    assert list(tmp_path.iterdir()) == []


# ---- broken files --------------------------------------------------------------------------------

def saved_bytes(obj, tmp_path):
    path = tmp_path / "good.safetensors"
    memograd.save(obj, path)
    return path.read_bytes()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.safetensors"):
        memograd.load(tmp_path / "nothing.safetensors")
    with pytest.raises(IsADirectoryError, match=str(tmp_path)):
        memograd.load(tmp_path)


@pytest.mark.parametrize("cut", [1, 10, 100, 0.5])
def test_truncated_files_name_the_file(checkpoint, tmp_path, cut):
    raw = saved_bytes(checkpoint, tmp_path)
    keep = int(len(raw) * cut) if isinstance(cut, float) else len(raw) - cut
    path = tmp_path / "cut.safetensors"
    path.write_bytes(raw[:keep])
    with pytest.raises(CheckpointError, match="cut.safetensors"):
        memograd.load(path)


def test_truncated_data_names_the_tensor(tmp_path):
    raw = saved_bytes({"only": memograd.ones(100)}, tmp_path)
    path = tmp_path / "cut.safetensors"
    path.write_bytes(raw[:-4])
    with pytest.raises(CheckpointError, match=r"cut.safetensors.*'only'.*truncated"):
        memograd.load(path)


@pytest.mark.parametrize("content", [b"", b"short", b"PK\x03\x04 a zip file, not safetensors at all",
                                     (4).to_bytes(8, "little") + b"{{{{", (2).to_bytes(8, "little") + b"[]"])
def test_non_safetensors_files(tmp_path, content):
    path = tmp_path / "junk.bin"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="junk.bin"):
        memograd.load(path)


def test_corrupted_tree_and_missing_reference(tmp_path):
    path = tmp_path / "edited.safetensors"
    safetensors.numpy.save_file({"a": np.ones(1)}, str(path), metadata={"memograd.tree": '{"x": {"$tensor": "b"}}'})
    with pytest.raises(CheckpointError, match=r"edited.safetensors.*'b'"):
        memograd.load(path)
    safetensors.numpy.save_file({"a": np.ones(1)}, str(path), metadata={"memograd.tree": '{"x": '})
    with pytest.raises(CheckpointError, match=r"edited.safetensors.*not valid JSON"):
        memograd.load(path)
    safetensors.numpy.save_file({}, str(path), metadata={"memograd.tree": "1", "memograd.format": "99"})
    with pytest.raises(CheckpointError, match="format '99'"):
        memograd.load(path)


def test_corrupted_header_entry_names_the_key(tmp_path):
    raw = saved_bytes({"weight": memograd.ones(4)}, tmp_path)
    size = int.from_bytes(raw[:8], "little")
    header = raw[8:8 + size].replace(b'"shape":[4]', b'"shape":[5]')
    path = tmp_path / "bad.safetensors"
    path.write_bytes(raw[:8] + header + raw[8 + size:])
    with pytest.raises(CheckpointError, match=r"bad.safetensors.*'weight'.*shape \[5\]"):
        memograd.load(path)


# ---- atomic writes -------------------------------------------------------------------------------

def test_failed_replace_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    memograd.save({"v": memograd.ones(3)}, path)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        memograd.save({"v": memograd.zeros(300)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]


def test_failed_write_midway_keeps_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    memograd.save({"v": memograd.ones(3)}, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        memograd.save({"v": memograd.zeros(3)}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]


def test_object_failing_to_serialise_midway_keeps_old_file(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    memograd.save({"v": memograd.ones(3)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        memograd.save({"v": memograd.zeros(3), "later": [1, 2, lambda: 3]}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]


def test_overwrite_replaces_content_and_keeps_mode(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    memograd.save({"v": memograd.ones(3)}, path)
    os.chmod(path, 0o640)
    memograd.save({"v": memograd.zeros(2)}, path)
    assert memograd.load(path)["v"].tolist() == [0.0, 0.0]
    assert path.stat().st_mode & 0o777 == 0o640


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        memograd.save({}, tmp_path / "no" / "such" / "ckpt.safetensors")
