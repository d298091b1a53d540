"""Tampered run folders, --resume with changed flags, and training that diverges (issue 11).

A broken config.json, weights file, checkpoint or metrics file gets one line naming the file
(and the key or tensor inside it) from evaluate, predict and resume alike; --resume honours
more --epochs and refuses any other change, listing all of them; a NaN/inf loss stops the run
with a diagnosis and leaves the last good checkpoint in place."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from badinput_helpers import assert_one_line_error, call, edit_config, edit_header, join_safetensors, trained_run

import memograd
from memograd.training import runner

COMMANDS = {
    "evaluate": lambda run, tmp: ["evaluate", run],
    "predict": lambda run, tmp: ["predict", run, _points(tmp)],
    "resume": lambda run, tmp: ["train", "--resume", run, "--epochs", "3", "--quiet"],
}


def _points(tmp):
    np.save(tmp / "points.npy", np.zeros((2, 2), np.float32))
    return tmp / "points.npy"


def write(name, content):
    def setup(run):
        (run / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return setup


def config(**changes):
    return lambda run: edit_config(run, **changes)


def drop_config_key(key):
    def setup(run):
        data = json.loads((run / "config.json").read_text())
        del data[key]
        (run / "config.json").write_text(json.dumps(data))
    return setup


def fifo(name):
    def setup(run):
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs on this system")
        (run / name).unlink()
        os.mkfifo(run / name)
    return setup


def header(change, files=("model.safetensors", "checkpoint.safetensors")):
    def setup(run):
        for name in files:
            edit_header(run / name, change)
    return setup


def checkpoint(change):
    """Load the checkpoint, change(state) in place, save it back (a well-formed file, wrong content)."""
    def setup(run):
        state = memograd.load(run / "checkpoint.safetensors")
        change(state)
        memograd.save(state, run / "checkpoint.safetensors")
    return setup


def weights(change):
    def setup(run):
        state = memograd.load(run / "model.safetensors")
        memograd.save(change(state), run / "model.safetensors")
    return setup


def _each_tensor(h, edit):
    for key, entry in h.items():
        if key != "__metadata__":
            edit(entry)


def _tree(h, text):
    h["__metadata__"]["memograd.tree"] = text


def _group(state):
    return state["optimizer"]["param_groups"][0]


ALL, READERS, RESUME = tuple(COMMANDS), ("evaluate", "predict"), ("resume",)

# (id, fragment of the one line, commands it applies to, setup(run))
CASES = [
    # The examples.
    ("config_is_a_list", "expected a JSON object of settings, found a list", ALL, write("config.json", "[1, 2]")),
    ("config_epochs_null", '"epochs" must be an integer, got null', ALL, config(epochs=None)),
    ("offsets_are_strings", "data_offsets ['0',", ALL,
     header(lambda h: _each_tensor(h, lambda e: e.update(data_offsets=[str(n) for n in e["data_offsets"]])))),
    ("tree_is_a_number", "found an int", ALL, header(lambda h: _tree(h, "5"))),
    # Our own: config.json.
    ("config_missing", "config.json is missing", ALL, lambda run: (run / "config.json").unlink()),
    ("config_unknown_key", "unknown setting(s) 'notes'", ALL, config(notes="mine")),
    ("config_missing_key", "missing setting(s) 'seed'", ALL, drop_config_key("seed")),
    ("config_hidden_string", '"hidden" must be a list of integers', ALL, config(hidden="16")),
    ("config_hidden_floats", '"hidden" must be a list of integers', ALL, config(hidden=[8.5])),
    ("config_lr_nan", '"lr" must be a positive finite number', ALL, config(lr=float("nan"))),
    ("config_dropout_bool", '"dropout" must be a number, got true', ALL, config(dropout=True)),
    ("config_epochs_float", '"epochs" must be an integer, got 2.5', ALL, config(epochs=2.5)),
    ("config_model_unknown", '"model" must be one of mlp, cnn', ALL, config(model="rnn")),
    ("config_cnn_for_points", "--model cnn needs image data", ALL, config(model="cnn")),
    ("config_hidden_too_large", '"hidden" sizes must be in', ALL, config(hidden=[10**12])),
    ("config_hidden_beyond_memory", "memory is available", READERS, config(hidden=[10**9, 10**9])),
    ("config_deeply_nested", "nests 50000 levels deep", ALL, write("config.json", "[" * 50000 + "]" * 50000)),
    ("config_too_large", "more than a run config may hold", ALL, write("config.json", " " * (2 << 20) + "{}")),
    ("config_not_utf8", "not valid JSON", ALL, write("config.json", b"\xff\xfe{\x00")),
    ("config_int_of_5000_digits", "not valid JSON", ALL, write("config.json", '{"epochs": 1' + "0" * 5000 + "}")),
    ("config_fifo", "is a FIFO", ALL, fifo("config.json")),
    # model.safetensors (evaluate, predict) and checkpoint.safetensors (resume), as files.
    ("model_missing", "model.safetensors is missing", READERS, lambda run: (run / "model.safetensors").unlink()),
    ("checkpoint_missing", "nothing to resume", RESUME, lambda run: (run / "checkpoint.safetensors").unlink()),
    ("torch_pickle", "PyTorch pickle", ALL, lambda run: [
        (run / n).write_bytes(b"PK\x03\x04" + bytes(26) + b"archive/data.pkl" + bytes(64))
        for n in ("model.safetensors", "checkpoint.safetensors")]),
    ("truncated", "truncated", ALL, lambda run: [
        os.truncate(run / n, 200) for n in ("model.safetensors", "checkpoint.safetensors")]),
    ("header_nested", "nests", ALL, lambda run: [
        (run / n).write_bytes(join_safetensors(b"{\"a\":" + b"[" * 5000 + b"]" * 5000 + b"}", b""))
        for n in ("model.safetensors", "checkpoint.safetensors")]),
    ("overlapping_tensors", "overlaps the tensor before it", ALL,
     header(lambda h: _each_tensor(h, lambda e: e.update(
         data_offsets=[0, e["data_offsets"][1] - e["data_offsets"][0]])))),
    ("unknown_dtype", "which memograd does not read", ALL,
     header(lambda h: _each_tensor(h, lambda e: e.update(dtype="F8_E4M3")))),
    ("shape_disagrees_with_bytes", "bytes of data", ALL,
     header(lambda h: _each_tensor(h, lambda e: e.update(shape=e["shape"] + [2])))),
    ("tree_is_a_list", "found a list", ALL, header(lambda h: _tree(h, "[]"))),
    ("tree_deeply_nested", "nests 3000 levels deep", ALL, header(lambda h: _tree(h, "[" * 3000 + "]" * 3000))),
    ("tree_names_missing_tensor", "which the file does not hold", ALL,
     header(lambda h: _tree(h, '{"x": {"$tensor": "nothing"}}'))),
    ("weights_file_is_a_directory", "is a directory", READERS, lambda run: (
        (run / "model.safetensors").unlink(), (run / "model.safetensors").mkdir())),
    ("weights_file_fifo", "is a FIFO", READERS, fifo("model.safetensors")),
    # model.safetensors content.
    ("weights_nan", "holds NaN or infinite values", READERS,
     weights(lambda s: {k: v * float("nan") for k, v in s.items()})),
    ("weights_int", "weights are floats", READERS, weights(lambda s: {k: v.long() for k, v in s.items()})),
    ("weights_of_other_model", "size mismatch", READERS, config(hidden=[4])),
    ("weights_missing_tensor", "Missing key", READERS, weights(lambda s: dict(list(s.items())[1:]))),
    ("weights_whole_module", "not allowlisted", READERS, lambda run: memograd.save(
        memograd.nn.Linear(2, 3), run / "model.safetensors")),
    # checkpoint.safetensors content (resume).
    ("epoch_string", "its epoch is '2'", RESUME, checkpoint(lambda s: s.update(epoch="2"))),
    ("epoch_beyond_config", "its epoch is 99", RESUME, checkpoint(lambda s: s.update(epoch=99))),
    ("no_optimizer", "missing optimizer", RESUME, checkpoint(lambda s: s.pop("optimizer"))),
    ("optimizer_not_a_dict", "not an optimizer state_dict", RESUME, checkpoint(lambda s: s.update(optimizer=[]))),
    ("rng_of_other_generator", "random generator state", RESUME,
     checkpoint(lambda s: s.update(rng={"bit_generator": "MT19937"}))),
    ("lr_string", "param_groups[0].lr should be a finite number", RESUME,
     checkpoint(lambda s: _group(s).update(lr="x"))),
    ("lr_nan", "param_groups[0].lr should be a finite number", RESUME,
     checkpoint(lambda s: _group(s).update(lr=float("nan")))),
    ("betas_short", "param_groups[0].betas should be a list of 2", RESUME,
     checkpoint(lambda s: _group(s).update(betas=(0.9,)))),
    ("optimizer_unknown_key", "param_groups[0] should have the entries", RESUME,
     checkpoint(lambda s: _group(s).update(extra=1))),
    ("moment_of_wrong_shape", "has shape (3,)", RESUME, checkpoint(lambda s: s["optimizer"]["state"].update(
        {0: {"step": 3, "exp_avg": memograd.zeros(3), "exp_avg_sq": memograd.zeros(3)}}))),
    ("moment_not_a_tensor", "not a dict of tensors and numbers", RESUME,
     checkpoint(lambda s: s["optimizer"]["state"].update({0: {"exp_avg": "x"}}))),
    ("scheduler_missing", "does not match --scheduler cosine", RESUME, checkpoint(lambda s: s.update(scheduler=None))),
    ("scheduler_t_max_string", "T_max should be a finite number", RESUME,
     checkpoint(lambda s: s["scheduler"].update(T_max="x"))),
    ("checkpoint_weights_nan", "(model): tensor", RESUME,
     checkpoint(lambda s: s.update(model={k: v * float("inf") for k, v in s["model"].items()}))),
    ("checkpoint_weights_wrong_shape", "model weights do not fit", RESUME,
     checkpoint(lambda s: s["model"].update({"1.weight": memograd.zeros(3, 3)}))),
    ("metrics_garbage", "metrics.jsonl: line 1 is not an epoch record", RESUME, write("metrics.jsonl", "garbage\n")),
    ("metrics_wrong_record", "line 2 is not an epoch record", RESUME,
     lambda run: (run / "metrics.jsonl").write_text((run / "metrics.jsonl").read_text().splitlines()[0] + "\n[]\n")),
    ("metrics_fifo", "is a FIFO", RESUME, fifo("metrics.jsonl")),
]
PARAMS = [pytest.param(case, command, id=f"{case[0]}-{command}") for case in CASES for command in case[2]]


@pytest.mark.parametrize("case, command", PARAMS)
def test_tampered_run_folder(case, command, tmp_path, tmp_path_factory):
    _, fragment, _, setup = case
    run = trained_run("spiral", tmp_path, tmp_path_factory)
    setup(run)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.suffix == ".safetensors"}
    status, out, err = call(*COMMANDS[command](run, tmp_path))
    assert_one_line_error((status, out, err), fragment)
    assert "predicted" not in out and "test accuracy" not in out
    for name, content in before.items():  # a refused resume writes nothing
        assert (run / name).read_bytes() == content


# ---- --resume with changed flags ------------------------------------------------------------------

def weights_of(run) -> dict:
    return {k: v.numpy() for k, v in memograd.load(run / "model.safetensors").items()}


def test_resume_refuses_changed_flags_and_lists_them(tmp_path, tmp_path_factory):
    run = trained_run("spiral", tmp_path, tmp_path_factory)
    config_before = (run / "config.json").read_bytes()
    line = assert_one_line_error(call("train", "--resume", run, "--epochs", "5", "--lr", "0.5", "--quiet"),
                                 "--lr 0.5 (the run's: 0.001)")
    line = assert_one_line_error(call("train", "--resume", run, "--hidden", "32", "--batch-size", "8",
                                      "--optimizer", "sgd", "--quiet"), "only --epochs can change")
    for part in ("--hidden 32 (the run's: 8)", "--batch-size 8 (the run's: 64)", "--optimizer sgd (the run's: adam)"):
        assert part in line
    assert_one_line_error(call("train", "--resume", run, "--out", tmp_path / "other", "--quiet"), "different folders")
    assert_one_line_error(call("train", "--resume", run, "--epochs", "1", "--quiet"),
                          "--epochs 1 is fewer than the 2 epochs the run has already trained")
    assert (run / "config.json").read_bytes() == config_before


def test_resume_with_the_same_flags_is_a_plain_resume(tmp_path, tmp_path_factory):
    run = trained_run("spiral", tmp_path, tmp_path_factory)
    status, _, err = call("train", "--resume", run, "--hidden", "8", "--lr", "0.001", "--dataset", "spiral", "--quiet")
    assert status == 0, err


def test_more_epochs_continue_the_run_exactly(tmp_path):
    """With a schedule that does not depend on the number of epochs, a run resumed with more
    --epochs ends with the weights of a run started with that many."""
    flags = ["--dataset", "spiral", "--hidden", "8", "--batch-size", "64", "--scheduler", "exponential", "--quiet"]
    assert call("train", *flags, "--epochs", "3", "--out", tmp_path / "whole")[0] == 0
    assert call("train", *flags, "--epochs", "2", "--out", tmp_path / "parts")[0] == 0
    assert call("train", "--resume", tmp_path / "parts", "--epochs", "3", "--quiet")[0] == 0
    whole, parts = weights_of(tmp_path / "whole"), weights_of(tmp_path / "parts")
    for key in whole:
        np.testing.assert_array_equal(whole[key], parts[key], err_msg=key)
    assert json.loads((tmp_path / "parts" / "config.json").read_text())["epochs"] == 3
    assert len((tmp_path / "parts" / "metrics.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize("scheduler", ["cosine", "onecycle", "step", "plateau"])
def test_more_epochs_rebuild_an_epoch_shaped_schedule(scheduler, tmp_path):
    run = tmp_path / "run"
    assert call("train", "--dataset", "spiral", "--hidden", "4", "--epochs", "1", "--scheduler", scheduler,
                "--quiet", "--out", run)[0] == 0
    status, out, err = call("train", "--resume", run, "--epochs", "2")
    assert status == 0, err
    assert "--epochs 1 -> 2" in out
    assert (scheduler != "plateau") == (f"the {scheduler} schedule now spans 2 epochs" in out)
    assert [json.loads(line)["epoch"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2]


# ---- divergence ---------------------------------------------------------------------------------------

def test_a_diverging_run_stops_with_a_diagnosis(tmp_path):
    line = assert_one_line_error(call("train", "--dataset", "spiral", "--hidden", "8", "--optimizer", "sgd",
                                      "--lr", "1e30", "--epochs", "2", "--quiet", "--out", tmp_path / "run"),
                                 "training stopped at epoch 1, step 2 of")
    assert "the loss is nan" in line and "first gradient to go non-finite" in line and "(Linear)" in line
    assert "no checkpoint was written" in line and "--lr (now 1e+30)" in line
    assert not (tmp_path / "run" / "model.safetensors").exists()


def test_divergence_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    run = tmp_path / "run"
    real_epoch = runner.train_epoch

    def poison_second_epoch(r, quiet, monitor=None):
        if r.epoch == 1:  # an overflowing weight, as a bad update would leave
            with memograd.no_grad():
                next(r.model.parameters()).fill_(3e38)
        return real_epoch(r, quiet, monitor)

    assert call("train", "--dataset", "spiral", "--hidden", "8", "--epochs", "1", "--quiet", "--out", run)[0] == 0
    good = {n: (run / n).read_bytes() for n in ("model.safetensors", "checkpoint.safetensors", "metrics.jsonl")}
    monkeypatch.setattr(runner, "train_epoch", poison_second_epoch)
    line = assert_one_line_error(call("train", "--resume", run, "--epochs", "3", "--quiet"),
                                 "training stopped at epoch 2, step 1")
    assert "keeps the last good checkpoint (epoch 1)" in line
    for name, content in good.items():
        assert (run / name).read_bytes() == content, name


def test_bf16_weights_are_read_as_float32(tmp_path, tmp_path_factory):
    """What PyTorch users save: weights in bfloat16 (here made by hand, without torch)."""
    run = trained_run("spiral", tmp_path, tmp_path_factory)
    state = {k: v.numpy() for k, v in memograd.load(run / "model.safetensors").items()}
    header, chunks, offset = {}, [], 0
    for name, array in state.items():
        bits = (array.astype(np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(array.shape), "data_offsets": [offset, offset + len(bits)]}
        chunks.append(bits)
        offset += len(bits)
    (run / "model.safetensors").write_bytes(join_safetensors(header, b"".join(chunks)))
    loaded = memograd.load(run / "model.safetensors")
    for name, array in state.items():
        assert loaded[name].dtype == memograd.float32
        np.testing.assert_allclose(loaded[name].numpy(), array, rtol=2**-7)
    status, out, err = call("evaluate", run)
    assert status == 0 and "test accuracy" in out, err
