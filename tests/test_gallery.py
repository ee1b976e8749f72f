"""The gallery: every example is well formed, and its downloads run elsewhere.

``test_chapters_and_gallery.py`` runs each script as plain Python in the
development environment. Here: the shape of each example (title, prose
cells, install note, figure), the build configuration that orders and
serves it, the notebooks' install cell, the wheel the site serves (built,
installed into a fresh virtual environment and used to run a downloaded
example there, outside the repository), and, when the site has been built,
the pages and downloads themselves.
"""

from __future__ import annotations

import ast
import html as html_lib
import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import GALLERY, ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import numopt_docs

import numopt

SCRIPTS = sorted(GALLERY.rglob("plot_*.py"))
IDS = [s.name for s in SCRIPTS]
TORCH_PIN = next(r for r in numopt_docs._pinned_requirements() if r.startswith("torch"))
WHEEL = f"numopt-{numopt.__version__}-py3-none-any.whl"
SITE = Path(os.environ.get("NUMOPT_BUILD_DIR", ROOT / "_build")) / "html"


def test_at_least_a_dozen_examples_in_sub_galleries() -> None:
    assert len(SCRIPTS) >= 12
    for script in SCRIPTS:
        assert script.parent != GALLERY, f"{script.name} is not in a sub-gallery"
        assert (script.parent / "README.txt").exists()


@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_example_is_well_formed(script: Path) -> None:
    source = script.read_text()
    tree = ast.parse(source)
    doc = ast.get_docstring(tree, clean=False)
    assert doc is not None and source.startswith('r"""'), "needs an r-string docstring"
    lines = doc.strip().splitlines()
    title, underline = lines[0], lines[1]
    assert set(underline) == {"="} and len(underline) >= len(title), "reST title"
    # the install note: the pinned torch and a link to "Running these examples"
    assert TORCH_PIN in doc and "<gallery-running>`" in doc
    # prose cells: a `# %%` separator followed by comment lines
    cells = source.split("\n# %%\n")[1:]
    assert len(cells) >= 2
    for cell in cells:
        assert cell.startswith("# "), "each cell opens with prose"
    # the script draws with numopt.plotting and shows its figures when run
    assert "numopt.plotting" in source
    assert (
        source.rstrip().splitlines()[-1].startswith(("plt.show()", "# sphinx_gallery"))
    )


THUMBNAIL = re.compile(r"# sphinx_gallery_thumbnail_number = (\d+)")
CHOSEN = [s for s in SCRIPTS if THUMBNAIL.search(s.read_text())]


@pytest.mark.parametrize("script", CHOSEN, ids=[s.name for s in CHOSEN])
def test_thumbnail_number_points_at_a_figure(script: Path) -> None:
    """A chosen thumbnail (other than the first figure) names an existing figure."""
    number = int(THUMBNAIL.search(script.read_text()).group(1))
    assert number > 1, "the first figure is the default: drop the comment"
    env = os.environ | {"MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    code = (
        "import runpy, matplotlib.pyplot as plt; "
        f"runpy.run_path({str(script)!r}); print(len(plt.get_fignums()))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert number <= int(proc.stdout.split()[-1])


def test_every_example_and_sub_gallery_is_ordered() -> None:
    names = {s.name for s in SCRIPTS}
    assert names <= set(numopt_docs.EXAMPLE_ORDER), names - set(
        numopt_docs.EXAMPLE_ORDER
    )
    conf = ast.parse((ROOT / "conf.py").read_text())
    gallery_conf = next(
        node.value
        for node in ast.walk(conf)
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], "id", "") == "sphinx_gallery_conf"
    )
    order = ast.literal_eval(
        next(
            v
            for k, v in zip(gallery_conf.keys, gallery_conf.values, strict=True)
            if ast.literal_eval(k) == "subsection_order"
        )
    )
    folders = {f"gallery/{s.parent.name}" for s in SCRIPTS}
    assert folders <= set(order)


