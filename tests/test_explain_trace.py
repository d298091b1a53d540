"""The trace against the engine: its gradients are the engine's, its counts are the memo
table's and explain.naive's, its order is the engine's, and its releases are the engine's."""
import json

import numpy as np
import pytest

import memograd as mg
from memograd.explain import memo_table, predict, record
from memograd.explain.demo import mlp_loss
from memograd.explain.graph import Graph, is_freed
from memograd.explain.replay import backward_start, states
from memograd.explain.trace import Trace, summarize


def fan_out_loss():
    """The tutorial's graph: a = x * w is used three times."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0], requires_grad=True)
    a = x * w
    return (a * a + a).sum(), x, w, a


def runs(trace):
    return [s for s in trace.steps if s.get("kind") == "run"]


@pytest.mark.parametrize("skip", [False, True])
def test_gradients_equal_the_engines_grad(skip):
    loss, model = mlp_loss(2, width=4, batch=3, skip=skip)
    trace = record(loss, names=model, retain_graph=True)
    loss.backward()
    grads = trace.gradients()
    ids = Graph(loss).ids
    for name, param in model.named_parameters():
        assert np.array_equal(grads[ids[param._node]], param.grad.numpy()), name
    labels = {n["label"] for n in trace.nodes if n["leaf"]}
    assert labels == {name for name, _ in model.named_parameters()}


def test_trace_leaves_grad_untouched_and_round_trips_as_strict_json(tmp_path):
    loss, x, w, _ = fan_out_loss()
    trace = record(loss, names={x: "x", w: "w"})
    assert x.grad is None and w.grad is None
    text = trace.to_json()
    assert "NaN" not in text and "Infinity" not in text
    again = Trace.load(trace.save(tmp_path / "t.json"))
    assert again.data == json.loads(text)
    with pytest.raises(ValueError, match="memograd-trace"):
        Trace({"format": "something else"})


@pytest.mark.parametrize("skip", [False, True])
def test_counts_and_order_equal_the_memo_table_and_the_naive_count(skip):
    loss, model = mlp_loss(3, width=4, batch=2, skip=skip)
    rows = memo_table(loss, names=model)
    prediction = predict(loss)
    trace = record(loss, names=model, retain_graph=True)
    assert [s["node"] for s in runs(trace)] == [r.node_id for r in rows]
    assert trace.totals["backprop_vjps"] == sum(not r.leaf for r in rows) == prediction.backprop.vjps
    assert trace.totals["naive_vjps"] == prediction.naive.vjps
    assert runs(trace)[-1]["vjps"] == trace.totals["backprop_vjps"]
    assert runs(trace)[-1]["naive"] == trace.totals["naive_vjps"]
    summed = {r.node_id: r.summed for r in rows}
    fan_out = {r.node_id: r.fan_out for r in rows}
    for node in trace.nodes:
        assert node["consumers"] == fan_out[node["id"]]
    last_count = {}
    for step in runs(trace):
        for send in step["sends"]:
            if "count" in send:
                last_count[send["to"]] = send["count"]
    seed = next(s for s in trace.steps if s.get("kind") == "seed")
    last_count[seed["node"]] = 1
    assert last_count == summed


def test_fan_out_slot_sums_three_contributions_before_its_rule_runs():
    loss, x, w, a = fan_out_loss()
    a_id = Graph(loss).ids[a._node]
    trace = record(loss, names={x: "x", w: "w", a: "a"})
    assert trace.nodes[a_id]["label"] == "a = Mul"
    assert trace.nodes[a_id]["consumers"] == 3
    sends, ran_at = [], None
    for k, step in enumerate(runs(trace)):
        for send in step["sends"]:
            if send["to"] == a_id:
                sends.append((k, send))
        if step["node"] == a_id:
            ran_at = k
    assert [s["count"] for _, s in sends] == [1, 2, 3]
    assert [s["left"] for _, s in sends] == [2, 1, 0]
    assert all(k < ran_at for k, _ in sends)  # the rule runs only once the slot is complete
    for _, send in sends:
        previous = 0.0 if send["previous"] is None else np.array(send["previous"]["values"])
        assert np.allclose(previous + np.array(send["raw"]["values"]), send["total"]["values"])
    a_grad = runs(trace)[ran_at]["grad"]["values"]
    assert a_grad == sends[-1][1]["total"]["values"]
    # d loss / d a = 2a + 1 with a = x * w = [0.5, -2]
    assert np.allclose(a_grad, [2.0, -3.0])


def test_broadcast_gradient_is_marked_reduced():
    x = mg.tensor(np.ones((3, 4)), requires_grad=True)
    b = mg.tensor(np.zeros(4), requires_grad=True)
    trace = record((x + b).sum(), names={x: "x", b: "b"})
    b_id = next(n["id"] for n in trace.nodes if n["label"] == "b")
    (send,) = [s for step in runs(trace) for s in step["sends"] if s["to"] == b_id]
    assert send["reduced"] and send["raw"]["shape"] == [3, 4] and send["total"]["shape"] == [4]
    assert send["total"]["values"] == [3.0] * 4


def test_releases_are_the_engines():
    loss, model = mlp_loss(2, width=4, batch=3)
    saving = [node for node in Graph(loss).ops if node.saved]
    assert saving and not any(is_freed(node) for node in saving)
    trace = record(loss, names=model)
    assert all(is_freed(node) for node in saving)
    for step in runs(trace):
        node = trace.nodes[step["node"]]
        assert step["released"] == (node["saved_bytes"] > 0)
        assert step["released_bytes"] == node["saved_bytes"]
    assert trace.totals["released_bytes"] == trace.totals["saved_bytes"] > 0
    with pytest.raises(RuntimeError, match="freed its saved values"):
        record(loss)


def test_retained_graph_releases_nothing_and_can_run_again():
    loss, model = mlp_loss(1, width=3, batch=2)
    trace = record(loss, names=model, retain_graph=True)
    assert not any(s["released"] for s in runs(trace)) and trace.data["retain_graph"]
    loss.backward()  # the graph still holds its saved arrays
    assert all(p.grad is not None for p in model.parameters())


def test_replay_ends_with_every_slot_complete():
    loss, model = mlp_loss(2, width=3, batch=2, skip=True)
    trace = record(loss, names=model)
    final = states(trace)[-1]
    grads = {s["node"]: s["grad"] for s in runs(trace)}
    for i, node in enumerate(final.nodes):
        assert node.ran and node.left == 0 and node.computed
        assert node.slot == grads[i]
    assert final.vjps == trace.totals["backprop_vjps"]
    start = states(trace)[backward_start(trace)]
    assert all(n.computed and n.slot is None for n in start.nodes)


def test_values_kept_by_the_graph_and_non_finite_numbers_stay_json():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x.log()                   # log saves its input: x's value is known
        trace = record((y * 2).sum(), names={x: "x"})
    assert trace.nodes[0]["value"]["values"] == [0.0, 1.0]
    x_grad = trace.gradients()[0]
    assert np.isinf(x_grad[0]) and x_grad[1] == 2.0
    assert summarize(np.array([np.nan, -np.inf]))["values"] == ["nan", "-inf"]
    json.loads(trace.to_json())
