"""memograd.utils.tensorboard.SummaryWriter writes event files that TensorBoard's own reader
(EventAccumulator) reads back; `memograd train --tensorboard DIR` logs each epoch there."""
import numpy as np
import pytest

import memograd

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from memograd import cli
from memograd.utils.tensorboard import SummaryWriter


def read(folder) -> EventAccumulator:
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_from_numbers_arrays_and_tensors(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("loss", 0.5, 0)
        writer.add_scalar("loss", np.float32(0.25), 1)
        writer.add_scalar("loss", memograd.tensor(0.125, requires_grad=True) * 1, 2)
        writer.add_scalar("loss", np.array([0.0625]), global_step=memograd.tensor(3))
        writer.add_scalar("when", 1.0, 0, walltime=1234.5)
    acc = read(tmp_path)
    points = acc.Scalars("loss")
    assert [p.step for p in points] == [0, 1, 2, 3]
    np.testing.assert_allclose([p.value for p in points], [0.5, 0.25, 0.125, 0.0625])
    assert acc.Scalars("when")[0].wall_time == 1234.5


def test_a_scalar_must_be_one_number(tmp_path):
    with SummaryWriter(tmp_path) as writer, pytest.raises(ValueError, match="single number"):
        writer.add_scalar("loss", np.ones(3), 0)


def test_new_style_scalar_is_a_tensor_of_the_scalars_plugin(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_scalar("acc", 0.75, 4, new_style=True)
        writer.add_scalar("acc64", 0.1, 5, new_style=True, double_precision=True)
    acc = read(tmp_path)
    (event,) = acc.Tensors("acc")
    assert event.step == 4 and event.tensor_proto.float_val == [0.75]
    assert acc.Tensors("acc64")[0].tensor_proto.double_val == [0.1]
    assert "acc" in acc.PluginTagToContent("scalars")


def test_add_scalars_writes_one_run_per_curve(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars("loss/compare", {"train": 1.0 / (step + 1), "val": 2.0 / (step + 1)}, step)
    for curve, scale in (("train", 1.0), ("val", 2.0)):
        points = read(tmp_path / f"loss_compare_{curve}").Scalars("loss/compare")
        np.testing.assert_allclose([p.value for p in points], [scale, scale / 2, scale / 3], rtol=1e-6)


def test_histogram_counts_every_value(tmp_path):
    values = np.random.default_rng(0).standard_normal(1000)
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("w", memograd.tensor(values), 0)
        writer.add_histogram("w", values, 1, bins=10)
        writer.add_histogram("w", values.astype(np.float32), 2, bins="auto", max_bins=5)
    events = read(tmp_path).Histograms("w")
    assert [e.step for e in events] == [0, 1, 2]
    for event in events:
        h = event.histogram_value
        assert h.num == 1000 and sum(h.bucket) == 1000
        assert h.min == pytest.approx(values.min(), rel=1e-6) and h.max == pytest.approx(values.max(), rel=1e-6)
        assert h.sum == pytest.approx(values.sum(), rel=1e-4, abs=1e-3)
        assert h.sum_squares == pytest.approx(values @ values, rel=1e-5)
        assert list(h.bucket_limit) == sorted(h.bucket_limit) and h.bucket_limit[-1] >= h.max
    assert len(events[1].histogram_value.bucket) == 11  # 10 bins, led by an empty one at the left edge
    assert len(events[2].histogram_value.bucket) <= 5
    # numpy's 10 bins: the counts land in the same buckets
    counts, edges = np.histogram(values, bins=10)
    assert list(events[1].histogram_value.bucket[1:]) == list(counts)
    np.testing.assert_allclose(events[1].histogram_value.bucket_limit, edges)


def test_tensorflow_bins_are_fine_near_zero(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_histogram("tiny", np.array([1e-6, 1.1e-6, 1.0]), 0)
    h = read(tmp_path).Histograms("tiny")[0].histogram_value
    filled = [limit for limit, count in zip(h.bucket_limit, h.bucket) if count]
    assert len(filled) == 3 and filled[0] < 1.1e-6  # 1e-6 and 1.1e-6 fall in different 10% buckets


def test_empty_histogram_is_refused(tmp_path):
    with SummaryWriter(tmp_path) as writer, pytest.raises(ValueError, match="no values"):
        writer.add_histogram("w", np.array([]), 0)


def test_text(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        writer.add_text("notes", "lr 1e-3, **adam**", 7)
    (event,) = read(tmp_path).Tensors("notes/text_summary")
    assert event.step == 7 and event.tensor_proto.string_val == [b"lr 1e-3, **adam**"]


def test_flush_close_and_reuse(tmp_path):
    writer = SummaryWriter(tmp_path, flush_secs=3600, max_queue=1000, filename_suffix=".mg")
    writer.add_scalar("x", 1.0, 0)
    writer.flush()
    assert [p.value for p in read(tmp_path).Scalars("x")] == [1.0]
    writer.close()
    writer.close()  # twice is fine
    writer.add_scalar("x", 2.0, 1)  # a closed writer opens a new file
    writer.close()
    assert [p.value for p in read(tmp_path).Scalars("x")] == [1.0, 2.0]
    assert all(f.name.endswith(".mg") for f in tmp_path.iterdir())
    assert writer.get_logdir() == str(tmp_path)


def test_purge_step_discards_the_stale_tail(tmp_path):
    with SummaryWriter(tmp_path) as first:
        for step in range(5):
            first.add_scalar("loss", float(step), step)
    with SummaryWriter(tmp_path, purge_step=3) as resumed:
        resumed.add_scalar("loss", 30.0, 3)
    points = read(tmp_path).Scalars("loss")
    assert [(p.step, p.value) for p in points] == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 30.0)]


def test_default_log_dir_is_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    writer.close()
    assert writer.get_logdir().startswith("runs") and writer.get_logdir().endswith("_lr0.1")
    assert (tmp_path / writer.get_logdir()).is_dir()


def test_train_logs_each_epoch_to_tensorboard(tmp_path):
    board = tmp_path / "board"
    argv = ["train", "--dataset", "spiral", "--hidden", "16", "--epochs", "2", "--batch-size", "64", "--quiet",
            "--out", str(tmp_path / "run"), "--tensorboard", str(board)]
    assert cli.main(argv) == 0
    acc = read(board)
    assert set(acc.Tags()["scalars"]) == {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr"}
    import json

    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/train", "train_accuracy"),
                     ("accuracy/val", "val_accuracy"), ("lr", "lr")):
        points = acc.Scalars(tag)
        assert [p.step for p in points] == [1, 2]
        np.testing.assert_allclose([p.value for p in points], [r[key] for r in records], rtol=1e-6)
    assert all(0.0 <= p.value <= 1.0 for p in acc.Scalars("accuracy/train"))
