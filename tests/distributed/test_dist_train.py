"""`memograd train` data-parallel: the weights of one process with N times the batch, --resume,
rank 0 alone writing; and MPI jobs launched from here: the CLI line, and a failing rank ending
the whole job instead of hanging it."""
import subprocess
import sys

import numpy as np
import pytest
from mpi_helpers import mpi_env, polite_barrier

import memograd.distributed as dist
from memograd import cli, load
from memograd.training import TrainConfig, runner, train

SMALL = {"dataset": "spiral", "hidden": (32, 16), "batch_size": 16, "label_smoothing": 0.1, "dropout": 0.0}


def weights(run_dir) -> dict:
    return {k: v.numpy() for k, v in load(run_dir / "model.safetensors").items()}


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| over the tensor, relative to its largest magnitude."""
    return float(np.abs(a - b).max() / np.abs(a).max())


def test_n_processes_end_with_the_weights_of_one_process_with_n_times_the_batch(tmp_path):
    rank, world = dist.get_rank(), dist.get_world_size()
    config = TrainConfig(epochs=2, **SMALL)
    result = train(config, tmp_path / "dist", quiet=True)
    assert result["epochs"] == 2
    if rank == 0:
        single = TrainConfig(epochs=2, **{**SMALL, "batch_size": SMALL["batch_size"] * world})
        reference = train(single, tmp_path / "single", quiet=True, distributed=False)
        assert reference["test_accuracy"] == pytest.approx(result["test_accuracy"], abs=0.01)
        a, b = weights(tmp_path / "single"), weights(tmp_path / "dist")
        worst = max(relative_difference(a[k], b[k]) for k in a)
        assert worst < 1e-5, worst
    else:
        assert not (tmp_path / "dist").exists()  # only rank 0 writes the run folder
    polite_barrier()


def test_distributed_resume_equals_the_uninterrupted_run(tmp_path, monkeypatch):
    rank = dist.get_rank()
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    args = ["--dataset", "spiral", "--hidden", "16", "--epochs", "3", "--batch-size", "16", "--quiet",
            "--dropout", "0.2", "--scheduler", "onecycle"]
    assert cli.main(["train", *args, "--out", str(whole)]) == 0
    real_epoch = runner.train_epoch

    def stop_after_one(run, quiet, monitor=None):
        if run.epoch == 1:
            raise KeyboardInterrupt
        return real_epoch(run, quiet, monitor)

    monkeypatch.setattr(runner, "train_epoch", stop_after_one)
    assert cli.main(["train", *args, "--out", str(parts)]) == 130
    monkeypatch.setattr(runner, "train_epoch", real_epoch)
    assert cli.main(["train", "--resume", str(parts), "--quiet"]) == 0
    if rank == 0:
        a, b = weights(whole), weights(parts)
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        assert len((parts / "metrics.jsonl").read_text().splitlines()) == 3


def run_job(argv: list, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "mpi4py", *argv], env=mpi_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_the_mpiexec_command_line_trains_and_only_rank_0_prints(tmp_path):
    if dist.get_rank() == 0:
        job = run_job(["-m", "memograd", "train", "--dataset", "spiral", "--hidden", "16", "--epochs", "2",
                       "--out", str(tmp_path / "run")], timeout=90)
        assert job.returncode == 0, job.stderr
        assert job.stdout.count("training mlp on spiral on 2 processes") == 1
        assert job.stdout.count("epoch   2/2") == 1
        assert (tmp_path / "run" / "model.safetensors").is_file()
    polite_barrier()


def test_a_rank_that_raises_ends_the_whole_job():
    if dist.get_rank() == 0:
        program = ("import memograd.distributed as dist\n"
                   "dist.init_process_group('mpi')\n"
                   "if dist.get_rank() == 1:\n"
                   "    raise ValueError('rank 1 gives up')\n"
                   "dist.barrier()  # rank 0 would wait here forever\n")
        job = run_job(["-c", program], timeout=60)  # a hang would raise TimeoutExpired
        assert job.returncode != 0
        assert "rank 1 gives up" in job.stderr
    polite_barrier()
