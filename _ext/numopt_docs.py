"""Sphinx helpers for the lecture site.

- ``reset_state``: sphinx-gallery's reset hook (seeds, closes figures).
- ``write_inventories``: writes offline intersphinx inventories from the
  curated lists in ``_ext/intersphinx/*.txt``, so the build resolves links to
  the Python, NumPy, PyTorch, Matplotlib and Graphviz docs without network.
- ``build_wheel``: builds the wheel of ``numopt`` that the site serves (at
  ``<site>/numopt-<version>-py3-none-any.whl``, through ``html_extra_path``),
  so that downloaded gallery scripts and notebooks can install the package.
- ``notebook_first_cell``: the install instructions that open every gallery
  notebook.
- ``tidy_notebooks``: turns the Sphinx roles that sphinx-gallery leaves in
  the downloadable notebooks' Markdown (``:func:`x```) into plain code spans.
- ``tidy_execution_times``: makes the gallery's computation-time pages work
  offline, and gives the gallery root one for all its sub-galleries.
- ``scrape_figures``: sphinx-gallery's figure scraper, embedding animations
  without the GIF it would also write.
- ``tidy_animations``: makes the embedded animations work offline and gives
  their frames alt text.
- ``skip_empty_members``: leaves out API entries that would say nothing
  (generated constructors, fields the class docstring documents).
- ``setup``: stops the build early, with the command to run, when Graphviz's
  ``dot`` is missing; builds the wheel; adds the ``numopt-wheel`` role, a link
  to the served wheel from any page.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The build folder, as in ``conf.py``: NUMOPT_BUILD_DIR or ``_build``.
BUILD = Path(os.environ.get("NUMOPT_BUILD_DIR", ROOT / "_build")).resolve()

#: What a wheel of numopt is built from (paths relative to the repository root).
WHEEL_SOURCES = ("pyproject.toml", "README.md", "numopt")


def reset_state(gallery_conf: dict, fname: str, when: str = "before") -> None:
    """Seed every RNG and close all figures between gallery examples."""
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    plt.close("all")
    plt.rcdefaults()
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002 (examples may use the legacy global RNG)
    torch.manual_seed(0)


#: The gallery's examples in reading order, per sub-gallery; an example not
#: listed here comes after the listed ones of its sub-gallery, by file name.
EXAMPLE_ORDER = (
    # convexity
    "plot_convexity_checks.py",
    # gradient descent
    "plot_gradient_descent_1d.py",
    "plot_step_size.py",
    "plot_animated_path.py",
    "plot_line_search.py",
    "plot_coordinate_descent.py",
    "plot_conditioning.py",
    "plot_vanishing_gradients.py",
    # beyond gradient descent
    "plot_newton_vs_gd.py",
    "plot_momentum_nesterov.py",
    "plot_preconditioning.py",
    # non-convex and constrained problems
    "plot_multistart.py",
    "plot_projected_gd.py",
    # automatic differentiation
    "plot_forward_vs_reverse.py",
    "plot_torchviz_graph.py",
)


class ExampleOrder:
    """sphinx-gallery's ``within_subsection_order``: the order of ``EXAMPLE_ORDER``."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        rank = (
            EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        )
        return rank, name

    def __repr__(self) -> str:  # sphinx-gallery compares configurations by repr
        return "ExampleOrder"


