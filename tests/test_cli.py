"""The `memograd` command end to end, on small data and few epochs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from memograd import cli, load
from memograd.training import runner

FAST = ["--dataset", "spiral", "--hidden", "16", "--epochs", "3", "--batch-size", "32", "--quiet"]


def run_cli(*argv) -> int:
    return cli.main([str(a) for a in argv])


def weights(run_dir) -> dict:
    return {k: v.numpy() for k, v in load(run_dir / "model.safetensors").items()}


def test_train_writes_a_complete_run_folder(tmp_path):
    assert run_cli("train", *FAST, "--out", tmp_path) == 0
    for name in ("config.json", "model.safetensors", "checkpoint.safetensors", "metrics.jsonl", "curves.png"):
        assert (tmp_path / name).is_file(), name
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert set(records[0]) >= {"train_loss", "val_loss", "val_accuracy", "lr", "seconds"}
    assert json.loads((tmp_path / "config.json").read_text())["hidden"] == [16]


def test_training_reduces_the_loss(tmp_path):
    assert run_cli("train", "--dataset", "moons", "--hidden", "32", "--epochs", "10", "--lr", "0.01",
                   "--label-smoothing", "0", "--quiet", "--out", tmp_path) == 0
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["train_loss"] < 0.5 * records[0]["train_loss"]
    assert records[-1]["val_accuracy"] > 0.85


def test_resumed_run_equals_uninterrupted_run(tmp_path, monkeypatch):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    args = ["--dataset", "spiral", "--hidden", "16", "--epochs", "4", "--batch-size", "32", "--quiet",
            "--optimizer", "adam", "--dropout", "0.2", "--scheduler", "onecycle"]
    assert run_cli("train", *args, "--out", whole) == 0

    real_epoch = runner.train_epoch

    def stop_after_two(run, quiet, monitor=None):
        if run.epoch == 2:
            raise KeyboardInterrupt
        return real_epoch(run, quiet, monitor)

    monkeypatch.setattr(runner, "train_epoch", stop_after_two)
    assert run_cli("train", *args, "--out", parts) == 130
    monkeypatch.setattr(runner, "train_epoch", real_epoch)
    assert len((parts / "metrics.jsonl").read_text().splitlines()) == 2
    assert run_cli("train", "--resume", parts, "--quiet") == 0

    a, b = weights(whole), weights(parts)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert len((parts / "metrics.jsonl").read_text().splitlines()) == 4


def test_evaluate_and_predict(tmp_path, capsys):
    assert run_cli("train", *FAST, "--out", tmp_path) == 0
    capsys.readouterr()
    assert run_cli("evaluate", tmp_path) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "precision" in out and "confusion matrix" in out
    assert (tmp_path / "confusion.png").is_file()
    points = np.array([[0.1, 0.2], [-0.3, 0.05]], dtype=np.float32)
    np.save(tmp_path / "points.npy", points)
    assert run_cli("predict", tmp_path, tmp_path / "points.npy") == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all("predicted" in line for line in lines)


@pytest.mark.parametrize("argv, fragment", [
    (["train", "--dataset", "nosuch", "--quiet"], "unknown dataset"),
    (["train", "--dataset", "mnist:/definitely/missing", "--quiet"], "missing"),
    (["train", "--epochs", "0", "--quiet"], "--epochs"),
    (["train", "--lr", "-1", "--quiet"], "--lr"),
    (["evaluate", "/definitely/not/a/run"], "not a folder"),
    (["train", "--resume", "/definitely/not/a/run", "--quiet"], "missing"),
])
def test_bad_input_gives_one_line_error(argv, fragment, tmp_path, capsys):
    code = run_cli(*argv, *(["--out", tmp_path / "run"] if argv[0] == "train" and "--resume" not in argv else []))
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert fragment in err.lower() or fragment in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_predict_rejects_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "x.npy").write_bytes(b"")
    assert run_cli("predict", tmp_path, tmp_path / "x.npy") != 0
    assert "config.json" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(command, "--help")
    assert exit_info.value.code == 0
    assert "usage: memograd " + command in capsys.readouterr().out


def test_bad_option_value_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("train", "--hidden", "a,b")
    assert exit_info.value.code == 2
    assert "256,128" in capsys.readouterr().err


def test_diagnose_writes_gradient_flow_and_flags_vanishing_sigmoid_stack(tmp_path, capsys):
    deep = ",".join(["32"] * 8)
    assert run_cli("train", "--dataset", "spiral", "--hidden", deep, "--activation", "sigmoid", "--epochs", "1",
                   "--diagnose", "--out", tmp_path) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "gradflow.png").is_file()
    assert "vanishing" in (tmp_path / "gradflow.txt").read_text()
    assert "Gradient flow" in out


def test_predict_reads_an_image_file(tmp_path, capsys):
    from PIL import Image

    run_dir = tmp_path / "digits"
    assert run_cli("train", "--epochs", "2", "--quiet", "--out", run_dir) == 0
    image = np.zeros((32, 32), dtype=np.uint8) + 255          # dark-on-light, as a photo would be
    image[4:28, 14:18] = 0                                    # a vertical stroke: a "1"
    Image.fromarray(image).save(tmp_path / "one.png")
    capsys.readouterr()
    assert run_cli("predict", run_dir, tmp_path / "one.png") == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("predicted ") and "top:" in line


def test_predict_rejects_a_file_that_is_not_an_input(tmp_path, capsys):
    run_dir = tmp_path / "digits"
    assert run_cli("train", "--epochs", "1", "--quiet", "--out", run_dir) == 0
    (tmp_path / "notes.txt").write_text("hello")
    capsys.readouterr()
    assert run_cli("predict", run_dir, tmp_path / "notes.txt") == 1
    assert "not an image" in capsys.readouterr().err


def test_weights_that_do_not_fit_the_config_name_both_files(tmp_path, capsys):
    assert run_cli("train", *FAST, "--out", tmp_path) == 0
    config = json.loads((tmp_path / "config.json").read_text())
    config["hidden"] = [8]
    (tmp_path / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert run_cli("evaluate", tmp_path) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "model.safetensors does not fit" in err and "config.json" in err and "size mismatch" in err
