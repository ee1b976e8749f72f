"""Check every page of the built site in headless Chromium, with the network cut off.

For each page: no console errors and no failed requests (anything not served
by the local server is blocked and counts as a failure), every image loaded,
every math element typeset by MathJax (no raw TeX left), at desktop width no
code block or table scrolls sideways, the dark theme
applies and figures keep a light, opaque background there, and at phone width
the page does not scroll sideways. Screenshots of every page (light and dark,
desktop and phone width) are saved as an artefact.

Usage: python tools/site_check.py _build/html [--shots _build/screenshots]
Needs Playwright (pip) and Chromium (Debian package ``chromium``).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# Runs in the page: what a reader would notice is broken.
_PROBE = r"""
() => {
  const problems = [];
  for (const img of document.querySelectorAll('img')) {
    if (!img.complete || img.naturalWidth === 0) problems.push('image not loaded: ' + img.src);
    const alt = (img.getAttribute('alt') || '').trim();
    if (!img.closest('.sphx-glr-thumbcontainer') && (!alt || /\.(png|svg|jpe?g|gif)$/i.test(alt)))
      problems.push('image without meaningful alt text: ' + img.src.split('/').pop());
  }
  const maths = document.querySelectorAll('.math, span.math, div.math');
  for (const m of maths) {
    if (!m.querySelector('mjx-container')) problems.push('math not typeset: ' + m.textContent.slice(0, 60));
  }
  // prose only: TeX inside code listings is code, not failed math
  const main = (document.querySelector('main') || document.body).cloneNode(true);
  for (const el of main.querySelectorAll('pre, code, script, style')) el.remove();
  const text = main.textContent;
  for (const raw of ['$$', '\\[', '\\begin{']) {
    if (text.includes(raw)) problems.push('raw TeX in page text: ' + raw);
  }
  // at desktop width, code (79-character lines) and tables fit the text column;
  // the highlighted module sources (_modules/) are left as they are
  if (!location.pathname.includes('/_modules/')) {
    for (const pre of document.querySelectorAll('main pre')) {
      if (pre.scrollWidth > pre.clientWidth + 2) {
        const longest = pre.textContent.split('\n').reduce((a, b) => b.length > a.length ? b : a, '');
        problems.push('code block scrolls sideways: ' + longest.trim().slice(0, 60));
      }
    }
  }
  for (const box of document.querySelectorAll('main .pst-scrollable-table-container')) {
    if (box.scrollWidth > box.clientWidth + 2)
      problems.push('table scrolls sideways: ' + box.textContent.trim().slice(0, 60));
  }
  return {problems, maths: maths.length, images: document.images.length};
}
"""

_DARK_PROBE = r"""
() => {
  const problems = [];
  if (document.documentElement.dataset.theme !== 'dark') problems.push('dark theme not applied');
  const sel = '.cell_output img, .sphx-glr-single-img, .sphx-glr-multi-img, .cell_output svg';
  for (const el of document.querySelectorAll(sel)) {
    let node = el, bg = 'rgba(0, 0, 0, 0)';
    while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
      bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
    }
    const rgb = bg.match(/\d+/g).map(Number);
    const lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
    if (el.tagName === 'IMG' && el.src.endsWith('.png')) continue;  // opaque white PNGs
    if (lum < 0.8) problems.push('figure on a dark background: ' + (el.src || el.tagName));
  }
  return problems;
}
"""


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) for the duration of the block."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def pages(root: Path) -> list[str]:
    """Every HTML page of the site, relative to its root (theme templates excluded)."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if "_static" not in p.parts and "_sources" not in p.parts
    )


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise RuntimeError("Chromium is not installed: sudo apt-get install chromium")
    return found


def check_site(
    root: Path, shots: Path | None = None, only: list[str] | None = None
) -> dict[str, list[str]]:
    """Return ``{page: [problem, ...]}`` for every page of the site under ``root``."""
    from playwright.sync_api import sync_playwright

    report: dict[str, list[str]] = {}
    with serve(root) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            for page_path in only or pages(root):
                report[page_path] = _check_page(browser, base, page_path, shots)
        finally:
            browser.close()
    return report


#: Generated reference pages share one template: no screenshots of those.
REFERENCE_PAGES = ("api/generated/", "_modules/", "genindex", "py-modindex")


def _check_page(browser, base: str, page_path: str, shots: Path | None) -> list[str]:
    problems: list[str] = []
    if page_path.startswith(REFERENCE_PAGES):
        shots = None
    for mode in ("light", "dark"):
        for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=size, color_scheme=mode)
            context.add_init_script(f"localStorage.setItem('theme', '{mode}');")
            page = context.new_page()
            errors: list[str] = []

            page.route("**/*", _router(base, errors))
            page.on(
                "console",
                lambda m, e=errors: (
                    m.type == "error" and e.append(f"console error: {m.text}")
                ),
            )
            page.on("pageerror", lambda exc, e=errors: e.append(f"page error: {exc}"))
            page.on(
                "requestfailed",
                lambda r, e=errors: (
                    r.url.startswith(base) and e.append(f"request failed: {r.url}")
                ),
            )
            page.on(
                "response",
                lambda r, e=errors: (
                    r.status >= 400 and e.append(f"HTTP {r.status}: {r.url}")
                ),
            )
            page.goto(f"{base}/{page_path}", wait_until="load")
            if page.locator(".math").count():
                page.wait_for_function(
                    "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                    timeout=15000,
                )
                page.evaluate("() => MathJax.startup.promise")
            tag = f"[{mode}, {size_name}] "
            if size_name == "desktop" and mode == "light":
                problems += [tag + p for p in page.evaluate(_PROBE)["problems"]]
            if size_name == "desktop" and mode == "dark":
                problems += [tag + p for p in page.evaluate(_DARK_PROBE)]
            if size_name == "phone":
                overflow = page.evaluate(
                    "() => document.scrollingElement.scrollWidth - window.innerWidth"
                )
                if overflow > 2:
                    problems.append(tag + f"page scrolls sideways by {overflow}px")
            problems += [tag + e for e in errors]
            if shots is not None:
                name = page_path.replace("/", "__").removesuffix(".html")
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(shots / f"{name}-{mode}-{size_name}.png"),
                    full_page=size_name == "desktop",
                )
            context.close()
    return sorted(set(problems))


def _router(base: str, errors: list[str]):
    """A route handler that serves local requests and blocks (and records) the rest."""

    def route(r) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            errors.append(f"blocked request to the network: {r.request.url}")
            r.abort()

    return route


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="_build/html")
    parser.add_argument("--shots", default=None, help="folder for screenshots")
    parser.add_argument("--only", nargs="*", default=None, help="pages to check")
    args = parser.parse_args(argv[1:])
    report = check_site(
        Path(args.root), Path(args.shots) if args.shots else None, args.only
    )
    bad = {p: probs for p, probs in report.items() if probs}
    for page, probs in bad.items():
        print(page)
        for prob in probs:
            print("   ", prob)
    print(f"{len(report)} pages checked in a browser, {len(bad)} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