def test_example_order_sorts_by_the_list() -> None:
    key = numopt_docs.ExampleOrder("gallery/gradient_descent")
    names = ["plot_step_size.py", "zz_unlisted.py", "plot_gradient_descent_1d.py"]
    assert sorted(names, key=key) == [
        "plot_gradient_descent_1d.py",
        "plot_step_size.py",
        "zz_unlisted.py",
    ]


def test_the_configuration_reads_the_version_numopt_has() -> None:
    # conf.py reads it from pyproject.toml so as not to import torch
    assert numopt_docs.project_version() == numopt.__version__


def test_notebook_first_cell_installs_the_wheel() -> None:
    from IPython.core.inputtransformer2 import TransformerManager

    cell = numopt_docs.notebook_first_cell(numopt.__version__)
    assert f"%pip install {WHEEL}" in cell
    assert TORCH_PIN in cell
    # valid IPython: the magics become Python that compiles
    compile(TransformerManager().transform_cell(cell), "<first cell>", "exec")


def test_tidy_markdown_removes_sphinx_roles() -> None:
    text = (
        "Calls :func:`numopt.newton` and :class:`~numopt.OptimizeResult`; "
        "$x^2$ stays. See `Running these examples\n<gallery-running>` there."
    )
    assert numopt_docs.tidy_markdown(text) == (
        "Calls `numopt.newton` and `numopt.OptimizeResult`; "
        "$x^2$ stays. See Running these examples there."
    )


class _Documented:
    def __init__(self) -> None:
        """A constructor that says something."""


def test_api_pages_leave_out_entries_that_say_nothing() -> None:
    from numopt.convexity import Counterexample
    from numopt.solvers.constrained import KKTSolution

    def skipped(what: str, name: str, obj: object) -> bool:
        return numopt_docs.skip_empty_members(None, what, name, obj, False, {}) is True

    sentinel = object()  # what autodoc passes for a field with no default
    # A dataclass's fields, a NamedTuple's, the generated constructor: skipped.
    assert skipped("class", "x", sentinel)
    assert skipped("attribute", "grad_norm", sentinel)
    assert skipped("class", "multipliers", KKTSolution.multipliers)
    assert skipped("class", "__init__", Counterexample.__init__)
    # What says something stays: a property, a documented constructor, a
    # name that is not a field, a module's own data, what autodoc skips.
    assert not skipped("class", "point", Counterexample.point)
    assert not skipped("class", "__init__", _Documented.__init__)
    assert not skipped("class", "CONVERGED", numopt.Status.CONVERGED)
    assert not skipped("module", "x", sentinel)
    assert (
        numopt_docs.skip_empty_members(None, "class", "x", sentinel, True, {}) is None
    )


def test_execution_times_page_fits_a_phone() -> None:
    page = (
        "**00:01.000** total execution time for 1 file **from auto_examples/sub**:\n\n"
        ".. container::\n\n"
        "  .. raw:: html\n\n"
        '    <script src="https://code.jquery.com/jquery-3.7.0.js"></script>\n\n'
        "  .. list-table::\n   :header-rows: 1\n\n"
        "   * - Example\n     - Time\n     - Mem (MB)\n"
        "   * - :ref:`x` (``gallery/sub/plot_x.py``)\n     - 00:01.000\n     - 0.0\n"
    )
    tidy = numopt_docs._narrow_table(numopt_docs._CDN_ASSETS.sub("", page))
    assert "https://" not in tidy and "raw::" not in tidy
    assert "**from sub**" in tidy and "(``plot_x.py``)" in tidy
    assert "Mem (MB)" not in tidy and "0.0\n" not in tidy
    assert "     - 00:01.000\n" in tidy


def test_animation_player_loads_nothing_from_the_network() -> None:
    raw = (
        ".. container:: sphx-glr-animation\n\n    .. raw:: html\n\n        \n"
        '     <link rel="stylesheet"\n'
        '     href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/x.css">\n'
        '     <script language="javascript">\n'
    )
    tidy = numopt_docs._FONT_AWESOME_CDN.sub("", raw)
    # the blank line after the directive survives: the raw block stays valid
    assert tidy == raw.split("     <link")[0] + '     <script language="javascript">\n'