def write_inventories(outdir: Path) -> dict[str, tuple[str, str]]:
    """Write one ``objects.inv`` per curated list and return an intersphinx mapping.

    Each ``_ext/intersphinx/<name>.txt`` starts with ``# base: <url>`` and then
    has lines ``<object name> <domain:role> <relative uri>``.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for src in sorted((HERE / "intersphinx").glob("*.txt")):
        lines = src.read_text().splitlines()
        base = lines[0].removeprefix("# base:").strip()
        body = []
        for line in lines[1:]:
            if line.strip() and not line.startswith("#"):
                name, role, uri = line.split()
                body.append(f"{name} {role} 1 {uri} -")
        header = (
            "# Sphinx inventory version 2\n"
            f"# Project: {src.stem}\n# Version: stable\n"
            "# The remainder of this file is compressed using zlib.\n"
        )
        target = outdir / f"{src.stem}.inv"
        data = header.encode() + zlib.compress(("\n".join(body) + "\n").encode())
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
        mapping[src.stem] = (base, str(target))
    return mapping


def _require_dot(app) -> None:
    if shutil.which("dot") is None:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "Graphviz's `dot` program was not found on PATH; the autodiff and "
            "torchviz graphs need it. Install it with "
            "`sudo apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS) or `conda install graphviz`, "
            "or build with `nox -s docs`, which installs it on Debian/Ubuntu."
        )


# -- The wheel the site serves -------------------------------------------------------


def wheel_dir(build: Path) -> Path:
    """The folder the wheel is built into; ``conf.py`` serves it (``html_extra_path``)."""
    return Path(build) / "wheel"


def _sources_digest(root: Path) -> str:
    """A hash of every file the wheel is built from."""
    digest = hashlib.sha256()
    for name in WHEEL_SOURCES:
        path = root / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(root)).encode() + b"\0")
                digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def build_wheel(outdir: Path, root: Path = ROOT) -> Path:
    """Build ``numopt-<version>-py3-none-any.whl`` into ``outdir`` and return its path.

    The package sources (``WHEEL_SOURCES``) are copied to a temporary folder
    and built there with ``pip wheel --no-deps``, so the build never writes
    into the working tree (``build/``, ``*.egg-info``), even while another
    build runs. The wheel is rebuilt only when a source file changed (a hash
    of the sources is kept beside ``outdir``), and ``outdir`` holds exactly one
    wheel afterwards. pip builds without isolation when the running
    environment has setuptools 69 or newer (the build requirement in
    ``pyproject.toml``), which needs no network; otherwise it builds in an
    isolated environment, installing setuptools from the package index.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    stamp = outdir.with_name(outdir.name + ".sha256")
    digest = _sources_digest(root)
    wheels = sorted(outdir.glob("numopt-*.whl"))
    if len(wheels) == 1 and stamp.exists() and stamp.read_text() == digest:
        return wheels[0]
    for old in wheels:
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="numopt-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in WHEEL_SOURCES:
            path = root / name
            if path.is_dir():
                shutil.copytree(
                    path,
                    src / name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                shutil.copy2(path, src / name)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--wheel-dir",
            str(outdir),
            str(src),
        ]
        if _has_setuptools(69):
            cmd.insert(4, "--no-build-isolation")
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=os.environ | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    wheels = sorted(outdir.glob("numopt-*.whl"))
    if proc.returncode != 0 or len(wheels) != 1:
        raise RuntimeError(
            f"building the numopt wheel failed ({' '.join(cmd)}):\n"
            f"{proc.stdout[-2000:]}{proc.stderr[-3000:]}"
        )
    stamp.write_text(digest)
    return wheels[0]


def _has_setuptools(major: int) -> bool:
    try:
        from importlib.metadata import version

        return int(version("setuptools").split(".")[0]) >= major
    except Exception:  # not installed, or an odd version string
        return False


def _project(root: Path = ROOT) -> dict[str, Any] | None:
    """The ``[project]`` table of ``pyproject.toml`` (None on Python 3.10)."""
    try:
        import tomllib
    except ModuleNotFoundError:
        return None
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def project_version(root: Path = ROOT) -> str:
    """numopt's version, read without importing numopt (and torch with it).

    ``conf.py`` needs it before anything else; importing torch there would
    hold every other step of the build back by a second and more.
    """
    project = _project(root)
    if project is None:  # Python 3.10: the installed package's metadata
        from importlib.metadata import version

        return version("numopt")
    return str(project["version"])


def _pinned_requirements(root: Path = ROOT) -> list[str]:
    """The runtime requirements of ``pyproject.toml`` (torch pinned)."""
    project = _project(root)
    if project is None:  # Python 3.10: the installed package's metadata
        from importlib.metadata import requires

        return [r for r in requires("numopt") or [] if "extra ==" not in r]
    return list(project["dependencies"])


def notebook_first_cell(version: str, root: Path = ROOT) -> str:
    """The first cell of every gallery notebook: how to install what it needs.

    The notebook runs as is where ``numopt`` is importable. Elsewhere the
    cell installs the wheel the site serves, which must be downloaded next to
    the notebook first; pip then installs the pinned requirements with it.
    """
    wheel = f"numopt-{version}-py3-none-any.whl"
    requirements = ", ".join(_pinned_requirements(root))
    return (
        "# This notebook needs the lecture's package numopt and its requirements\n"
        f"# ({requirements}).\n"
        f"# If `import numopt` fails, download {wheel} from the lecture site\n"
        '# (gallery page, "Running these examples") into this notebook\'s folder\n'
        "# and run this cell: pip installs the wheel and the pinned requirements.\n"
        "# The autodiff examples also need Graphviz's `dot` program on PATH, and\n"
        "# the torchviz example the torchviz package (%pip install torchviz).\n"
        "import importlib.util\n"
        "\n"
        'if importlib.util.find_spec("numopt") is None:\n'
        f"    %pip install {wheel}\n"
        "%matplotlib inline"
    )


