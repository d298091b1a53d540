"""The cost table and its plot."""
import argparse
import json
from pathlib import Path

import pytest

from memograd.explain import cost_table, format_cost_table, plot_cost
from memograd.explain.cli import add_subparser, parse_range, run


def test_cost_table_counts_and_refusal():
    records = cost_table(range(1, 4), width=4, batch=2)
    assert [(r.backprop_vjps, r.naive_vjps) for r in records] == [(8, 24), (11, 45), (14, 72)]
    assert all(r.agree and r.naive_seconds is not None for r in records)
    refused = cost_table([6], skip=True, width=4, batch=2, max_vjps=1000)[0]
    assert refused.naive_vjps is None and refused.naive_seconds is None and refused.agree is None
    assert refused.predicted_naive_vjps == 2370
    text = format_cost_table(records + [refused])
    assert "2,370*" in text and "predicted" in text


def test_plot_cost(tmp_path):
    records = cost_table(range(1, 4), skip=True, width=4, batch=2, max_vjps=100)
    path = plot_cost(records, tmp_path / "cost.png")
    assert Path(path).read_bytes()[:4] == b"\x89PNG"


def cli(argv):
    parser = argparse.ArgumentParser(prog="memograd")
    add_subparser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(argv))


def test_cli_cost_json(capsys, tmp_path):
    assert cli(["explain", "cost", "--depth", "1..4", "--json", "--plot", str(tmp_path / "c.png")]) == 0
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["depth"] for r in records] == [1, 2, 3, 4]
    assert [r["naive_vjps"] for r in records] == [24, 45, 72, 105]
    assert [r["backprop_vjps"] for r in records] == [8, 11, 14, 17]
    for key in ("backprop_flops", "naive_flops", "backprop_seconds", "naive_seconds"):
        assert all(r[key] is not None for r in records)
    assert (tmp_path / "c.png").exists() and "saved plot" in err


def test_cli_text_commands(capsys, tmp_path):
    assert cli(["explain", "cost", "--depth", "2", "--skip"]) == 0
    assert "skip connections" in capsys.readouterr().out
    assert cli(["explain", "memo"]) == 0
    assert "fan-out" in capsys.readouterr().out
    assert cli(["explain", "memory"]) == 0
    assert cli(["explain", "layers"]) == 0
    assert cli(["explain", "graph", "--out", str(tmp_path / "g")]) == 0
    assert (tmp_path / "g.dot").exists()


def test_cli_errors_are_one_line(capsys):
    assert cli(["explain", "cost", "--depth", "2", "--width", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as info:
        cli(["explain", "cost", "--depth", "5..2"])
    assert info.value.code != 0


def test_parse_range():
    assert parse_range("1..12") == list(range(1, 13))
    assert parse_range("3") == [3]
    assert parse_range("1..3,7") == [1, 2, 3, 7]
    for bad in ("0..3", "a..b", "4..1", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_range(bad)
