"""Files that lie (issue 11): the safetensors reader under random and hostile bytes, BF16,
byte-identical saves, temporary files left by killed saves, gzip bombs, special files and
deeply nested JSON. Everything here is the library (memograd.load/save, read_idx); the
command line's handling of the same files is in test_badinput_cli.py and test_badinput_runs.py."""
from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from badinput_helpers import idx_bytes, join_safetensors
from hypothesis import given, settings
from hypothesis import strategies as st

import memograd
from memograd.serialization import CheckpointError, from_bytes
from memograd.serialization.atomic import stale_temporaries
from memograd.utils.data.datasets import IDXError, read_idx
from memograd.utils.safe_io import json_depth, loads_json

ROOT = Path(__file__).resolve().parents[1]
DTYPE_NAMES = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "I64", "U64", "F64",
               "F8_E4M3", "F32 ", "f32", "", "C64"]


def decode_within_bounds(raw: bytes):
    """from_bytes(raw) under the rules: only CheckpointError, no more memory than the file allows
    (BF16 doubles), and quickly."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        arrays, metadata = from_bytes(raw, "fuzz.safetensors")
    except CheckpointError as err:
        assert "fuzz.safetensors" in str(err)
        return None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert time.perf_counter() - start < 2.0
    assert peak <= 4 * len(raw) + (1 << 20), f"{peak} bytes allocated for a file of {len(raw)}"
    assert sum(a.nbytes for a in arrays.values()) <= 2 * len(raw)
    assert all(isinstance(v, str) for v in metadata.values())
    return arrays


entries = st.fixed_dictionaries({
    "dtype": st.one_of(st.sampled_from(DTYPE_NAMES), st.integers(), st.none()),
    "shape": st.one_of(st.lists(st.integers(-2, 40), max_size=4), st.lists(st.booleans(), max_size=2),
                       st.text(max_size=3), st.just([2**62, 2**62])),
    "data_offsets": st.one_of(st.lists(st.integers(-5, 400), min_size=2, max_size=2),
                              st.lists(st.text(max_size=2), min_size=2, max_size=2), st.just([0, 2**70]),
                              st.lists(st.integers(0, 50), max_size=3)),
})
headers = st.dictionaries(st.text(max_size=6), st.one_of(entries, st.integers(), st.lists(st.integers(), max_size=2)),
                          max_size=4)


@settings(max_examples=60)
@given(header=headers, data=st.binary(max_size=400), metadata=st.one_of(
    st.none(), st.dictionaries(st.text(max_size=4), st.one_of(st.text(max_size=4), st.integers()), max_size=2)))
def test_fuzz_structured_headers(header, data, metadata):
    if metadata is not None:
        header = {**header, "__metadata__": metadata}
    decode_within_bounds(join_safetensors(header, data))


@settings(max_examples=120)
@given(raw=st.binary(max_size=300), claimed=st.one_of(st.none(), st.integers(0, 2**64 - 1)))
def test_fuzz_random_bytes(raw, claimed):
    if claimed is not None:
        raw = claimed.to_bytes(8, "little") + raw
    decode_within_bounds(raw)


@settings(max_examples=60)
@given(cut=st.integers(0, 10_000), flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4))
def test_fuzz_damaged_real_files(cut, flips):
    raw = bytearray(_real_file())
    for at, value in flips:
        raw[at % len(raw)] = value
    arrays = decode_within_bounds(bytes(raw[: max(len(raw) - cut % 64, 0)]))
    if arrays is not None:
        assert set(arrays) <= {"a", "b", "c"}


_REAL: list = []


def _real_file() -> bytes:
    if not _REAL:
        import io

        buffer = io.BytesIO()
        memograd.save({"a": memograd.ones(3, 4), "b": memograd.arange(5), "c": [1, {"x": 2.5}]}, buffer)
        _REAL.append(buffer.getvalue())
    return _REAL[0]


def _file(tensors: dict, data: bytes, metadata=None) -> bytes:
    header = dict(tensors)
    if metadata is not None:
        header["__metadata__"] = metadata
    return join_safetensors(header, data)


@pytest.mark.parametrize("raw, fragment", [
    ((2**63).to_bytes(8, "little") + b"{}", "the header claims"),
    ((2).to_bytes(8, "little") + b"[]", "not a JSON object"),
    (join_safetensors(b'{"a": ' + b"[" * 10 + b"]" * 10 + b"}", b""), "nests 11 levels deep"),
    (join_safetensors(b'{"a":1}' + b"\xff", b""), "not UTF-8"),
    (_file({"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}}, bytes(4)), "shape [True]"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0.0, 4]}}, bytes(4)), "expected two integers"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}, bytes(4)), "bad data offsets"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
            "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(4)), "overlaps"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8)), "unused"),
    (_file({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(12)), "belong to no tensor"),
    (_file({"a": {"dtype": "F32", "shape": [2**40], "data_offsets": [0, 4]}}, bytes(4)), "bytes of data"),
    (_file({"a": {"dtype": "F8_E5M2", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)), "does not read"),
    (_file({"a": {"dtype": "F32", "shape": [1]}}, bytes(4)), "malformed header entry"),
    (_file({}, b"", metadata={"k": 1}), "must map strings to strings"),
])
def test_hostile_headers_name_the_problem(raw, fragment, tmp_path):
    path = tmp_path / "evil.safetensors"
    path.write_bytes(raw)
    with pytest.raises(CheckpointError, match="evil.safetensors") as info:
        memograd.load(path)
    assert fragment in str(info.value)


def test_empty_tensors_may_share_an_offset():
    raw = _file({"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [0, 0]},
                 "f": {"dtype": "I64", "shape": [0], "data_offsets": [0, 0]},
                 "g": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02")
    arrays, _ = from_bytes(raw, "x")
    assert arrays["e"].shape == (0, 3) and arrays["g"].tolist() == [1, 2]


def test_bf16_from_pytorch_loads_as_float32(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    values = torch.tensor([[1.0, -2.5, 3.140625], [1e-3, 65504.0, -0.0]], dtype=torch.bfloat16)
    safetensors_torch.save_file({"w": values, "u": torch.tensor([7, 9], dtype=torch.uint16)}, str(tmp_path / "b.st"))
    loaded = memograd.load(tmp_path / "b.st")
    assert loaded["w"].dtype == memograd.float32 and loaded["u"].dtype == np.uint16
    np.testing.assert_array_equal(loaded["w"].numpy(), values.float().numpy())
    assert loaded["u"].tolist() == [7, 9]


def test_files_stay_readable_by_the_safetensors_library(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    state = {"b": memograd.ones(3, dtype=memograd.float64), "a": memograd.arange(4), "m": memograd.zeros(2, 2) > 0}
    memograd.save(state, tmp_path / "s.safetensors")
    back = safetensors_numpy.load_file(str(tmp_path / "s.safetensors"))
    assert {k: v.tolist() for k, v in back.items()} == {k: v.tolist() for k, v in state.items()}
    with safe_open(str(tmp_path / "s.safetensors"), "np") as f:
        assert f.metadata()["format"] == "pt"


# ---- byte-identical saves ------------------------------------------------------------------------

SAVE_SCRIPT = """
import sys, memograd
memograd.manual_seed(0)
model = memograd.nn.Sequential(memograd.nn.Linear(3, 4), memograd.nn.ReLU(), memograd.nn.Linear(4, 2))
state = {"model": model.state_dict(), "tags": {"alpha", "beta", "gamma", "delta", "epsilon"},
         "frozen": frozenset({"x", "y", "z"}), "meta": {"b": 1, "a": [1.5, None, "s"]}, "rng": memograd.get_rng_state()}
