"""The memory report: bytes saved for backward, per op and in total, read before backward runs."""
import memograd as mg
from memograd.explain import memory_report
from memograd.explain.demo import mlp_loss
from memograd.explain.graph import Graph


def test_total_is_the_sum_of_saved_nbytes():
    loss, _ = mlp_loss(3, width=8, batch=5)
    report = memory_report(loss)
    expected = sum(sum(v.nbytes for v in node.saved if hasattr(v, "nbytes")) for node in Graph(loss).ops)
    assert report.total_bytes == expected == sum(r.bytes for r in report.rows)
    assert 0 < report.unique_bytes <= report.total_bytes
    assert sum(b for _, b in report.by_op().values()) == report.total_bytes
    assert len(report.rows) == len(Graph(loss).ops)


def test_shared_array_counts_once_in_unique_bytes():
    x = mg.ones(4, requires_grad=True)
    report = memory_report((x * x).sum())
    assert report.total_bytes == 2 * x._data.nbytes
    assert report.unique_bytes == x._data.nbytes


def test_after_backward_the_saved_values_are_freed():
    loss, _ = mlp_loss(1, width=4, batch=2)
    loss.backward()
    report = memory_report(loss)
    assert report.total_bytes == 0
    assert any(r.freed for r in report.rows)
    assert "freed" in report.format()


def test_text_mentions_total():
    loss, _ = mlp_loss(2, width=8, batch=4)
    text = memory_report(loss).format()
    assert "total saved for backward" in text and "MatMul" in text
