"""Checks of the built site: every page in a real browser, and the execution.

Marked ``browser``: they need the site built (``nox -s docs``), Playwright and
Chromium, and run in ``nox -s site`` (CI runs it after the docs build).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHAPTERS, ROOT
from notebook_cells import code_cells

sys.path.insert(0, str(ROOT / "tools"))

HTML = Path(os.environ.get("NUMOPT_SITE", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (HTML / "index.html").exists(),
        reason="the site is not built: run `nox -s docs` first",
    ),
]


@pytest.fixture(scope="module")
def site_check():
    pytest.importorskip("playwright")
    import site_check

    return site_check


def test_every_page_passes_in_the_browser(site_check) -> None:
    report = site_check.check_site(HTML, shots=SHOTS)
    assert len(report) >= 10
    bad = {page: problems for page, problems in report.items() if problems}
    assert not bad, "\n".join(f"{p}: {probs}" for p, probs in bad.items())


def test_the_checker_catches_a_broken_page(site_check, tmp_path: Path) -> None:
    broken = tmp_path / "html"
    shutil.copytree(HTML, broken)
    page = broken / "chapters" / "gd-examples.html"
    text = page.read_text()
    sabotage = (
        "<p>$$x^2$$</p>"
        '<img src="missing.png" alt="a figure that is not there">'
        '<img src="https://example.com/remote.png" alt="a remote figure">'
        '<script>console.error("deliberate error")</script>'
    )
    assert '<section id="' in text
    page.write_text(text.replace('<section id="', sabotage + '<section id="', 1))
    problems = " | ".join(
        site_check.check_site(broken, only=["chapters/gd-examples.html"])[
            "chapters/gd-examples.html"
        ]
    )
    for expected in (
        "raw TeX",
        "image not loaded",
        "blocked request to the network",
        "console error",
        "HTTP 404",
    ):
        assert expected in problems, (expected, problems)


@pytest.mark.parametrize("term", ["gradient", "Jensen", "retain_graph"])
def test_search_finds(site_check, term: str) -> None:
    from playwright.sync_api import sync_playwright

    with site_check.serve(HTML) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=site_check.chromium(), args=site_check.CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{base}/search.html?q={term}")
        page.wait_for_selector("#search-results ul li", timeout=20000)
        hits = page.locator("#search-results ul li").count()
        browser.close()
    assert hits > 0


def test_every_chapter_was_executed() -> None:
    for md in sorted(CHAPTERS.glob("*.md")):
        html = (HTML / "chapters" / f"{md.stem}.html").read_text()
        n_cells = len(re.findall(r"^```\{code-cell\}", md.read_text(), re.M))
        n_outputs = html.count('class="cell_output')
        assert n_cells > 0 and n_outputs > 0, md.name


def test_every_figure_is_on_its_page() -> None:
    """Each code cell that draws (calls ``subplots``) shows its figure.

    The kernels inherit the build's environment: with ``MPLBACKEND=Agg`` set
    there, they drew every figure, displayed none, and the site built clean.
    """
    drawing_cells = 0
    for md in [*sorted(CHAPTERS.glob("*.md")), ROOT / "performance.md"]:
        drawing = sum("subplots(" in cell for cell in code_cells(md))
        html = (HTML / md.relative_to(ROOT).with_suffix(".html")).read_text()
        shown = len(re.findall(r'<img [^>]*src="[^"]*_images/[0-9a-f]{64}\.png"', html))
        assert shown >= drawing, f"{md.name}: {drawing} cells draw, {shown} shown"
        drawing_cells += drawing
    assert drawing_cells >= 30


def test_every_gallery_example_was_executed() -> None:
    times = (HTML / "auto_examples" / "sg_execution_times.html").read_text()
    scripts = sorted((ROOT / "gallery").rglob("plot_*.py"))
    for script in scripts:
        row = re.search(rf"{script.stem}\.py.*?(\d+):(\d+)\.(\d+)", times, re.S)
        assert row, f"{script.name} missing from the computation times"
    durations = re.findall(r"(\d+):(\d+)\.(\d+)</p>", times)
    assert durations and all(
        m != "00" or s != "00" or f != "000" for m, s, f in durations[1:]
    ), "an example ran in zero time"


def _build_one_page(tree: Path, page: str) -> subprocess.CompletedProcess:
    env = os.environ | {
        "NUMOPT_DOCS_ONLY": page,
        "NUMOPT_BUILD_DIR": str(tree / "_b"),
        "MPLBACKEND": "Agg",
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-d",
            str(tree / "_b" / "d"),
            str(tree),
            str(tree / "_b" / "html"),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _tree_without_chapters(tree: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for rel in files:
        # the gallery is copied (sphinx-gallery needs it) but not run in this mode
        if (ROOT / rel).is_file() and not rel.startswith("chapters/"):
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tree / rel)
    (tree / "chapters").mkdir()


def _page(title: str, *cells: str, front: str = "") -> str:
    head = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n"
    head += f"  display_name: Python 3\n{front}---\n\n"
    body = "".join(f"\n```{{code-cell}} ipython3\n{c}\n```\n" for c in cells)
    return f"{head}# {title}\n\nSome prose.\n{body}"


@pytest.mark.slow
def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    tree = tmp_path / "site"
    _tree_without_chapters(tree)
    (tree / "chapters" / "broken.md").write_text(
        _page(
            "Broken",
            "print('before')",
            "raise RuntimeError('a deliberately failing cell')",
        )
    )
    proc = _build_one_page(tree, "chapters/broken")
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    # It fails in the background first, then myst-nb runs it and reports it.
    assert "broken failed in the background (CellExecutionError)" in log
    assert "a deliberately failing cell" in log


@pytest.mark.slow
def test_notebooks_execute_in_the_background_and_once(tmp_path: Path) -> None:
    """nb_prefetch executes a page before the reading; myst-nb uses that run.

    The page reads a file it names as an input: it runs again when that file
    changes, or numopt's code, and not when only its prose does.
    """
    tree = tmp_path / "site"
    _tree_without_chapters(tree)
    data = tree / "chapters" / "data.txt"
    data.write_text("first value")
    page = tree / "chapters" / "tiny.md"
    page.write_text(
        _page(
            "Tiny",
            "import os",
            "print('ran in', os.getcwd())",
            "print('read', open('data.txt').read())",
            front="nb_prefetch:\n  inputs: [chapters/*.txt]\n",
        )
    )
    executed = re.compile(
        r"chapters/tiny\.md: Executed notebook in .* \(in the background\)"
    )

    def build() -> tuple[str, str]:
        proc = _build_one_page(tree, "chapters/tiny")
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log[-3000:]
        assert "Using cached notebook" in log  # myst-nb takes the run from the cache
        assert "Executing notebook" not in log  # and executes nothing itself
        return log, (tree / "_b" / "html" / "chapters" / "tiny.html").read_text()

    log, html = build()
    assert executed.search(log)
    assert f"ran in {tree / 'chapters'}" in html  # in the page's folder, as myst-nb
    assert "read first value" in html

    # A prose edit executes nothing, in the background or not.
    page.write_text(page.read_text().replace("Some prose.", "Other prose."))
    log, html = build()
    assert not executed.search(log) and "read first value" in html

    # A change of an input runs the page again, with the new contents.
    data.write_text("second value")
    log, html = build()
    assert executed.search(log) and "read second value" in html

    # numopt's code is an input of every page (nb_prefetch_inputs in conf.py):
    # the page is read again when numopt changes, and runs again only when
    # numopt's code does, not its comments.
    module = tree / "numopt" / "_validation.py"
    module.write_text(module.read_text() + "\n# a comment\n")
    log, html = build()
    assert not executed.search(log)
    module.write_text(module.read_text() + "\nEDITED = True\n")
    log, html = build()
    assert executed.search(log)


_TIMING = re.compile(r"\d\s*(ms|µs|us|s|seconds)\b|time", re.I)


def _printed(chapter: Path) -> list[str]:
    code = (
        "import sys, io, contextlib, matplotlib; matplotlib.use('Agg')\n"
        f"sys.path.insert(0, {str(ROOT / 'tools')!r})\n"
        "from notebook_cells import code_cells\n"
        "import pathlib, os\n"
        f"p = pathlib.Path({str(chapter)!r}); os.chdir(p.parent); ns = {{}}\n"
        "for c in code_cells(p): exec(compile(c, str(p), 'exec'), ns)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return [ln for ln in out.stdout.splitlines() if not _TIMING.search(ln)]


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _same_numbers(a: str, b: str) -> bool:
    """The same line, up to rounding in the last digits of its numbers.

    BLAS may add in a different order from run to run (the order can depend
    on where an array lies in memory), so a difference ``f - f*`` of a few
    ulps prints as 2.2e-16 once and 2.4e-16 the next time; a generator left
    unseeded changes numbers far more than that.
    """
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    return all(
        math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-12)
        for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b), strict=True)
    )


def test_same_numbers_allows_rounding_only() -> None:
    assert _same_numbers("f-f* = 2.2e-16, nit=366", "f-f* = 2.4e-16, nit=366")
    assert not _same_numbers("nit=366", "nit=367")
    assert not _same_numbers("x = 0.5123", "x = 0.5124")
    assert not _same_numbers("x = 1", "y = 1")


@pytest.mark.slow
@pytest.mark.parametrize("chapter", sorted(CHAPTERS.glob("*.md")), ids=lambda p: p.stem)
def test_two_runs_print_the_same_numbers(chapter: Path) -> None:
    first, second = _printed(chapter), _printed(chapter)
    assert len(first) == len(second)
    differ = [
        (a, b) for a, b in zip(first, second, strict=True) if not _same_numbers(a, b)
    ]
    assert not differ, differ[:5]
