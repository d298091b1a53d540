"""The interactive page: one self-contained HTML file that replays a trace.

The file holds the SVG drawing (explain.svg), the trace itself (JSON in a script tag), the
page's words in English and Korean, and its script and style inlined from explain/assets:
no network, no CDN, it opens from disk in any current browser. Forward steps light up the
nodes in the order the forward pass computed them; backward steps follow the engine: the node
whose rule runs, its memo slot, the slots it adds into, consumer counters, releases.

    show(loss, "backprop.html")          any graph you built, from Python
    memograd explain show --lang ko      the chapter's small MLP, from the command line
"""
from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path

from .page_text import TEXT, text_for
from .svg import graph_svg
from .trace import Trace, record


class Page:
    """A written (or in-memory) page; a notebook shows it inline through `_repr_html_`."""

    def __init__(self, trace: Trace, html: str, path: Path | None):
        self.trace = trace
        self.html = html
        self.path = path

    def _repr_html_(self) -> str:
        return notebook_frame(self.html)

    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"<explain page{where}: {self.trace!r}>"


def show(loss, path=None, *, names=None, lang: str = "en", retain_graph: bool = False, title: str | None = None,
         groups: dict | None = None, gradient=None) -> Page:
    """Record one forward and backward pass from `loss` and write it as an interactive page at
    `path` (nothing is written when `path` is None: a notebook still shows the returned Page).

    Like `loss.backward()`, the pass frees the graph's saved arrays unless `retain_graph=True`
    (the page shows each release); no `.grad` is written. `names` labels tensors (a Module, or a
    {tensor: name} dict), `groups` draws boxes around sets of tensors.

    >>> import memograd as mg, tempfile, os
    >>> x = mg.tensor([1.0, 2.0], requires_grad=True)
    >>> page = show((x * x).sum(), os.path.join(tempfile.mkdtemp(), "p.html"), names={x: "x"})
    >>> page.path.read_text(encoding="utf-8").startswith("<!doctype html>")
    True
    """
    text_for(lang)  # an unknown language fails before any work is done
    trace = record(loss, names, retain_graph=retain_graph, title=title, groups=groups, gradient=gradient)
    html = page_html(trace, lang=lang)
    written = None
    if path is not None:
        written = Path(path)
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(html, encoding="utf-8")
    return Page(trace, html, written)


def page_html(trace: Trace, lang: str = "en") -> str:
    """The page for `trace`, its words in `lang` at first (a button switches to the other)."""
    words = text_for(lang)
    title = trace.data.get("title") or ""
    heading = escape(title) if title else ""
    return TEMPLATE.format(
        lang=lang,
        doc_title=escape(f"{words['heading']}{' · ' + title if title else ''} · memograd"),
        css=_asset("page.css"),
        js=_asset("page.js"),
        heading=escape(words["heading"]), subheading=escape(words["subheading"]), title=heading,
        svg=graph_svg(trace, lang, position=0),
        trace=_script_json(trace.data),
        words=_script_json(TEXT),
        **{f"w_{k}": escape(v) for k, v in words.items()},
    )


def notebook_frame(html: str, height: int = 680) -> str:
    """The page inside an iframe, so its script and style stay out of the notebook's own."""
    return (f'<iframe srcdoc="{escape(html, quote=True)}" style="width:100%;height:{height}px;border:1px solid #ddd" '
            'sandbox="allow-scripts"></iframe>')


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data) -> str:
    """JSON that cannot end its <script> element early ("</" never appears outside strings)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")


TEMPLATE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="memograd explain">
<title>{doc_title}</title>
<style>{css}</style>
</head>
<body data-position="0" data-phase="start">
<header>
  <div class="top">
    <h1 data-w="heading">{heading}</h1><span class="sub" data-w="subheading">{subheading}</span>
    <span class="title">{title}</span><span class="spacer"></span>
    <span id="phase">{w_phase_start}</span>
    <button id="lang" data-act="lang" title="language / 언어"></button>
  </div>
  <div id="caption"></div>
</header>
<main id="graph">{svg}</main>
<aside id="panel"></aside>
<footer>
  <button data-act="first" data-w="first">{w_first}</button>
  <button data-act="prev" data-w="prev">{w_prev}</button>
  <button data-act="next" class="primary" data-w="next">{w_next}</button>
  <button data-act="play" id="play">{w_play}</button>
  <button data-act="backward" data-w="to_backward">{w_to_backward}</button>
  <button data-act="last" data-w="last">{w_last}</button>
  <input id="slider" type="range" min="0" max="0" value="0" aria-label="step">
  <span id="steplabel"></span>
  <button data-act="fit" data-w="fit">{w_fit}</button>
  <div class="counters">
    <span class="counter"><span data-w="vjps">{w_vjps}</span>: <b id="vjps">0</b> / <span id="vjptotal"></span>
      <span class="bar" id="vjpbar"><span></span></span></span>
    <span class="counter"><span data-w="naive">{w_naive}</span>: <b id="naive">0</b>
      <span class="bar" id="naivebar"><span></span></span> <span id="naivetotal" class="keys"></span></span>
    <span class="counter"><span data-w="memory">{w_memory}</span>: <span id="memory"></span></span>
    <span class="keys" data-w="keys">{w_keys}</span>
  </div>
</footer>
<script id="trace" type="application/json">{trace}</script>
<script id="words" type="application/json">{words}</script>
<script>{js}</script>
</body>
</html>
"""
