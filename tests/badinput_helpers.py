"""Shared pieces of the bad-input tests (issue 11): running the command line in-process,
asserting the one-line error rule, small trained runs to tamper with, and hand-made files
(IDX data folders, PNG headers, safetensors bytes) that no well-behaved writer would produce."""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np

from memograd import cli

_RUNS: dict = {}  # trained once per test process, copied before any tampering


def call(*argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `memograd ARGV`, run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main([str(a) for a in argv])
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(result, fragment: str, code: int | None = None) -> str:
    """The rule of the command line: a non-zero status, one line on stderr, no traceback."""
    status, _, err = result
    assert status != 0, f"exit status 0 for a bad input; stderr: {err!r}"
    if code is not None:
        assert status == code, err
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {err!r}"
    assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


def trained_run(kind: str, root: Path, factory) -> Path:
    """A small finished run: "spiral" (an MLP, 2 epochs) or "digits" (an MLP on 8x8 images, 1 epoch).
    Trained once per process (in a folder of pytest's `tmp_path_factory`); each call returns a
    fresh copy under `root` that a test may break."""
    if kind not in _RUNS:
        source = factory.mktemp(f"{kind}_run")
        argv = {"spiral": ["--dataset", "spiral", "--hidden", "8", "--epochs", "2", "--batch-size", "64"],
                "digits": ["--hidden", "8", "--epochs", "1", "--batch-size", "128"]}[kind]
        status, _, err = call("train", *argv, "--quiet", "--out", source)
        assert status == 0, err
        _RUNS[kind] = source
    copy = root / f"{kind}_{len(list(root.iterdir()))}"
    shutil.copytree(_RUNS[kind], copy)
    return copy


def edit_config(run: Path, **changes) -> None:
    config = json.loads((run / "config.json").read_text())
    config.update(changes)
    (run / "config.json").write_text(json.dumps(config))


# ---- safetensors bytes -----------------------------------------------------------------------------

def split_safetensors(raw: bytes) -> tuple[dict, bytes]:
    size = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + size]), raw[8 + size:]


def join_safetensors(header, data: bytes) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data


def edit_header(path: Path, change) -> None:
    """Rewrite the safetensors header of `path` with change(header) (which may edit it in place)."""
    header, data = split_safetensors(path.read_bytes())
    header = change(header) or header
    path.write_bytes(join_safetensors(header, data))


# ---- IDX data folders --------------------------------------------------------------------------------

_IDX_CODES = {np.dtype("uint8"): 0x08, np.dtype("int8"): 0x09, np.dtype("int16"): 0x0B,
              np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D, np.dtype("float64"): 0x0E}
MNIST_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + dims + array.astype(array.dtype.newbyteorder(">")).tobytes()


def mnist_folder(folder: Path, n_train: int = 20, n_test: int = 5, size: int = 28, **override) -> Path:
    """A tiny MNIST folder; `override` maps a file name to an array or to raw bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": np.zeros((n_train, size, size), np.uint8),
        "train-labels-idx1-ubyte": np.arange(n_train, dtype=np.uint8) % 10,
        "t10k-images-idx3-ubyte": np.zeros((n_test, size, size), np.uint8),
        "t10k-labels-idx1-ubyte": np.arange(n_test, dtype=np.uint8) % 10,
    }
    for name, array in arrays.items():
        (folder / name).write_bytes(idx_bytes(array))
    for name, content in override.items():
        target = folder / name
        if target.exists() or target.is_symlink():
            target.unlink()
        if name.endswith(".gz") and (folder / name[:-3]).exists():
            (folder / name[:-3]).unlink()
        target.write_bytes(content if isinstance(content, bytes) else idx_bytes(content))
    return folder


def gzip_bytes(*parts: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as f:
        for part in parts:
            f.write(part)
    return buffer.getvalue()


# ---- PNG headers --------------------------------------------------------------------------------------

def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int, data: bytes = b"") -> bytes:
    """A grayscale PNG claiming width x height, with `data` as its (compressed) pixels: enough for
    an image library to read the size without decoding anything."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", data or zlib.compress(b"\0" * 64)) + \
        _chunk(b"IEND", b"")
