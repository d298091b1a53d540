"""The page, the SVG drawing and their layout, without a browser (tests/test_explain_browser.py
drives a real one): self-contained HTML that carries the trace, both languages, the command
line, notebooks, memograd's own SVG when Graphviz is missing, and a layout without overlaps."""
import itertools
import json
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import memograd as mg
from memograd.explain import draw, record, show
from memograd.explain.cli import add_subparser, run
from memograd.explain.demo import mlp_loss
from memograd.explain.layout import NODE_H, NODE_W, layered
from memograd.explain.page import page_html
from memograd.explain.page_text import TEXT
from memograd.explain.svg import graph_svg, layout_of
from memograd.explain.trace import Trace
from memograd.ops import ALL_OPS

SVG_NS = "http://www.w3.org/2000/svg"


def embedded_trace(html: str) -> dict:
    match = re.search(r'<script id="trace" type="application/json">(.*?)</script>', html, re.DOTALL)
    return json.loads(match.group(1))


def test_page_is_self_contained_and_carries_the_trace():
    loss, model = mlp_loss(2, width=3, batch=2, skip=True)
    trace = record(loss, names=model)
    html = page_html(trace)
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert embedded_trace(html) == json.loads(trace.to_json())
    # nothing to fetch: no external scripts, styles, fonts or images; the only URL is SVG's namespace
    assert not re.search(r"<(link|img|iframe)\b|<script[^>]+src=|@import|url\(http", html)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) <= {SVG_NS}
    assert html.count('class="node ') == len(trace.nodes)
    assert html.count('class="edge"') == sum(i is not None for n in trace.nodes for i in n["inputs"])


def test_a_name_with_a_closing_script_tag_cannot_break_the_page():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    trace = record((x * x).sum(), names={x: "</script><b>x"})
    html = page_html(trace)
    assert embedded_trace(html)["nodes"][0]["label"] == "</script><b>x"
    assert html.count("</script>") == 3  # the name's tag is escaped: "&lt;/script&gt;" in the SVG, "<\/" in JSON
    assert "&lt;/script&gt;&lt;b&gt;x" in html


def test_languages():
    x = mg.tensor(2.0, requires_grad=True)
    trace = record(x * x, names={x: "x"})
    ko = page_html(trace, lang="ko")
    assert '<html lang="ko">' in ko and "역전파, 한 단계씩" in ko and "순방향 추론" in ko
    assert set(TEXT["en"]) == set(TEXT["ko"])  # every word exists in both languages
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        page_html(trace, lang="fr")


def test_show_writes_the_page_and_notebooks_show_it_inline(tmp_path):
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    page = show((x * x).sum(), tmp_path / "sub" / "p.html", names={x: "x"}, title="x squared")
    assert page.path.read_text(encoding="utf-8") == page.html
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;!doctype html&gt;" in frame
    assert page.trace._repr_html_().startswith("<iframe srcdoc=")
    assert show(mg.tensor(1.0, requires_grad=True) * 3).path is None  # nothing written without a path


def cli(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="memograd")
    add_subparser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(argv))


def test_cli_show_writes_page_and_trace(tmp_path, capsys):
    out, trace_path = tmp_path / "page.html", tmp_path / "trace.json"
    assert cli(["explain", "show", "--out", str(out), "--trace", str(trace_path), "--lang", "ko", "--skip"]) == 0
    printed = capsys.readouterr().out
    assert "backprop 13 VJPs" in printed and "naive chain rule 70" in printed
    trace = Trace.load(trace_path)
    html = out.read_text(encoding="utf-8")
    assert embedded_trace(html) == trace.data and '<html lang="ko">' in html
    assert [g["label"] for g in trace.data["groups"]][:2] == ["layer 0: Residual(Affine(4, 4), Tanh)",
                                                              "layer 1: Residual(Affine(4, 4), Tanh)"]
    assert any(n["label"] == "out 0 = Add" for n in trace.nodes)
    assert trace.totals["released_bytes"] == trace.totals["saved_bytes"]
    assert cli(["explain", "show", "--out", str(out), "--retain-graph"]) == 0
    assert Trace(embedded_trace(out.read_text(encoding="utf-8"))).totals["released_bytes"] == 0


