"""The memo table: one row per node in the engine's order, with fan-out and the number of
contributions summed into each gradient slot."""
import numpy as np
import pytest

import memograd as mg
from memograd.explain import format_table, memo_table, print_memo_table
from memograd.explain.demo import mlp_loss
from memograd.explain.graph import Graph, saved_bytes


def shared_graph():
    x = mg.tensor(2.0, requires_grad=True)
    w = mg.tensor(3.0, requires_grad=True)
    a = x * w
    b = a + a
    c = b * a
    return x, w, a, b, c


def test_fan_out_and_contributions_on_a_shared_node():
    x, w, a, b, c = shared_graph()
    rows = {r.node_id: r for r in memo_table(c, names={x: "x", w: "w"})}
    ids = Graph(c).ids
    row_a, row_b, row_c = rows[ids[a.grad_fn]], rows[ids[b.grad_fn]], rows[ids[c.grad_fn]]
    assert (row_a.fan_out, row_a.summed) == (3, 3)   # b uses a twice, c once
    assert (row_b.fan_out, row_b.summed) == (1, 1)
    assert (row_c.fan_out, row_c.summed) == (0, 1)   # the seed d(loss)/d(loss) = 1
    # c = 2 (xw)^2: dc/da = 4a = 24, dc/dx = 24 w, dc/dw = 24 x
    assert row_a.grad_norm == pytest.approx(24.0)
    assert rows[ids[x._node]].grad_norm == pytest.approx(72.0)
    assert rows[ids[w._node]].op == "w" and rows[ids[w._node]].leaf


def test_rows_follow_the_engine_order_and_each_node_appears_once():
    *_, c = shared_graph()
    rows = memo_table(c)
    assert [r.step for r in rows] == list(range(len(rows)))
    assert [r.op for r in rows[:3]] == ["Mul", "Add", "Mul"]
    assert len({r.node_id for r in rows}) == len(rows) == len(Graph(c).nodes)


def test_saved_bytes_and_grad_untouched():
    loss, _ = mlp_loss(2, width=4, batch=3)
    graph = Graph(loss)
    rows = memo_table(loss)
    by_id = {r.node_id: r for r in rows}
    for node in graph.nodes:
        assert by_id[graph.ids[node]].saved_bytes == saved_bytes(node)
    assert sum(r.saved_bytes for r in rows) == sum(
        sum(v.nbytes for v in node.saved if hasattr(v, "nbytes")) for node in graph.ops)
    assert all(p.grad is None for p in _params(loss))


def test_accumulate_fills_grad_like_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    memo_table((x * x).sum(), accumulate=True)
    np.testing.assert_allclose(x.grad._data, [2.0, 4.0])


def test_text_table_is_aligned(capsys):
    x, w, _, _, c = shared_graph()
    print_memo_table(c, names={x: "x", w: "w"})
    text = capsys.readouterr().out
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("step"))
    table = lines[header:header + 2 + 5]
    assert len({len(line) for line in table[1:]}) <= 2  # rule and rows line up
    assert "fan-out" in lines[header] and "summed" in lines[header]
    assert "#2 Mul x3" in text or "Mul x3" in text
    assert format_table(memo_table(c)) .count("\n") >= 7


def _params(loss):
    return [n.leaf_ref() for n in Graph(loss).leaves]
