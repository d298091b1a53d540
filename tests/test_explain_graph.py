"""DOT output: checked by a small DOT parser below (statements, attribute lists, balanced
braces, every edge's endpoints declared), and rendered when Graphviz is installed."""
import re
import shutil
import subprocess

import numpy as np
import pytest

import memograd as mg
from memograd.explain import draw, to_dot
from memograd.explain.demo import mlp_loss

TOKEN = re.compile(r'\s*(?:(->)|([{}\[\];,=])|"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z_0-9.]*|-?[0-9.]+))')


def tokenize(text):
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        assert match, f"bad DOT near {text[pos:pos + 30]!r}"
        arrow, punct, quoted, word = match.groups()
        tokens.append(("id", quoted) if quoted is not None else ("id", word) if word else ("p", arrow or punct))
        pos = match.end()
    return tokens


def parse_dot(text):
    """Parse a digraph; return (declared node ids, edges). Raises AssertionError on bad syntax."""
    tokens = tokenize(text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else (None, None)

    def take(kind=None, value=None):
        nonlocal pos
        tok = peek()
        assert tok[0] is not None, "unexpected end of DOT"
        assert kind is None or tok[0] == kind, f"expected {kind}, got {tok}"
        assert value is None or tok[1] == value, f"expected {value!r}, got {tok}"
        pos += 1
        return tok[1]

    def attrs():
        take("p", "[")
        while peek() != ("p", "]"):
            take("id")
            take("p", "=")
            take("id")
            if peek() in (("p", ","), ("p", ";")):
                take()
        take("p", "]")

    nodes, edges = set(), []

    def statements():
        take("p", "{")
        while peek() != ("p", "}"):
            if peek() == ("id", "subgraph"):
                take()
                if peek()[0] == "id":
                    take()
                statements()
                continue
            name = take("id")
            if name in ("graph", "node", "edge") and peek() == ("p", "["):
                attrs()
            elif peek() == ("p", "="):
                take()
                take("id")
            elif peek() == ("p", "->"):
                take()
                edges.append((name, take("id")))
                if peek() == ("p", "["):
                    attrs()
            else:
                nodes.add(name)
                if peek() == ("p", "["):
                    attrs()
            if peek() == ("p", ";"):
                take()
        take("p", "}")

    take("id", "digraph")
    if peek()[0] == "id":
        take()
    statements()
    assert pos == len(tokens), "text after the closing brace"
    return nodes, edges


def check_dot(text):
    nodes, edges = parse_dot(text)
    assert text.count("{") == text.count("}")
    for a, b in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b} uses an undeclared node"
    return nodes, edges


def test_validator_rejects_broken_dot():
    with pytest.raises(AssertionError):
        check_dot("digraph g { a -> b; ")
    with pytest.raises(AssertionError):
        check_dot("digraph g { a; a -> b; }")


def test_small_graph_has_values_grads_and_both_edges_of_x_times_x():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([0.5, 0.5], requires_grad=True)
    text = to_dot((x * x + x * w).sum(), names={x: "x", w: "w"})
    nodes, edges = check_dot(text)
    assert len(nodes) == 6  # x, w, Mul, Mul, Add, Sum
    assert edges.count(("n0", "n1")) == 2  # x feeds x * x twice
    assert "x\\n2\\n[1, 2]" in text            # name, shape, value
    assert "grad [2.5, 4.5]" in text            # 2x + w
    assert x.grad is None


def test_large_tensors_show_statistics_and_names_from_a_model():
    loss, model = mlp_loss(2, width=8, batch=4)
    text = to_dot(loss, names=model)
    check_dot(text)
    assert "0.weight" in text and "mean " in text and "std " in text
    assert "value not kept" in text  # an Add output no op saved


def test_no_grads_when_the_graph_was_freed_and_flags_respected():
    loss, _ = mlp_loss(1, width=3, batch=2)
    loss.backward()
    text = to_dot(loss)
    check_dot(text)
    assert "\\ngrad " not in text and "freed the graph" in text
    bare = to_dot(mlp_loss(1, width=3, batch=2)[0], show_values=False, show_grads=False)
    check_dot(bare)
    assert "\\ngrad" not in bare and "mean" not in bare


def test_quotes_and_backslashes_in_names_are_escaped():
    x = mg.tensor(1.0, requires_grad=True)
    text = to_dot(x * 2, names={x: 'weird "name" \\ here'})
    check_dot(text)


def test_draw_without_graphviz_draws_the_svg_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    loss, _ = mlp_loss(1, width=3, batch=2)
    message = draw(loss, tmp_path / "g")
    assert (tmp_path / "g.dot").exists() and (tmp_path / "g.svg").read_text().count('class="node ') == 12
    assert "drawn by memograd" in message and "\n" not in message
    check_dot((tmp_path / "g.dot").read_text())


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_renders_with_graphviz(tmp_path):
    loss, model = mlp_loss(2, width=4, batch=2, skip=True)
    message = draw(loss, tmp_path / "g.png", names=model)
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG", message
    text = to_dot(loss, names=model)
    done = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "<svg" in done.stdout


def test_values_come_from_saved_outputs():
    x = mg.tensor(np.array([0.5]), requires_grad=True)
    y = x.tanh()
    text = to_dot(y * 3)
    assert f"{np.tanh(0.5):.3g}" in text