memograd.save(state, sys.argv[1])
"""


def test_same_content_gives_the_same_bytes_in_any_process(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    runs = [subprocess.Popen([sys.executable, "-c", SAVE_SCRIPT, str(tmp_path / f"{seed}.st")],
                             env={**env, "PYTHONHASHSEED": str(seed)}) for seed in (1, 2)]
    assert [p.wait(timeout=120) for p in runs] == [0, 0]
    first, second = (tmp_path / "1.st").read_bytes(), (tmp_path / "2.st").read_bytes()
    assert first == second
    assert memograd.load(tmp_path / "1.st")["tags"] == {"alpha", "beta", "gamma", "delta", "epsilon"}


# ---- temporary files of interrupted saves ----------------------------------------------------------

def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_next_save_removes_temporaries_of_dead_writers_only(tmp_path):
    target = tmp_path / "ckpt.safetensors"
    dead, alive = _dead_pid(), os.getppid()
    names = {
        "dead": f".ckpt.safetensors.{dead}.abcd1234.tmp",
        "alive": f".ckpt.safetensors.{alive}.abcd1234.tmp",
        "legacy_old": ".ckpt.safetensors.k2j4h5g6.tmp",
        "legacy_new": ".ckpt.safetensors.q1w2e3r4.tmp",
        "other_file": f".ckpt.safetensors.bak.{dead}.abcd1234.tmp",
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    os.utime(tmp_path / names["legacy_old"], (time.time() - 7200, time.time() - 7200))
    assert sorted(p.name for p in stale_temporaries(target)) == sorted([names["dead"], names["legacy_old"]])
    memograd.save({"x": memograd.ones(2)}, target)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {"ckpt.safetensors", names["alive"], names["legacy_new"], names["other_file"]}


def _saver(target: Path) -> None:
    """The child of the kill test: saves a 4 MB checkpoint over and over until killed (or 20 s pass)."""
    weights, step, start = memograd.zeros(1_000_000), 0, time.monotonic()
    while time.monotonic() - start < 20:
        step += 1
        weights.fill_(step)
        memograd.save({"step": step, "w": weights}, target)
    os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="kill -9 and PIDs as POSIX has them")
def test_kill_9_during_saves_leaves_a_loadable_file_and_no_temporaries_after_the_next_save(tmp_path):
    """A saver killed at random moments: the target always loads (old or new content, never torn),
    and the next save removes the temporary files the killed ones left."""
    target = tmp_path / "ckpt.safetensors"
    memograd.save({"step": 0, "w": memograd.zeros(1_000_000)}, target)
    chance = random.Random(11)
    left_behind = 0
    for attempt in range(8):
        pid = os.fork()  # a forked saver starts at once; a new interpreter would take seconds
        if pid == 0:
            try:
                _saver(target)
            finally:
                os._exit(1)
        if attempt % 2:
            time.sleep(chance.uniform(0.01, 0.3))  # anywhere in a save (or between two)
        else:  # surely in the middle of writing: once its temporary file exists
            deadline = time.monotonic() + 10
            while not list(tmp_path.glob(f".ckpt.safetensors.{pid}.*.tmp")) and time.monotonic() < deadline:
                time.sleep(0.001)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        left_behind += len(list(tmp_path.glob(f".ckpt.safetensors.{pid}.*.tmp")))
        state = memograd.load(target)
        assert np.all(state["w"].numpy() == state["step"])
    assert left_behind >= 4  # the kills did interrupt saves
    memograd.save({"step": -1, "w": memograd.zeros(3)}, target)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.safetensors"]
    assert memograd.load(target)["step"] == -1


# ---- special files, JSON nesting, compressed data ----------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("reader", ["load", "read_idx"])
def test_a_fifo_is_refused_without_blocking(reader, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    outcome = []

    def attempt():
        try:
            memograd.load(pipe) if reader == "load" else read_idx(pipe)
        except ValueError as err:
            outcome.append(str(err))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "blocked on a FIFO"
    assert outcome and "FIFO" in outcome[0] and str(pipe) in outcome[0]


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4), ('["[[[[", "]]"]', 1), (r'["\"[[[", "x"]', 1),
    ('{"a\\\\": [[]]}', 3), ("[" * 500 + "]" * 500, 500),
])
def test_json_depth_ignores_brackets_in_strings(text, depth):
    assert json_depth(text) == depth
    assert json_depth(text.encode()) == depth


def test_deep_json_is_refused_before_parsing():
    with pytest.raises(ValueError, match=r"settings.json: its JSON nests 100000 levels deep; at most 4"):
        loads_json("[" * 100_000 + "]" * 100_000, 4, "settings.json")
    assert loads_json('{"a": [1]}', 4, "ok.json") == {"a": [1]}


def test_save_refuses_what_load_would_refuse_and_loads_what_it_saves(tmp_path):
    deep = inner = []
    for _ in range(150):
        inner.append([])
        inner = inner[0]
    memograd.save({"deep": deep}, tmp_path / "ok.st")
    assert json.dumps(memograd.load(tmp_path / "ok.st")["deep"]) == json.dumps(deep)
    for _ in range(100):
        inner.append([])
        inner = inner[0]
    with pytest.raises(ValueError, match="nests more than 200 levels"):
        memograd.save({"deep": deep}, tmp_path / "deep.st")
    assert not (tmp_path / "deep.st").exists()


def test_gzip_bomb_is_stopped_at_the_declared_size(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    declared = idx_bytes(np.zeros((10, 28, 28), np.uint8))
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(declared)
        for _ in range(64):
            f.write(bytes(1 << 20))  # 64 MB more than declared, about 64 KB on disk
    tracemalloc.start()
    try:
        with pytest.raises(IDXError, match="expands beyond its header's declared size"):
            read_idx(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, f"{peak} bytes read for 7840 declared"


@pytest.mark.parametrize("shape, gz, fragment", [
    ((60000, 28000, 28000), True, "more than a gzip file"),
    ((50, 50, 50), False, "truncated"),
    ((2**31, 2**31, 2**31), False, "truncated"),
])
def test_idx_declared_sizes_are_checked_before_reading(shape, gz, fragment, tmp_path):
    head = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in shape)
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(head + bytes(100)) if gz else head + bytes(100))
    with pytest.raises(IDXError, match=fragment):
        read_idx(path)