def test_graph_command_draws_svg_itself_without_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli(["explain", "graph", "--out", str(tmp_path / "g")]) == 0
    assert "drawn by memograd" in capsys.readouterr().out
    root = ET.parse(tmp_path / "g.svg").getroot()  # well-formed XML
    assert root.tag == f"{{{SVG_NS}}}svg"
    text = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "∂L" in text and "stored: dL/d(out 0)" in text and "layer 0: Affine(4, 4)" in text
    assert (tmp_path / "g.dot").exists()


def test_own_svg_shows_values_and_the_engines_gradients(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([0.5, 0.5], requires_grad=True)
    message = draw((x * x + x * w).sum(), tmp_path / "g.png", names={x: "x", w: "w"})
    assert "g.svg" in message and "dot -Tpng" in message and "\n" not in message
    text = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "= [1, 2]" in text and 'class="slot">[2.5, 4.5]<' in text  # x's value; d/dx = 2x + w
    assert x.grad is None


def test_own_svg_of_a_freed_graph_says_why_there_are_no_gradients(tmp_path):
    loss, _ = mlp_loss(1, width=3, batch=2)
    loss.backward()
    from memograd.explain.svg import draw_svg

    note = draw_svg(loss, tmp_path / "g.svg")
    assert "freed" in note and "gradients not shown" in (tmp_path / "g.svg").read_text(encoding="utf-8")


def fan_out(x, w):
    a = x * w
    return (a * a + a).sum()


@pytest.mark.parametrize("build", [
    lambda: mlp_loss(3, width=3, batch=2)[0],
    lambda: mlp_loss(3, width=3, batch=2, skip=True)[0],
    lambda: fan_out(mg.tensor([1.0, 2.0], requires_grad=True), mg.tensor([0.5, -1.0], requires_grad=True)),
])
def test_layout_has_no_overlaps_and_edges_run_left_to_right(build):
    trace = record(build(), retain_graph=True)
    layout = layout_of(trace)
    boxes = list(zip(layout.x, layout.y))
    for i, (xa, ya) in enumerate(boxes):
        for xb, yb in boxes[i + 1:]:
            assert abs(xa - xb) >= NODE_W or abs(ya - yb) >= NODE_H, "two boxes overlap"
    for node in trace.nodes:
        for child in node["inputs"]:
            if child is not None:
                assert layout.x[node["id"]] > layout.x[child]
    assert min(layout.x) >= 0 and min(layout.y) >= 0
    assert max(layout.x) + NODE_W <= layout.width and max(layout.y) + NODE_H <= layout.height


def test_random_graphs_lay_out_without_overlaps(rng):
    for _ in range(5):
        n = 40
        inputs = [[int(j) for j in rng.choice(i, size=min(i, rng.integers(1, 4)), replace=False)] if i > 2 else []
                  for i in range(n)]
        leaves = {i for i in range(n) if not inputs[i]}
        layout = layered(inputs, leaves)
        for c in set(layout.column):
            ys = sorted(layout.y[i] for i in range(n) if layout.column[i] == c)
            assert all(b - a >= NODE_H for a, b in itertools.pairwise(ys))
        assert all(layout.column[i] > layout.column[j] for i in range(n) for j in inputs[i])


def test_a_chain_stays_on_one_row_with_its_parameters_beside_it():
    trace = record(mlp_loss(4, width=3, batch=2)[0])
    layout = layout_of(trace)
    ops_y = {layout.y[n["id"]] for n in trace.nodes if not n["leaf"]}
    assert len(ops_y) == 1


def test_every_op_has_a_rule_formula():
    """Each op states its rule for people beside its backward: one formula per input it can take."""
    for op in ALL_OPS:
        assert op.vjp_formula and all(isinstance(f, str) and f for f in op.vjp_formula), op.__name__


def test_svg_can_be_drawn_at_any_step():
    x = mg.tensor(3.0, requires_grad=True)
    trace = record(x * x, names={x: "x"})
    first = graph_svg(trace, position=0)
    last = graph_svg(trace)
    assert 'class="slot"></tspan>' in first and 'class="slot">6<' in last
    assert np.isclose(trace.gradients()[0], 6.0)