def test_animations_are_embedded_without_a_gif(tmp_path, monkeypatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import sphinx_gallery.scrapers
    from matplotlib.animation import FuncAnimation

    monkeypatch.chdir(tmp_path)
    anim_fig, ax = plt.subplots()
    (line,) = ax.plot([0, 1], [0, 1])
    anim = FuncAnimation(anim_fig, lambda i: line.set_ydata([0, i]), frames=3)
    still = plt.figure()
    seen = []

    def stock(block, block_vars, gallery_conf):  # saves nothing, closes all
        seen.append(list(plt.get_fignums()))
        plt.close("all")
        return "\nSTILLS\n"

    monkeypatch.setattr(sphinx_gallery.scrapers, "matplotlib_scraper", stock)
    block_vars = {"example_globals": {"a": anim}}
    try:
        first = numopt_docs.scrape_figures(None, block_vars, {})
        # a later block: the closed figure's number goes to a new figure
        later = plt.figure()
        second = numopt_docs.scrape_figures(None, block_vars, {})
    finally:
        plt.close("all")
    head = "\n.. container:: sphx-glr-animation\n\n    .. raw:: html\n"
    assert first.startswith(head) and first.endswith("\nSTILLS\n")
    assert first.count('<img id="_anim_img') == 1
    assert second == "\nSTILLS\n"  # embedded once, the new figure left open
    # the animation's figure is not saved again as a still; the others are
    assert seen == [[still.number], [later.number]]
    assert later.number == anim_fig.number
    assert not list(tmp_path.rglob("*.gif"))


def test_gallery_readme_links_the_wheel() -> None:
    readme = (GALLERY / "README.txt").read_text()
    assert ".. _gallery-running:" in readme
    assert ":numopt-wheel:`{wheel}`" in readme
    assert "pip install numopt-|release|-py3-none-any.whl" in readme


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built the way the docs build builds it."""
    return numopt_docs.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_holds_the_package(wheel: Path) -> None:
    assert wheel.name == WHEEL
    names = zipfile.ZipFile(wheel).namelist()
    for module in (
        "numopt/__init__.py",
        "numopt/plotting.py",
        "numopt/autodiff/graph.py",
        "numopt/solvers/gradient.py",
    ):
        assert module in names
    metadata = (
        zipfile.ZipFile(wheel)
        .read(f"numopt-{numopt.__version__}.dist-info/METADATA")
        .decode()
    )
    assert f"Requires-Dist: {TORCH_PIN}" in metadata
    assert not any(n.startswith(("tests/", "gallery/", "chapters/")) for n in names)


def test_wheel_is_rebuilt_only_when_the_sources_change(wheel: Path) -> None:
    stamp = wheel.parent.with_name(wheel.parent.name + ".sha256")
    before = wheel.stat().st_mtime_ns
    assert numopt_docs.build_wheel(wheel.parent) == wheel
    assert wheel.stat().st_mtime_ns == before
    assert stamp.read_text() == numopt_docs._sources_digest(ROOT)


def _downloaded(name: str) -> Path:
    """The script as the built site offers it for download, else the source."""
    found = sorted((SITE / "_downloads").glob(f"*/{name}")) if SITE.exists() else []
    return found[0] if found else next(GALLERY.rglob(name))


@pytest.mark.slow
def test_downloaded_example_runs_with_the_wheel_in_a_fresh_venv(
    wheel: Path, tmp_path: Path
) -> None:
    """pip install torch==... <wheel> into a new venv; run examples there.

    The examples run from a folder outside the repository with an environment
    that cannot see the source tree, so they import the installed wheel.
    """
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", TORCH_PIN, str(wheel)],
        check=True, env=env, timeout=900,
    )  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    where = subprocess.run(
        [python, "-c", "import numopt; print(numopt.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(env_dir)
    for name in ("plot_line_search.py", "plot_forward_vs_reverse.py"):
        script = work / name
        script.write_bytes(_downloaded(name).read_bytes())
        proc = subprocess.run(
            [python, script.name], cwd=work, env=env | {"MPLBACKEND": "Agg"},
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", ["plot_multistart", "plot_forward_vs_reverse"])
def test_generated_notebook_runs_top_to_bottom(name: str, tmp_path: Path) -> None:
    """A notebook as sphinx-gallery writes it, install cell first, runs in Jupyter.

    ``numopt`` is importable here, so the install cell skips ``%pip``.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from sphinx_gallery.notebook import jupyter_notebook
    from sphinx_gallery.py_source_parser import split_code_and_text_blocks

    script = next(GALLERY.rglob(f"{name}.py"))
    _, blocks = split_code_and_text_blocks(str(script))
    conf = {
        "first_notebook_cell": numopt_docs.notebook_first_cell(numopt.__version__),
        "last_notebook_cell": None,
        "notebook_images": False,
        "pypandoc": False,
        "promote_jupyter_magic": False,
        "src_dir": str(ROOT),
    }
    notebook = nbformat.reads(
        json.dumps(jupyter_notebook(blocks, conf, str(tmp_path))), as_version=4
    )
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()  # fmt: skip
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(o.output_type == "display_data" for o in outputs)  # a figure


# -- The built site (skipped until `nox -s docs` has run) ---------------------------


def _site_is_current() -> bool:
    """A site built after the last change to the gallery (else: stale, skip)."""
    index = SITE / "auto_examples" / "index.html"
    sources = [*SCRIPTS, *GALLERY.rglob("README.txt")]
    return index.exists() and index.stat().st_mtime >= max(
        f.stat().st_mtime for f in sources
    )


needs_site = pytest.mark.skipif(
    not _site_is_current(), reason="site not built since the gallery last changed"
)


@needs_site
def test_site_serves_the_wheel_and_links_it() -> None:
    assert (SITE / WHEEL).is_file()
    index = (SITE / "auto_examples" / "index.html").read_text()
    assert f'href="../{WHEEL}"' in index
    assert 'id="running-these-examples"' in index


@needs_site
def test_gallery_pages_load_nothing_from_the_network() -> None:
    for page in sorted((SITE / "auto_examples").rglob("*.html")):
        html = page.read_text()
        remote = re.findall(r'(?:src|href)="(https?://[^"]+\.(?:js|css))"', html)
        assert not remote, f"{page.name} loads {remote}"


@needs_site
@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_site_page_offers_both_downloads(script: Path) -> None:
    page = (
        SITE / "auto_examples" / script.parent.name / script.with_suffix(".html").name
    )
    html = page.read_text()
    for suffix in (".py", ".ipynb"):
        link = re.search(
            rf'href="(\.\./\.\./_downloads/[0-9a-f]+/{script.stem}{suffix})"', html
        )
        assert link, f"no {suffix} download link"
        assert (page.parent / link.group(1)).resolve().is_file()


@needs_site
@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_site_page_shows_no_stray_return_values(script: Path) -> None:
    """A cell that ends in a call such as ``ax.set_xlim(...)`` prints its return
    value under the code; what a cell prints must be what it means to print."""
    page = (
        SITE / "auto_examples" / script.parent.name / script.with_suffix(".html").name
    )
    outputs = re.findall(
        r'<div class="sphx-glr-script-out[^"]*"><div class="highlight"><pre>'
        r"<span></span>(.*?)</pre>",
        page.read_text(),
        re.S,
    )
    for block in outputs:
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", block)).strip()
        assert not re.fullmatch(r"[(\[<].*[)\]>]", text), f"stray output {text!r}"


@needs_site
@pytest.mark.parametrize("script", SCRIPTS, ids=IDS)
def test_downloaded_notebook_installs_and_renders_math(script: Path) -> None:
    notebook = json.loads(
        (
            ROOT / "auto_examples" / script.parent.name / f"{script.stem}.ipynb"
        ).read_text()
    )
    first = "".join(notebook["cells"][0]["source"])
    assert f"%pip install {WHEEL}" in first
    markdown = "".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
    )
    assert ":math:" not in markdown and ":func:" not in markdown
    if ":math:" in script.read_text():
        assert "$" in markdown
