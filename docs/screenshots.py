"""Regenerate the explain pages and screenshots the tutorials show (docs/explain/).

    PYTHONPATH=. python docs/screenshots.py

Needs Playwright for Python (`pip install 'memograd[browser]'`) and Debian's Chromium
(`apt-get install chromium`, plus `fonts-nanum` for the Korean pictures); the browser is the
system one, never a download."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

import memograd as torch
from memograd.explain import show
from memograd.explain.cli import main as explain_main

HERE = Path(__file__).resolve().parent / "explain"


def tutorial_graph():
    """Section 4's graph: a = x * w feeds the loss three times."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    w = torch.tensor([0.5, -1.0], requires_grad=True)
    a = x * w
    return (a * a + a).sum(), {x: "x", w: "w", a: "a"}


def picture(browser, page_file: Path, png: Path, position: int, pin: int | None = None) -> None:
    page = browser.new_page(viewport={"width": 1600, "height": 800}, device_scale_factor=1)
    page.goto(page_file.as_uri())
    page.wait_for_selector("body[data-ready='true']")
    page.evaluate(f"memograd.go({position})")
    if pin is not None:
        page.click(f"#n{pin}")
    page.wait_for_timeout(300)  # let the transitions settle
    page.screenshot(path=str(png))
    page.close()
    print(f"wrote {png}")


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs Debian's chromium: apt-get install -y chromium fonts-nanum", file=sys.stderr)
        return 1
    HERE.mkdir(parents=True, exist_ok=True)
    for lang in ("en", "ko"):
        loss, names = tutorial_graph()
        show(loss, HERE / f"fan_out.{lang}.html", names=names, lang=lang, title="(a * a + a).sum(), a = x * w")
        explain_main(["show", "--out", str(HERE / f"mlp.{lang}.html"), "--lang", lang])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for lang in ("en", "ko"):
            # step 10: Mul #3 (a * a) runs and adds into a's slot twice: [1, 1] + [0.5, -2] + [0.5, -2]
            picture(browser, HERE / f"fan_out.{lang}.html", HERE / f"memo.{lang}.png", 10)
            # the small MLP mid-way back: the second layer's weight gradient is complete
            picture(browser, HERE / f"mlp.{lang}.html", HERE / f"backward.{lang}.png", 30)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
