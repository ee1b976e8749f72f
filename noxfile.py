"""Sessions to build the site, run the tests and lint: `nox -l` lists them.

Every session installs the same pinned torch first (``TORCH``), so that no
session pulls a different (and multi-GB CUDA) build through a dependency.
Set ``NUMOPT_TORCH`` to another requirement (and ``NUMOPT_TORCH_INDEX`` to a
package index) to test against a CUDA build, for example::

    NUMOPT_TORCH="torch==2.13.0" \
    NUMOPT_TORCH_INDEX=https://download.pytorch.org/whl/cu128 nox -s tests_gpu
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
TORCH = os.environ.get("NUMOPT_TORCH", "torch==2.13.0")
# Sphinx's -j: one more than the CPUs. Sphinx writes pages with j - 1 worker
# processes while its main process resolves the next pages, which takes less
# than writing them: with j = CPUs ("-j auto") a CPU sat idle while the site
# was written.
SPHINX_JOBS = str((os.cpu_count() or 1) + 1)

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "docs"]


def install(session: nox.Session, *extras: str) -> None:
    """Install the pinned torch, then numopt (editable) with ``extras``."""
    index = os.environ.get("NUMOPT_TORCH_INDEX")
    session.install(TORCH, *(["--index-url", index] if index else []))
    spec = f".[{','.join(extras)}]" if extras else "."
    # Naming TORCH again keeps the resolver on the torch installed above.
    session.install("-e", spec, TORCH)


def ensure_system_program(session: nox.Session, program: str, package: str) -> None:
    """Make sure ``program`` is on PATH, installing Debian's ``package`` if needed."""
    if shutil.which(program):
        return
    apt = shutil.which("apt-get")
    if sys.platform.startswith("linux") and apt:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        session.log(f"`{program}` is missing: installing the Debian package {package}")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run(*sudo, apt, "-qq", "update", external=True, env=env)
        session.run(*sudo, apt, "install", "-y", "-qq", package, external=True, env=env)
    if not shutil.which(program):
        session.error(
            f"The program `{program}` is required. Install it with "
            f"`sudo apt-get install {package}` (Debian/Ubuntu), "
            f"`brew install {package}` (macOS) or your system's package manager."
        )


def ensure_compiler(session: nox.Session) -> None:
    """torch.compile (``compile=True`` of gradient_descent and multistart) builds C++."""
    ensure_system_program(session, "g++", "g++")


def ensure_graphviz(session: nox.Session) -> None:
    """Graphviz's ``dot`` draws the autodiff and torchviz graphs."""
    ensure_system_program(session, "dot", "graphviz")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into _build/html: clean output, -W -n, zero warnings.

    Every internal link and anchor of the result is then checked.

    Executed notebooks (_build/.jupyter_cache) and gallery outputs
    (auto_examples/) are caches keyed on their code and numopt's: unchanged
    code is not run again. Pass ``-- --fresh`` to drop them and execute
    everything.
    """
    ensure_graphviz(session)
    install(session, "docs")
    if "--fresh" in session.posargs:
        for cache in (BUILD / ".jupyter_cache", ROOT / "auto_examples"):
            shutil.rmtree(cache, ignore_errors=True)
    for out in (HTML, BUILD / "doctrees", ROOT / "api" / "generated"):
        shutil.rmtree(out, ignore_errors=True)
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-n",
        # Pages are read and written in parallel; the notebooks execute while
        # the gallery runs (_ext/nb_prefetch.py).
        "-j",
        SPHINX_JOBS,
        "-b",
        "html",
        "-d",
        str(BUILD / "doctrees"),
        ".",
        str(HTML),
        env={"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    )
    # Sphinx does not check anchors (#module-...), so a link can build clean
    # and still lead nowhere; a two-second pass over the HTML catches that.
    session.run("python", str(ROOT / "tools" / "check_links.py"), str(HTML))
    session.log(f"The site is in {HTML}; open {HTML / 'index.html'}")


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the site on http://127.0.0.1:8000 and rebuild it on every change."""
    ensure_graphviz(session)
    install(session, "docs", "serve")
    session.run(
        "sphinx-autobuild",
        "-n",
        "--host",
        "127.0.0.1",
        "--port",
        "8000",
        "--watch",
        "numopt",
        "--ignore",
        "*/auto_examples/*",
        "--ignore",
        "*/_build/*",
        "--ignore",
        "*/api/generated/*",
        ".",
        str(HTML),
        *session.posargs,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on the CPU (`gpu` and `browser` tests are deselected)."""
    ensure_graphviz(session)
    ensure_compiler(session)
    install(session, "test", "docs")
    session.run(
        "pytest",
        "-m",
        "not gpu and not browser",
        *session.posargs,
        env={"MPLBACKEND": "Agg"},
    )


@nox.session
def site(session: nox.Session) -> None:
    """Check the built site in headless Chromium (network cut off) and its execution.

    Screenshots of every page land in _build/screenshots.
    """
    if not (HTML / "index.html").exists():
        session.error("Build the site first: nox -s docs")
    ensure_graphviz(session)
    ensure_system_program(session, "chromium", "chromium")
    install(session, "test", "docs", "browser")
    session.run("pytest", "-m", "browser", *session.posargs, env={"MPLBACKEND": "Agg"})


@nox.session
def tests_gpu(session: nox.Session) -> None:
    """Run the tests marked `gpu`; fails unless torch sees a CUDA device."""
    install(session, "test")
    session.run(
        "python",
        "-c",
        "import sys, torch; ok = torch.cuda.is_available(); "
        "print('CUDA device:', torch.cuda.get_device_name(0) if ok else None); "
        "sys.exit(0 if ok else 'No CUDA device is visible to torch ' + torch.__version__ + "
        "': install a CUDA build of torch (see the README) and run on a GPU machine.')",
    )
    session.run("pytest", "-m", "gpu", *session.posargs, env={"MPLBACKEND": "Agg"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check, ruff format --check, and mypy on the package."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks (ratios against baselines measured in the same run).

    Pass options through, e.g. ``nox -s bench -- --only overhead --quick``;
    results go to benchmarks/results/ and onto the site's Performance page.
    """
    ensure_graphviz(session)
    ensure_compiler(session)
    install(session, "test", "docs")
    session.run(
        "python", "benchmarks/run.py", *session.posargs, env={"MPLBACKEND": "Agg"}
    )


@nox.session
def linkcheck(session: nox.Session) -> None:
    """Check every internal link and asset reference of the built site."""
    if not (HTML / "index.html").exists():
        session.error("Build the site first: nox -s docs")
    session.run("python", str(ROOT / "tools" / "check_links.py"), str(HTML))