# -- Notebooks without Sphinx roles ----------------------------------------------------

# sphinx-gallery turns :math:`x` into $x$ and :ref:`x` into `x` in the
# notebooks' Markdown, but leaves the Python-domain roles as they are.
_PY_ROLE = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc):`~?([^`]+?)`"
)
# what is left of :ref:`title <label>`: a code span `title <label>`
_TITLED_REF = re.compile(r"`([^`<>]+?)\s+<[\w.-]+>`(?!_)")


def tidy_markdown(text: str) -> str:
    """Markdown without Sphinx roles: ``:func:`a.b``` -> ```a.b```, refs -> their title."""
    return _TITLED_REF.sub(r"\1", _PY_ROLE.sub(r"`\1`", text))


def tidy_notebooks(app) -> None:
    """Tidy the Markdown cells of the gallery's notebooks and re-zip them.

    Runs after sphinx-gallery has written the notebooks (builder-inited,
    priority 900) and before Sphinx copies them to ``_downloads``.
    Idempotent: a tidy notebook is not rewritten.
    """
    if "sphinx_gallery.gen_gallery" not in app.extensions:
        return
    conf = app.config.sphinx_gallery_conf
    dirs = conf.get("gallery_dirs", "auto_examples")
    for gallery in [dirs] if isinstance(dirs, str) else dirs:
        root = Path(app.srcdir) / gallery
        notebooks = sorted(root.rglob("*.ipynb"))
        changed = False
        for path in notebooks:
            notebook = json.loads(path.read_text())
            edited = False
            for cell in notebook["cells"]:
                if cell["cell_type"] == "markdown":
                    text = "".join(cell["source"])
                    tidy = tidy_markdown(text)
                    if tidy != text:
                        cell["source"] = tidy.splitlines(keepends=True)
                        edited = True
            if edited:
                path.write_text(
                    json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
                )
                changed = True
        if changed and conf.get("download_all_examples", True):
            from sphinx_gallery.downloads import python_zip

            python_zip([str(p) for p in notebooks], root, ".ipynb")


# -- Computation-time pages that work offline --------------------------------------------

# sphinx-gallery's sg_execution_times.rst loads jQuery and DataTables from CDNs
# to make its table sortable; the site works offline, so the table stays plain.
_CDN_ASSETS = re.compile(r"  \.\. raw:: html\n.*?(?=  \.\. list-table::)", re.S)


_SOURCE_PATH = re.compile(r"\(``[^`]*/([^`/]+\.py)``\)")


def _narrow_table(text: str) -> str:
    """A page that fits a phone: names without folders, no memory column.

    The memory column is dropped only when it holds nothing (``show_memory``
    off: every entry is 0.0).
    """
    text = _SOURCE_PATH.sub(r"(``\1``)", text)
    text = re.sub(r"\*\*from [^*\n]*/([^*/\n]+)\*\*", r"**from \1**", text)
    cells = re.findall(r"^     - (.*)$", text, re.M)  # Time, Mem, then per row
    if cells[:2] == ["Time", "Mem (MB)"] and all(m == "0.0" for m in cells[3::2]):
        text = re.sub(r"\n     - Mem \(MB\)|\n     - 0\.0(?=\n|$)", "", text)
    return text


def tidy_execution_times(app) -> None:
    """Strip the CDN assets from every ``sg_execution_times.rst`` of the gallery.

    When every example lives in a sub-gallery, the gallery root's own page
    lists no example; it is replaced by the table of all galleries, which
    sphinx-gallery writes to ``<srcdir>/sg_execution_times.rst`` (not a
    document of this site), so ``auto_examples/sg_execution_times.html``
    lists every example. Runs after sphinx-gallery (builder-inited, priority
    900); a file is written only when its text changes.
    """
    if "sphinx_gallery.gen_gallery" not in app.extensions:
        return
    conf = app.config.sphinx_gallery_conf
    if not conf.get("write_computation_times", True):
        return

    def as_list(value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else list(value)

    srcdir = Path(app.srcdir)
    everything = srcdir / "sg_execution_times.rst"
    pairs = zip(
        as_list(conf.get("examples_dirs", "examples")),
        as_list(conf.get("gallery_dirs", "auto_examples")),
        strict=True,
    )
    for examples, gallery in pairs:
        root = srcdir / gallery
        page = root / "sg_execution_times.rst"
        if everything.exists() and not any((srcdir / examples).glob("*.py")):
            label = "sphx_glr_" + Path(gallery).as_posix().replace("/", "_")
            text = _narrow_table(_CDN_ASSETS.sub("", everything.read_text())).replace(
                "sphx_glr_sg_execution_times", f"{label}_sg_execution_times"
            )
            if not page.exists() or page.read_text() != text:
                page.write_text(text)
        for path in root.rglob("sg_execution_times.rst"):
            text = path.read_text()
            tidy = _narrow_table(_CDN_ASSETS.sub("", text))
            if tidy != text:
                path.write_text(tidy)


# -- Animations that work offline ------------------------------------------------------

#: How sphinx-gallery embeds an animation (its ``scrapers._ANIMATION_RST``).
_ANIMATION_RST = """
.. container:: sphx-glr-animation

    .. raw:: html

        {0}
"""


def scrape_figures(block: Any, block_vars: dict, gallery_conf: dict) -> str:
    """sphinx-gallery's matplotlib scraper, with animations embedded and no GIF.

    With ``matplotlib_animations`` on, sphinx-gallery also saves every
    animation as a GIF, for a thumbnail; drawing its frames a second time took
    longer than the JavaScript player itself, and the site's thumbnails are
    stills. Here an animation kept in a variable of the example is embedded as
    matplotlib's JavaScript player and its figure closed; the other figures go
    to the stock scraper. An animation takes no image number.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation
    from sphinx_gallery.scrapers import matplotlib_scraper

    rst = []
    # block_vars lasts for the whole example: each animation is embedded once,
    # after the block that made it (its figure's number may be reused later)
    embedded = block_vars.setdefault("numopt_embedded_animations", set())
    for anim in block_vars["example_globals"].values():
        if isinstance(anim, Animation) and id(anim) not in embedded:
            embedded.add(id(anim))
            html = textwrap.indent(anim.to_jshtml(), "     ")
            rst.append(_ANIMATION_RST.format(html))
            plt.close(anim._fig)  # as sphinx-gallery finds an animation's figure
    return "".join(rst) + matplotlib_scraper(block, block_vars, gallery_conf)


# matplotlib's JavaScript player links Font Awesome 4 from a CDN for its
# buttons; the theme already ships Font Awesome, whose ``fa`` classes they use.
_FONT_AWESOME_CDN = re.compile(
    r'^[ \t]*<link rel="stylesheet"\s*?\n?[ \t]*'
    r'href="https://maxcdn\.bootstrapcdn\.com/font-awesome/[^"]*">[ \t]*\n',
    re.M,
)
_FRAME = re.compile(r'<img id="(_anim_img\w+)">')


def tidy_animations(app) -> None:
    """Drop the CDN stylesheet of embedded animations and give each frame alt text.

    Works on the example pages sphinx-gallery wrote (builder-inited, priority
    900); idempotent.
    """
    if "sphinx_gallery.gen_gallery" not in app.extensions:
        return
    dirs = app.config.sphinx_gallery_conf.get("gallery_dirs", "auto_examples")
    for gallery in [dirs] if isinstance(dirs, str) else dirs:
        for path in (Path(app.srcdir) / gallery).rglob("*.rst"):
            text = path.read_text()
            if "_anim_img" not in text:
                continue
            title = next(
                (a for a, b in zip(text.splitlines(), text.splitlines()[1:], strict=False)
                 if a.strip() and set(b) == {"="} and len(b) >= len(a.strip())),
                "the example",
            )  # fmt: skip
            alt = html.escape(f"Animation, {title.strip()}: one frame per step shown")
            tidy = _FONT_AWESOME_CDN.sub("", text)
            tidy = _FRAME.sub(
                rf'<img id="\1" alt="{alt.replace(chr(92), chr(92) * 2)}">', tidy
            )
            if tidy != text:
                path.write_text(tidy)


def _build_wheel(app) -> None:
    """builder-inited: start building the wheel; the pages need only its name.

    ``pip wheel`` takes about a second; it runs beside the gallery and the
    notebooks, and :func:`_wait_for_wheel` collects it before pages are written.
    """
    from concurrent.futures import ThreadPoolExecutor

    app.numopt_wheel = f"numopt-{app.config.version}-py3-none-any.whl"
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="numopt-wheel")
    app.numopt_wheel_job = pool.submit(build_wheel, wheel_dir(BUILD))
    pool.shutdown(wait=False)


def _wait_for_wheel(app, env) -> None:
    """env-updated: the wheel must be built before the output is written."""
    from sphinx.errors import ExtensionError

    job = getattr(app, "numopt_wheel_job", None)
    if job is None:
        return
    try:
        wheel = job.result()
    except RuntimeError as err:
        raise ExtensionError(str(err)) from err
    if wheel.name != app.numopt_wheel:
        raise ExtensionError(
            f"the wheel built is {wheel.name}, but the pages link {app.numopt_wheel}"
        )


def _make_wheel_dir(app, config) -> None:
    """Create the served folder before Sphinx checks that ``html_extra_path`` exists."""
    wheel_dir(BUILD).mkdir(parents=True, exist_ok=True)


def wheel_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:numopt-wheel:`{wheel}``` links the wheel the site serves.

    ``{wheel}`` in the text stands for the wheel's file name, so
    ``:numopt-wheel:`download {wheel}``` reads "download numopt-0.1.0-...whl".
    """
    from docutils import nodes

    app = inliner.document.settings.env.app
    label = text.replace("{wheel}", getattr(app, "numopt_wheel", "numopt.whl"))
    node = nodes.reference(
        rawtext,
        "",
        nodes.literal(label, label),
        refuri="numopt.whl",
        classes=["numopt-wheel"],
    )
    return [node], []


def _resolve_wheel_links(app, doctree, docname) -> None:
    """Make each ``numopt-wheel`` link relative to the page it is on."""
    from docutils import nodes
    from sphinx.util.osutil import relative_uri

    try:
        base = app.builder.get_target_uri(docname)
    except Exception:  # builders without URIs (text, man, ...)
        return
    for node in doctree.findall(nodes.reference):
        if "numopt-wheel" in node["classes"]:
            node["refuri"] = relative_uri(
                base, getattr(app, "numopt_wheel", "numopt.whl")
            )


def skip_empty_members(app, what, name, obj, skip, options) -> bool | None:
    """autodoc-skip-member: leave out the entries that would say nothing.

    - a constructor with no docstring of its own (a dataclass's generated
      ``__init__``): the class signature already shows its parameters;
    - the fields of a dataclass or NamedTuple (a NamedTuple's only say
      "Alias for field number 0"): every such class of numopt documents them
      in its docstring's Attributes section, which lists them with their
      types and meaning;
    - a ``__slots__`` attribute with no docstring: the class documents it
      among its parameters.
    """
    if skip:
        return None
    if name == "__init__" and getattr(obj, "__doc__", None) is None:
        return True
    if (
        what in ("class", "attribute")  # a class's member (autodoc, autosummary)
        and name in _fields()
        and not (isinstance(obj, property) or callable(obj))
    ):
        return True
    return None


@functools.cache
def _fields() -> frozenset[str]:
    """The names of the fields of numopt's dataclasses and NamedTuples, and
    of its classes' ``__slots__`` (those given as names, with no docstring)."""
    import dataclasses
    import importlib
    import inspect
    import pkgutil

    import numopt

    names = set()
    for info in pkgutil.walk_packages(numopt.__path__, "numopt."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            if dataclasses.is_dataclass(cls):
                names.update(f.name for f in dataclasses.fields(cls))
            if issubclass(cls, tuple):  # a NamedTuple: its _fields
                names.update(getattr(cls, "_fields", ()))
            slots = cls.__dict__.get("__slots__", ())
            if not isinstance(slots, dict):
                names.update([slots] if isinstance(slots, str) else slots)
    return frozenset(names)


def setup(app):
    app.connect("config-inited", _make_wheel_dir, priority=100)
    app.connect("builder-inited", _require_dot)
    app.connect("builder-inited", _build_wheel, priority=400)  # before the gallery
    app.connect("env-updated", _wait_for_wheel)
    app.connect("builder-inited", tidy_notebooks, priority=900)
    app.connect("builder-inited", tidy_execution_times, priority=900)
    app.connect("builder-inited", tidy_animations, priority=900)
    app.connect("doctree-resolved", _resolve_wheel_links)
    app.connect("autodoc-skip-member", skip_empty_members)
    app.add_role("numopt-wheel", wheel_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
