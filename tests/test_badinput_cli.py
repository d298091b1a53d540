"""Bad flags, hostile data folders and inputs `predict` cannot answer: each gets a non-zero exit
status and one line on stderr naming the flag or file, never a traceback (issue 11). Every
case runs in-process through memograd.cli.main; a few run as real processes at the end."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from badinput_helpers import assert_one_line_error, call, gzip_bytes, idx_bytes, mnist_folder, png_header, trained_run

ROOT = Path(__file__).resolve().parents[1]
SPIRAL = ["--dataset", "spiral", "--hidden", "8", "--epochs", "1", "--quiet"]


class Ctx:
    """Where a case builds its files: a fresh folder, and copies of small trained runs."""

    def __init__(self, tmp: Path, factory):
        self.tmp, self.factory = tmp, factory

    def run(self, kind: str = "spiral") -> Path:
        return trained_run(kind, self.tmp, self.factory)

    def file(self, name: str, content: bytes = b"") -> Path:
        path = self.tmp / name
        path.write_bytes(content)
        return path

    def npy(self, name: str, array) -> Path:
        path = self.tmp / name
        np.save(path, np.asarray(array), allow_pickle=True)
        return path

    def fifo(self, name: str) -> Path:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this system")
        os.mkfifo(self.tmp / name)
        return self.tmp / name

    def mnist(self, name: str = "mnist", **override) -> str:
        return f"mnist:{mnist_folder(self.tmp / name, **override)}"

    def link(self, name: str, target: str) -> Path:
        (self.tmp / name).symlink_to(target)
        return self.tmp / name


def train_with(*flags):
    return lambda c: ["train", *flags, "--quiet", "--out", c.tmp / "run"]


# (id, what the one line must contain, argv built in a Ctx[, expected exit status])
FLAG_CASES = [
    # The examples.
    ("lr_inf", "--lr must be a positive finite number", train_with("--dataset", "spiral", "--lr", "inf")),
    ("weight_decay_inf", "--weight-decay must be a finite number", train_with("--weight-decay", "inf")),
    ("hidden_a_billion", "but only", train_with("--hidden", "1000000000")),
    # Our own: values out of type or range, all refused before any work.
    ("lr_nan", "--lr must be", train_with("--lr", "nan")),
    ("lr_zero", "--lr must be", train_with("--lr", "0")),
    ("lr_negative", "--lr must be", train_with("--lr=-1e-3")),
    ("lr_overflows_to_inf", "--lr must be", train_with("--lr", "1e999")),
    ("weight_decay_nan", "--weight-decay", train_with("--weight-decay", "nan")),
    ("weight_decay_negative", "--weight-decay", train_with("--weight-decay=-1")),
    ("dropout_one", "--dropout must be in [0, 1)", train_with("--dropout", "1")),
    ("dropout_nan", "--dropout", train_with("--dropout", "nan")),
    ("dropout_negative", "--dropout", train_with("--dropout=-0.5")),
    ("label_smoothing_one", "--label-smoothing", train_with("--label-smoothing", "1")),
    ("label_smoothing_inf", "--label-smoothing", train_with("--label-smoothing", "inf")),
    ("epochs_zero", "--epochs must be in 1..", train_with("--epochs", "0")),
    ("epochs_absurd", "--epochs must be in 1..", train_with("--epochs", "10000000")),
    ("epochs_beyond_int64", "--epochs", train_with("--epochs", "99999999999999999999999")),
    ("batch_size_zero", "--batch-size", train_with("--batch-size", "0")),
    ("batch_size_negative", "--batch-size", train_with("--batch-size=-3")),
    ("hidden_zero", "--hidden sizes must be in 1..", train_with("--hidden", "0")),
    ("hidden_negative", "--hidden", train_with("--hidden=-5")),
    ("hidden_second_zero", "--hidden", train_with("--hidden", "16,0")),
    ("hidden_too_many_layers", "--hidden must give 1 to 64", train_with("--hidden", ",".join(["4"] * 65))),
    ("hidden_too_wide_for_memory", "memory is available", train_with("--hidden", "1000000,1000000")),
    ("seed_negative", "--seed must be in", train_with("--seed=-1")),
    ("seed_huge", "--seed must be in", train_with("--seed", str(2**70))),
    ("hidden_not_numbers", "--hidden: expected comma-separated integers", train_with("--hidden", "a,b"), 2),
    ("hidden_empty", "at least one hidden size", train_with("--hidden", ","), 2),
    ("epochs_not_int", "argument --epochs: invalid int value", train_with("--epochs", "x"), 2),
    ("lr_not_number", "argument --lr", train_with("--lr", "fast"), 2),
    ("unknown_model", "argument --model: invalid choice", train_with("--model", "transformer"), 2),
    ("unknown_optimizer", "argument --optimizer", train_with("--optimizer", "lbfgs"), 2),
    ("unknown_flag", "unrecognized arguments: --nosuch", lambda c: ["train", "--nosuch"], 2),
    ("no_command", "required: COMMAND", lambda c: [], 2),
    ("evaluate_without_run", "required: RUN_DIR", lambda c: ["evaluate"], 2),
    ("unknown_dataset", "unknown dataset 'nosuch'", train_with("--dataset", "nosuch")),
    ("empty_dataset_name", "--dataset must name a dataset", train_with("--dataset", " ")),
    ("path_for_builtin_dataset", "takes no path", train_with("--dataset", "spiral:data")),
    ("mnist_without_path", "write it as 'mnist:PATH'", train_with("--dataset", "mnist:")),
    ("mnist_missing_folder", "not a directory", train_with("--dataset", "mnist:/definitely/missing")),
    ("cnn_on_points", "--model cnn needs image data", train_with("--dataset", "spiral", "--model", "cnn")),
    ("out_is_a_file", "exists and is not a folder",
     lambda c: ["train", *SPIRAL, "--out", c.file("taken")]),
    ("tensorboard_is_a_file", "--tensorboard", lambda c: ["train", *SPIRAL, "--out", c.tmp / "r",
                                                           "--tensorboard", c.file("board")]),
]

DATA_CASES = [
    # The issue's: a .gz that expands far beyond what its header declares, and 1x1 images for a CNN.
    ("gzip_expands_beyond_header", "expands beyond its header's declared size", lambda c: c.mnist(**{
        "train-images-idx3-ubyte.gz": gzip_bytes(idx_bytes(np.zeros((20, 28, 28), np.uint8)), bytes(4_000_000))})),
    ("cnn_on_1x1_images", "at least 2x2 pixels", lambda c: c.mnist(size=1), ["--model", "cnn"]),
    # Our own hostile data folders.
    ("gzip_declares_terabytes", "more than a gzip file", lambda c: c.mnist(**{
        "train-images-idx3-ubyte.gz": gzip_bytes(bytes([0, 0, 8, 3]) + b"".join(
            n.to_bytes(4, "big") for n in (60000, 28000, 28000)))})),
    ("raw_declares_more_than_file", "truncated", lambda c: c.mnist(**{
        "train-images-idx3-ubyte": bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (9, 9, 9))})),
    ("fifo_named_like_images", "is a FIFO", lambda c: (
        c.mnist(), os.unlink(c.tmp / "mnist/t10k-images-idx3-ubyte"), c.fifo("mnist/t10k-images-idx3-ubyte.gz"))[0]),
    ("symlink_to_device", "character device", lambda c: (
        c.mnist(), os.unlink(c.tmp / "mnist/train-labels-idx1-ubyte"),
        c.link("mnist/train-labels-idx1-ubyte", "/dev/zero"))[0]),
    ("symlink_loop", "symbolic links", lambda c: (
        c.mnist(), os.unlink(c.tmp / "mnist/train-labels-idx1-ubyte"),
        c.link("mnist/train-labels-idx1-ubyte", "train-labels-idx1-ubyte"))[0]),
    ("float_labels", "labels must be integers", lambda c: c.mnist(**{
        "train-labels-idx1-ubyte": (np.arange(20) % 10).astype(np.float32)})),
    ("labels_out_of_range", "labels must lie in 0..9", lambda c: c.mnist(**{
        "train-labels-idx1-ubyte": np.full(20, 12, np.uint8)})),
    ("nan_images", "NaN or infinite values", lambda c: c.mnist(**{
        "train-images-idx3-ubyte": np.full((20, 28, 28), np.nan, np.float32)})),
    ("no_training_examples", "has no training examples", lambda c: c.mnist(n_train=0)),
    ("one_training_example", "too few to split", lambda c: c.mnist(n_train=1)),
    ("not_gzip", "Not a gzipped file", lambda c: c.mnist(**{"train-images-idx3-ubyte.gz": b"plain text"})),
    ("truncated_gzip", "cannot read the file", lambda c: c.mnist(**{
        "train-images-idx3-ubyte.gz": gzip_bytes(idx_bytes(np.zeros((20, 28, 28), np.uint8)))[:-12]})),
    ("labels_for_fewer_images", "labels for", lambda c: c.mnist(**{
        "train-labels-idx1-ubyte": np.zeros(7, np.uint8)})),
    ("images_of_wrong_rank", "3 dimensions", lambda c: c.mnist(**{
        "t10k-images-idx3-ubyte": np.zeros((5, 784), np.uint8)})),
]


@pytest.mark.parametrize("case", FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_bad_flag(case, tmp_path, tmp_path_factory):
    _, fragment, build, *code = case
    assert_one_line_error(call(*build(Ctx(tmp_path, tmp_path_factory))), fragment, *code)
    assert not (tmp_path / "run").exists()  # refused before any work: no run folder


@pytest.mark.parametrize("case", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_hostile_data_folder(case, tmp_path, tmp_path_factory):
    _, fragment, build, *extra = case
    spec = build(Ctx(tmp_path, tmp_path_factory))
    flags = extra[0] if extra else ["--hidden", "4"]
    assert_one_line_error(call("train", "--dataset", spec, *flags, "--epochs", "1", "--quiet",
                               "--out", tmp_path / "run"), fragment)
    assert not (tmp_path / "run").exists()


def _npy_header(fields: dict) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, fields)
    return buffer.getvalue()


def _npz(c, name, **arrays):
    path = c.tmp / name
    np.savez(path, **arrays)
    return path


# (id, fragment, run kind, input built in a Ctx)
PREDICT_CASES = [
    # The issue's: shapes with the right number of values, NaN, an empty batch, a huge image.
    ("shape_2x32", "neither one input", "digits", lambda c: c.npy("a.npy", np.zeros((2, 32), np.float32))),
    ("shape_64x1", "neither one input", "digits", lambda c: c.npy("a.npy", np.zeros((64, 1), np.float32))),
    ("shape_4x4x4", "neither one input", "digits", lambda c: c.npy("a.npy", np.zeros((4, 4, 4), np.float32))),
    ("all_nan", "64 NaN or infinite values", "digits", lambda c: c.npy("a.npy", np.full(64, np.nan, np.float32))),
    ("empty_batch", "holds no samples", "digits", lambda c: c.npy("a.npy", np.zeros((0, 64), np.float32))),
    ("png_20000x20000", "larger than predict decodes", "digits", lambda c: c.file("big.png", png_header(20000, 20000))),
    # Our own.
    ("png_over_our_pixel_budget", "larger than predict decodes", "digits",
     lambda c: c.file("wide.png", png_header(7000, 7000))),
    ("png_truncated_pixels", "cannot decode the image", "digits",
     lambda c: c.file("cut.png", png_header(32, 32, b"x\x9c\x00\x01"))),
    ("shape_of_one_value_too_few", "neither one input", "spiral", lambda c: c.npy("a.npy", np.zeros(3))),
    ("zero_dim_array", "neither one input", "spiral", lambda c: c.npy("a.npy", np.float32(1.0))),
    ("five_dims", "neither one input", "digits", lambda c: c.npy("a.npy", np.zeros((2, 1, 1, 8, 8)))),
    ("strings", "dtype <U1; predict needs numbers", "spiral", lambda c: c.npy("a.npy", np.array(["a", "b"]))),
    ("complex", "complex128", "spiral", lambda c: c.npy("a.npy", np.zeros((1, 2), complex))),
    ("objects_pickle", "dtype object", "spiral", lambda c: c.npy("a.npy", np.array([{}, None], dtype=object))),
    ("structured", "predict needs numbers", "spiral",
     lambda c: c.npy("a.npy", np.zeros(2, dtype=[("x", "f4"), ("y", "f4")]))),
    ("too_large_for_float32", "too large for float32", "spiral", lambda c: c.npy("a.npy", np.full((1, 2), 1e300))),
    ("infinity", "NaN or infinite", "spiral", lambda c: c.npy("a.npy", np.array([[1.0, np.inf]]))),
    ("npy_truncated", "truncated or corrupt", "spiral",
     lambda c: c.file("a.npy", c.npy("b.npy", np.zeros((100, 2))).read_bytes()[:-40])),
    ("npy_header_claims_huge_shape", "truncated or corrupt", "spiral", lambda c: c.file("a.npy", _npy_header(
        {"descr": "<f8", "fortran_order": False, "shape": (10**12, 2)}) + bytes(16))),
    ("npy_garbage", "not a readable .npy file", "spiral", lambda c: c.file("a.npy", b"\x93NUMPY garbage" * 10)),
    ("npz_without_arrays", "holds no arrays", "spiral", lambda c: _npz(c, "a.npz")),
    ("npz_not_a_zip", "not a readable .npz file", "spiral", lambda c: c.file("a.npz", b"PK but no zip")),
    ("npz_of_bad_shape", "neither one input", "spiral", lambda c: _npz(c, "a.npz", x=np.zeros((2, 3)))),
    ("fifo", "is a FIFO", "spiral", lambda c: c.fifo("pipe.npy")),
    ("character_device", "character device", "spiral", lambda c: Path("/dev/zero")),
    ("directory", "is a directory", "spiral", lambda c: c.tmp),
    ("missing_input", "no such input file", "spiral", lambda c: c.tmp / "nothing.npy"),
    ("text_is_not_an_image", "is not an image, .npy or .npz file", "digits", lambda c: c.file("notes.txt", b"hi")),
    ("image_for_a_points_model", "not images", "spiral", lambda c: c.file("x.png", png_header(8, 8))),
]


@pytest.mark.parametrize("case", PREDICT_CASES, ids=[c[0] for c in PREDICT_CASES])
def test_predict_refuses_what_it_cannot_answer(case, tmp_path, tmp_path_factory):
    _, fragment, kind, build = case
    c = Ctx(tmp_path, tmp_path_factory)
    if str(build).find("/dev/zero") >= 0 and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    run = c.run(kind)
    target = build(c)
    status, out, err = call("predict", run, target)
    assert_one_line_error((status, out, err), fragment)
    assert "predicted" not in out


@pytest.mark.parametrize("array", [np.zeros((1, 8, 8)), np.zeros((8, 8)), np.zeros(64), np.zeros((3, 64)),
                                   np.zeros((3, 1, 8, 8), np.float16), np.ones((2, 8, 8), bool),
                                   np.zeros((2, 8, 8), np.uint8)], ids=lambda a: f"{a.shape}-{a.dtype}")
def test_predict_accepts_one_sample_or_a_batch(array, tmp_path, tmp_path_factory):
    c = Ctx(tmp_path, tmp_path_factory)
    status, out, err = call("predict", c.run("digits"), c.npy("x.npy", array))
    assert status == 0, err
    batch = 1 if array.shape in ((1, 8, 8), (8, 8), (64,)) else array.shape[0]
    assert len(out.strip().splitlines()) == batch


def test_an_internal_error_says_so_and_points_to_debug(tmp_path, tmp_path_factory, monkeypatch):
    from memograd.training import inference

    def broken(*args):
        raise ZeroDivisionError("float division by zero")

    run = Ctx(tmp_path, tmp_path_factory).run()
    monkeypatch.setattr(inference, "confusion_matrix", broken)
    line = assert_one_line_error(call("evaluate", run), "internal error (ZeroDivisionError: float division by zero)")
    assert "--debug" in line
    for argv in (["--debug", "evaluate", run], ["evaluate", "--debug", run]):
        status, _, err = call(*argv)
        assert status == 1 and "Traceback" in err and "in broken" in err


def test_debug_shows_the_traceback_of_a_user_error_too(tmp_path):
    status, _, err = call("--debug", "evaluate", tmp_path / "missing")
    assert status == 1 and "Traceback" in err and err.strip().splitlines()[-1].startswith("memograd evaluate: error:")


# ---- real processes: the installed entry point, stdin/stdout untouched, nothing hangs -----------

def _process(*argv, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "memograd.cli", *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_process_refuses_a_fifo_without_blocking(tmp_path, tmp_path_factory):
    run = Ctx(tmp_path, tmp_path_factory).run()
    os.mkfifo(tmp_path / "pipe.npy")
    done = _process("predict", run, tmp_path / "pipe.npy", timeout=60)
    assert_one_line_error((done.returncode, done.stdout, done.stderr), "is a FIFO")


@pytest.mark.parametrize("argv, fragment, code", [
    (["train", "--lr", "inf", "--quiet"], "--lr must be a positive finite number", 1),
    (["train", "--epochs", "x"], "invalid int value", 2),
])
def test_process_errors_are_one_line(argv, fragment, code, tmp_path):
    done = _process(*argv, "--out", tmp_path / "run")
    assert_one_line_error((done.returncode, done.stdout, done.stderr), fragment, code)


def test_npz_member_is_not_inflated_beyond_its_declared_size(tmp_path, tmp_path_factory):
    """A zip member whose header declares more than predict reads is refused before inflating."""
    c = Ctx(tmp_path, tmp_path_factory)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", b"\0" * 1000)
    raw = bytearray(path.read_bytes())
    # Patch the declared uncompressed size (local header offset 22, central directory entry +24).
    for at in (22, raw.rfind(b"PK\x01\x02") + 24):
        raw[at:at + 4] = (2**31).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    assert_one_line_error(call("predict", c.run(), path), "inflates to")
