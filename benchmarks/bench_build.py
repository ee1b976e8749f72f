"""Build time: a clean docs build against the bare execution of the same code.

Works on a copy of the tracked files in a temporary folder, so the caches of
the working tree are neither used nor disturbed. Measures:

- ``bare``: every notebook page's code cells (the chapters and the
  Performance page) and every gallery script run directly, one after the
  other in one process, each figure drawn to a PNG and each gallery
  animation to its frames, as on the site; and the same with each page in a
  fresh interpreter of its own (the gallery in one), as the site runs them;
- ``clean build``: ``sphinx-build -W -n -j <CPUs + 1>``, as ``nox -s docs``
  runs it, with empty caches; bare run and clean build alternate three times (one
  with ``--quick``) and their medians are compared;
- ``no-change rebuild``: the same command again, as ``nox -s docs`` runs it
  (HTML output and doctrees removed, execution caches kept);
- ``incremental no-change rebuild``: Sphinx's own incremental build (output
  and doctrees kept), what ``nox -s serve`` does on every save;
- ``prose edit``: one chapter's prose changed: which notebooks re-execute;
- ``code edit``: one chapter's code changed: which notebooks re-execute;
- ``numopt edits``: a comment in numopt, then its code, changed: which
  notebooks and how many gallery examples re-execute (numopt's code is an
  input of every page, ``nb_prefetch_inputs`` in ``conf.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import targets
from harness import progress

ROOT = Path(__file__).resolve().parents[1]
SPHINX_JOBS = str((os.cpu_count() or 1) + 1)  # as noxfile.py runs Sphinx

# The same code with the same outputs: every figure is drawn to a PNG, as the
# site draws it. A notebook page's figure goes through the function and the
# options of the kernel's inline backend (IPython's print_figure, cropped to
# its bounding box, which takes a second pass over the figure); a gallery
# script's is saved as sphinx-gallery's scraper saves it.
BARE = r"""
import io, os, runpy, sys
from pathlib import Path
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.core.pylabtools import print_figure
from matplotlib.animation import Animation
from matplotlib_inline.config import InlineBackend
root = Path(sys.argv[1])
sys.path.insert(0, str(root / "tools"))
from notebook_cells import code_cells

INLINE = InlineBackend()

def draw_and_close(ns=None, inline=False):
    # An animation a gallery script keeps in a variable is embedded frame by
    # frame, as the gallery's scraper embeds it (HTML, every frame a PNG).
    for anim in {id(v): v for v in (ns or {}).values() if isinstance(v, Animation)}.values():
        anim.to_jshtml()
    for num in plt.get_fignums():
        fig = plt.figure(num)
        if inline:
            for fmt in INLINE.figure_formats:
                print_figure(fig, fmt, base64=True, **INLINE.print_figure_kwargs)
        else:
            fig.savefig(io.BytesIO(), format="png")
    plt.close("all")

# argv: the source folder, then the pages to run and "gallery" for the gallery
for page in sys.argv[2:]:
    if page == "gallery":
        continue
    md = root / page
    ns = {"__name__": "chapter"}
    os.chdir(md.parent)
    for code in code_cells(md):
        exec(compile(code, str(md), "exec"), ns)
        draw_and_close(inline=True)
if "gallery" in sys.argv[2:]:
    for script in sorted((root / "gallery").rglob("plot_*.py")):
        os.chdir(script.parent)
        draw_and_close(runpy.run_path(str(script), run_name="__main__"))
