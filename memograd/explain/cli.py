"""`memograd explain ...`: the backward pass made visible from the command line.

    memograd explain cost --depth 1..12 [--skip] [--json] [--plot cost.png]
    memograd explain memo        # memo table of a small demo MLP
    memograd explain memory      # what its backward pass will hold
    memograd explain layers      # layer-by-layer derivatives
    memograd explain graph --out graph   # graph.dot + graph.svg (Graphviz's, or memograd's own drawing)
    memograd explain show [--lang ko]    # the interactive page: watch backprop step by step

The main command line calls `add_subparser(subparsers)` and `run(args)`; this file is also
runnable on its own as `python -m memograd.explain ...`."""
from __future__ import annotations

import argparse
import sys

DEFAULT_DEPTHS = "1..12"


def parse_range(text: str) -> list[int]:
    """'1..12' -> [1, ..., 12]; '3' -> [3]; '1..4,8' -> [1, 2, 3, 4, 8].

    >>> parse_range("1..4,8")
    [1, 2, 3, 4, 8]
    """
    values: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            if ".." in part:
                low, high = (int(p) for p in part.split("..", 1))
                if low > high:
                    raise ValueError
                values.extend(range(low, high + 1))
            else:
                values.append(int(part))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid range {text!r}: use N, A..B with A <= B, or a comma list of those") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"invalid range {text!r}: depths start at 1")
    return values


def add_subparser(subparsers) -> argparse.ArgumentParser:
    """Add `explain` and its commands to an argparse subparsers object; returns its parser."""
    parser = subparsers.add_parser("explain", help="make the backward pass visible",
                                   description="Make the backward pass visible: cost of naive "
                                               "differentiation vs backprop, memo table, graph.")
    commands = parser.add_subparsers(dest="explain_command", metavar="{cost,memo,memory,layers,graph,show}")
    commands.required = True

    cost = commands.add_parser("cost", help="naive chain rule vs backprop, by depth")
    cost.add_argument("--depth", type=parse_range, default=parse_range(DEFAULT_DEPTHS),
                      help=f"depths as N, A..B or a comma list (default {DEFAULT_DEPTHS})")
    cost.add_argument("--skip", action="store_true", help="residual connections (paths grow exponentially)")
    cost.add_argument("--json", action="store_true", help="one JSON record per line instead of a table")
    cost.add_argument("--plot", metavar="PATH", help="save the curves as a PNG")
    cost.add_argument("--width", type=int, default=16)
    cost.add_argument("--batch", type=int, default=8)
    cost.add_argument("--max-vjps", type=int, default=200_000,
                      help="refuse naive runs predicted to need more VJPs (default 200000)")

    for name, text in (("memo", "memo table of a small demo MLP"),
                       ("memory", "memory the backward pass of a demo MLP will hold"),
                       ("layers", "layer-by-layer derivatives of a demo MLP"),
                       ("graph", "draw the graph of a small demo MLP"),
                       ("show", "an interactive page: step through the forward and backward pass")):
        demo = commands.add_parser(name, help=text)
        demo.add_argument("--depth", type=int, default=2, help="hidden layers (default 2)")
        demo.add_argument("--width", type=int, default=4, help="units per hidden layer (default 4)")
        demo.add_argument("--batch", type=int, default=3)
        demo.add_argument("--skip", action="store_true", help="residual connections")
        if name == "graph":
            demo.add_argument("--out", default="memograd_graph", help="output path without suffix")
            demo.add_argument("--format", default="svg", choices=["svg", "png", "pdf"])
        if name == "show":
            demo.add_argument("--out", default="memograd_backprop.html", help="the HTML file to write")
            demo.add_argument("--lang", default="en", choices=["en", "ko"], help="the page's language at first")
            demo.add_argument("--trace", metavar="PATH", help="also write the recorded trace as JSON")
            demo.add_argument("--retain-graph", action="store_true",
                              help="keep the saved arrays (by default the page shows the engine releasing them)")
    return parser


def run(args) -> int:
    """Execute a parsed `explain` command; errors are reported in one line, exit status 1."""
    try:
        return _COMMANDS[args.explain_command](args)
    except (ValueError, TypeError, RuntimeError, OSError) as err:
        print(f"memograd explain {args.explain_command}: error: {err}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="memograd")
    add_subparser(parser.add_subparsers(dest="command"))
    return run(parser.parse_args(["explain", *(sys.argv[1:] if argv is None else argv)]))


# ---- commands ------------------------------------------------------------------------------


def _cost(args) -> int:
    from .cost import cost_table, format_cost_table, plot_cost

    _check_sizes(args.width, args.batch)
    records = cost_table(args.depth, skip=args.skip, width=args.width, batch=args.batch, max_vjps=args.max_vjps)
    if args.json:
        for record in records:
            print(record.to_json())
    else:
        print(format_cost_table(records))
    if args.plot:
        path = plot_cost(records, args.plot)
        print(f"saved plot to {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def _demo(args):
    from .demo import mlp, mse, regression_batch

    if args.depth < 1:
        raise ValueError(f"--depth must be at least 1, got {args.depth}")
    _check_sizes(args.width, args.batch)
    x, y = regression_batch(args.batch, args.width)
    model = mlp([args.width] * (args.depth + 1) + [1], skip=args.skip)
    return model, x, y, mse


def _memo(args) -> int:
    from .memo import format_table, memo_table

    model, x, y, loss_fn = _demo(args)
    print(format_table(memo_table(loss_fn(model(x), y), names=model)))
    return 0


def _memory(args) -> int:
    from .memory import memory_report

    model, x, y, loss_fn = _demo(args)
    print(memory_report(loss_fn(model(x), y)).format())
    return 0


def _layers(args) -> int:
    from .layers import layer_derivatives

    model, x, y, loss_fn = _demo(args)
    print(layer_derivatives(model, x, y, loss_fn).format())
    return 0


def _graph(args) -> int:
    from .layers import layer_derivatives

    model, x, y, loss_fn = _demo(args)
    print(layer_derivatives(model, x, y, loss_fn).draw(args.out, fmt=args.format))
    return 0


def _show(args) -> int:
    from .graph import Graph
    from .layers import layer_segments
    from .page import show

    model, x, y, loss_fn = _demo(args)
    outputs = []
    h = x
    for layer in model:  # layer by layer, so each layer's output can be named and boxed
        h = layer(h)
        outputs.append(h)
    loss = loss_fn(h, y)
    names = list(model.named_parameters()) + [(f"out {i}", out) for i, out in enumerate(outputs)]
    segments = layer_segments(Graph(loss), outputs, [repr(layer) for layer in model])
    kind = "residual MLP" if args.skip else "MLP"
    title = f"{kind}: {args.depth} hidden layer(s) of {args.width}, batch {args.batch}, MSE loss"
    page = show(loss, args.out, names=names, lang=args.lang, retain_graph=args.retain_graph, title=title,
                groups=segments)
    totals = page.trace.totals
    print(f"wrote {page.path}: {totals['nodes']} nodes; backprop {totals['backprop_vjps']} VJPs, the naive "
          f"chain rule {totals['naive_vjps']}. Open it in a browser (no network needed).")
    if args.trace:
        print(f"wrote {page.trace.save(args.trace)}")
    return 0


def _check_sizes(width: int, batch: int) -> None:
    if width < 1 or batch < 1:
        raise ValueError(f"--width and --batch must be at least 1 (got {width} and {batch})")


_COMMANDS = {"cost": _cost, "memo": _memo, "memory": _memory, "layers": _layers, "graph": _graph, "show": _show}