"""


def _pages(tree: Path) -> list[str]:
    """The notebook pages the site executes."""
    pages = [*sorted((tree / "chapters").glob("*.md")), tree / "performance.md"]
    return [p.relative_to(tree).as_posix() for p in pages]


def _bare(tree: Path, *what: str) -> float:
    """Run ``what`` (pages, "gallery") in one fresh interpreter; its wall time."""
    env = os.environ | {"MPLBACKEND": "Agg", "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", BARE, str(tree), *what],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - t0


def _copy_tree(dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for rel in files:
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


def _build(tree: Path, *, clean: bool = True) -> tuple[float, str]:
    if clean:  # what `nox -s docs` removes before it builds
        for out in ("_build/html", "_build/doctrees", "api/generated"):
            shutil.rmtree(tree / out, ignore_errors=True)
    env = os.environ | {"NUMOPT_BUILD_DIR": str(tree / "_build")}
    t0 = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-n",
            "-j",
            SPHINX_JOBS,
            "-b",
            "html",
            "-d",
            str(tree / "_build" / "doctrees"),
            str(tree),
            str(tree / "_build" / "html"),
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if out.returncode:
        raise RuntimeError(out.stdout[-3000:] + out.stderr[-3000:])
    return elapsed, out.stdout + out.stderr


def _executed(log: str, tree: Path) -> list[str]:
    """Pages executed (not taken from the cache) in a build log."""
    found = re.findall(r"(\S+)\.md(?::\d+)?: Executed notebook", log)
    return sorted({Path(p).relative_to(tree).as_posix() for p in found})


def _examples_run(log: str) -> int:
    """How many gallery examples a build ran (sphinx-gallery's summary)."""
    found = re.search(r"Sphinx-Gallery successfully executed (\d+) out of", log)
    if found is None:
        raise RuntimeError("no gallery summary in the build log")
    return int(found.group(1))


def _wipe(tree: Path) -> None:
    """Remove everything a build made: the next build starts as from a fresh clone."""
    for out in ("_build", "auto_examples", "api/generated"):
        shutil.rmtree(tree / out, ignore_errors=True)


def run(device: str = "cpu", quick: bool = False) -> dict:
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="numopt-bench-build-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        # bare run and clean build alternate, so that a slow spell of the
        # machine falls on both; the medians are compared
        bares, cleans = [], []
        for i in range(repeats):
            progress(f"build, run {i + 1}/{repeats}: bare execution of every page")
            bares.append(_bare(tree, *_pages(tree), "gallery"))
            progress(
                f"  bare execution, one process: {bares[-1]:.1f} s; clean build ..."
            )
            _wipe(tree)
            cleans.append(_build(tree)[0])
            progress(f"  clean build: {cleans[-1]:.1f} s")
        bare, clean = statistics.median(bares), statistics.median(cleans)
        progress("  bare execution, one process per page ...")
        per_page = sum(_bare(tree, page) for page in _pages(tree))
        per_page += _bare(tree, "gallery")
        progress(f"  bare execution, one process per page: {per_page:.1f} s")
        progress("  no-change rebuild ...")
        again, _ = _build(tree)
        progress(f"  no-change rebuild: {again:.1f} s; incremental rebuild ...")
        incremental, _ = _build(tree, clean=False)
        progress(f"  incremental rebuild: {incremental:.1f} s; prose edit ...")
        chapter = sorted((tree / "chapters").glob("*.md"))[0]
        text = chapter.read_text()
        chapter.write_text(
            text.replace("\n\n", "\n\nA sentence added to the prose.\n\n", 1)
        )
        prose, prose_log = _build(tree)
        progress(f"  after a prose edit: {prose:.1f} s; code edit ...")
        lines = chapter.read_text().splitlines()
        idx = next(i for i, ln in enumerate(lines) if ln.startswith("```{code-cell}"))
        lines.insert(idx + 1, "_benchmark_edit = 1")
        chapter.write_text("\n".join(lines) + "\n")
        code, code_log = _build(tree)
        progress(f"  after a code edit: {code:.1f} s; numopt comment edit ...")
        module = tree / "numopt" / "solvers" / "gradient.py"
        module.write_text(
            module.read_text() + "\n# A comment added by the benchmark.\n"
        )
        comment, comment_log = _build(tree)
        progress(
            f"  after a numopt comment edit: {comment:.1f} s; numopt code edit ..."
        )
        module.write_text(module.read_text() + "_BENCHMARK_EDIT = 1\n")
        numopt_code, numopt_log = _build(tree)
        progress(f"  after a numopt code edit: {numopt_code:.1f} s")
    return {
        "bare_execution_s": bare,
        "clean_build_s": clean,
        "bare_execution_runs_s": bares,
        "clean_build_runs_s": cleans,
        "clean_over_bare": clean / bare,
        # Each notebook page in an interpreter of its own, as the site runs it
        # (one kernel per page) and as a reader runs a downloaded page: this
        # adds the start-up and imports the one-process run pays once.
        "bare_one_process_per_page_s": per_page,
        "clean_over_bare_per_page": clean / per_page,
        "rebuild_no_change_s": again,
        "incremental_no_change_s": incremental,
        "rebuild_after_prose_edit_s": prose,
        "executed_after_prose_edit": _executed(prose_log, tree),
        "rebuild_after_code_edit_s": code,
        "executed_after_code_edit": _executed(code_log, tree),
        "edited_chapter": chapter.relative_to(tree).as_posix(),
        "rebuild_after_numopt_comment_edit_s": comment,
        "executed_after_numopt_comment_edit": _executed(comment_log, tree),
        "examples_run_after_numopt_comment_edit": _examples_run(comment_log),
        "rebuild_after_numopt_code_edit_s": numopt_code,
        "executed_after_numopt_code_edit": _executed(numopt_log, tree),
        "examples_run_after_numopt_code_edit": _examples_run(numopt_log),
        "edited_module": module.relative_to(tree).as_posix(),
        "targets": {
            "clean_over_bare": f"<= {targets.BUILD_OVER_BARE}",
            "incremental_no_change_s": "< 10",
            "executed_after_prose_edit": "none",
            "executed_after_code_edit": "only the edited chapter",
            "executed_after_numopt_comment_edit": "none",
            "executed_after_numopt_code_edit": "every page and example",
        },
    }
