"""Sphinx configuration: MyST-NB chapters + a sphinx-gallery, one build."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT))

from numopt_docs import project_version, write_inventories

# -- Project -------------------------------------------------------------------
project = "Numerical Optimization, executable"
author = "The numopt lecture authors"
copyright = "2026, the numopt lecture authors"
release = version = project_version()

# Where caches live (executed notebooks, intersphinx inventories).
BUILD = Path(os.environ.get("NUMOPT_BUILD_DIR", ROOT / "_build")).resolve()
# NUMOPT_DOCS_ONLY=chapters/convexity builds the landing page and that one
# page, without running the gallery: a fast preview while writing (not warning-free,
# since the table of contents then points at excluded pages).
ONLY = os.environ.get("NUMOPT_DOCS_ONLY")

# -- Sources -------------------------------------------------------------------
# Only these files are documents; everything else in the repository (README,
# .venv, tests, ...) is not.
include_patterns = [
    "index.md",
    "chapters/**",
    "api/**",
    "auto_examples/**",
    "performance.md",
]
if ONLY:
    include_patterns = ["index.md", ONLY.removesuffix(".md") + ".md", "api/**"]
exclude_patterns = [
    "_build",
    # Hidden folders (.venv, .nox, .git, tool caches) hold no pages; without
    # this, finding the pages walks every file of the virtual environments.
    ".*",
    "**.ipynb_checkpoints",
    # sphinx-gallery writes one unexecuted notebook per example for download;
    # myst-nb must not read those as documents (they would replace the
    # executed gallery pages and their figures).
    "auto_examples/*.ipynb",
    "auto_examples/**/*.ipynb",
    "api/generated/backreferences/**",
]
root_doc = "index"
templates_path = ["_templates"]  # autosummary pages with "Examples using" galleries

extensions = [
    "myst_nb",
    # Executes the chapters' notebooks while the gallery runs (_ext/nb_prefetch.py);
    # it must sit between these two.
    "nb_prefetch",
    "sphinx_gallery.gen_gallery",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    "sphinx_design",
    "offline_mathjax",  # serves MathJax 3 from _static: no CDN (_ext/offline_mathjax.py)
    "numopt_docs",
    "mystnb_streams",  # fixes line breaks inserted into merged print output
]

nitpicky = True
# numpydoc type strings that are prose, not objects: "(float, float)",
# "array_like", "shape (n,)", "list of these", "tensor".
nitpick_ignore_regex = [
    ("py:class", r".*[()].*"),
    ("py:class", r"array_like|tensor|these|shape .*|n\)"),
]
nitpick_ignore = [
    ("py:class", "numopt.autodiff.variable.Tape"),
    # Type aliases and protocols of numopt's private modules.
    ("py:class", "numopt.solvers._driver.Step"),
    ("py:class", "numopt.solvers._driver.Callback"),
    ("py:class", "Callback"),
    ("py:class", "Schedule"),
    ("py:class", "numopt.solvers.gradient.Schedule"),
]

# -- MyST and MyST-NB ------------------------------------------------------------
myst_enable_extensions = [
    "dollarmath",
    "amsmath",
    "colon_fence",
    "deflist",
    "substitution",
]
myst_heading_anchors = 3
# The notebook pages' figures come from matplotlib's inline backend, which
# ipykernel chooses only when MPLBACKEND is unset. Kernels inherit this
# process's environment, so a backend set for the build (MPLBACKEND=Agg, as
# headless jobs often set) would leave every chapter without its figures.
# Sphinx needs no backend from the environment: sphinx-gallery selects Agg.
os.environ.pop("MPLBACKEND", None)
# The kernels read IPython's configuration from a profile of the build's own
# (_ext/ipython_kernel_config.py says what it changes, and why).
_kernel_config = BUILD / "ipython" / "profile_default" / "ipython_kernel_config.py"
_kernel_config.parent.mkdir(parents=True, exist_ok=True)
_config = (ROOT / "_ext" / "ipython_kernel_config.py").read_bytes()
if not _kernel_config.is_file() or _kernel_config.read_bytes() != _config:
    _kernel_config.write_bytes(_config)  # unchanged: no new mtime
os.environ["IPYTHONDIR"] = str(BUILD / "ipython")
# Every notebook page runs in a kernel of its own; the kernels are forked from
# one process that has imported these once (_ext/kernel_forkserver.py).
nb_prefetch_preload = ["numpy", "matplotlib", "torch", "numopt"]
# The executed pages and gallery examples draw with numopt: a change of its
# code (not of its comments or docstrings) executes them again, instead of
# keeping the outputs of the old code.
nb_prefetch_inputs = ["numopt/**/*.py"]
nb_execution_mode = os.environ.get("NB_EXECUTION_MODE", "cache")
# The cache lives beside the HTML output, not inside it: deleting
# _build/html keeps every executed notebook.
nb_execution_cache_path = str(BUILD / ".jupyter_cache")
nb_execution_timeout = 180  # seconds per cell
nb_execution_raise_on_error = True  # a failing cell fails the build...
nb_execution_show_tb = True  # ...and the log shows its traceback
nb_merge_streams = True
# Markdown that a cell displays (the tables of the Performance page) is parsed
# as MyST, with tables and $math$, not as bare CommonMark.
nb_render_markdown_format = "myst"
nb_execution_excludepatterns = ["auto_examples/*"]
nb_kernel_rgx_aliases = {".*": "python3"}

# -- sphinx-gallery --------------------------------------------------------------
from numopt_docs import notebook_first_cell

sphinx_gallery_conf = {
    "examples_dirs": "gallery",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # Sub-galleries in the order of the lecture; examples in the order
    # numopt_docs.EXAMPLE_ORDER gives (a story within each sub-gallery).
    "subsection_order": [
        "gallery/convexity",
        "gallery/gradient_descent",
        "gallery/beyond_gradient_descent",
        "gallery/nonconvex_and_constrained",
        "gallery/autodiff",
        "*",
    ],
    "within_subsection_order": "numopt_docs.ExampleOrder",
    "reset_modules": ("numopt_docs.reset_state",),
    "reset_modules_order": "both",
    "write_computation_times": True,
    "download_all_examples": True,
    "abort_on_example_error": True,
    # "Examples using numopt.X" mini-galleries on the API pages
    # (_templates/autosummary/*.rst include a minigallery directive).
    "doc_module": ("numopt",),
    "backreferences_dir": "api/generated/backreferences",
    # figures as PNGs, animations as matplotlib's JavaScript player (no GIF)
    "image_scrapers": ("numopt_docs.scrape_figures",),
    "remove_config_comments": True,
    # A cell that ends with ax.set_title(...) shows no "Text(...)" on the page.
    "ignore_repr_types": r"matplotlib[.]",
    "min_reported_time": 0,
    # Downloaded notebooks start with how to install numopt (the site serves
    # its wheel) and its pinned requirements.
    "first_notebook_cell": notebook_first_cell(version),
}
if ONLY:  # a preview runs no example (the API pages still find the minigallery)
    sphinx_gallery_conf["plot_gallery"] = "False"

# -- API reference -----------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # types are documented in each docstring's Parameters
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass fields: no duplicate object descriptions
napoleon_preprocess_types = True
napoleon_type_aliases = {
    "callable": "collections.abc.Callable",
    "sequence": "collections.abc.Sequence",
    "Tensor": "torch.Tensor",
    "OptimizeResult": "numopt.OptimizeResult",
    "Status": "numopt.Status",
}
# napoleon merges its aliases into autodoc's dict in place while it reads the
# docstrings; starting from the merged dict keeps the configuration the same
# from one build to the next, so that an unchanged site is not read again.
autodoc_type_aliases = dict(napoleon_type_aliases)

# -- Intersphinx (offline: curated inventories written at configuration time) ----
intersphinx_mapping = write_inventories(BUILD / ".intersphinx")

# -- HTML ----------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Numerical Optimization"
html_static_path = ["_static"]
# The numopt wheel, built at builder-inited by _ext/numopt_docs.py, served at
# <site>/numopt-<version>-py3-none-any.whl for the gallery's downloads.
html_extra_path = [str(BUILD / "wheel")]
html_css_files = ["custom.css"]
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    # The sidebar shows the open section's pages, not every page of the site:
    # resolving the whole navigation for each page (the API reference has a
    # page per object) was the largest cost of writing the site.
    "collapse_navbar": True,
}
html_context = {"default_mode": "auto"}
html_show_sourcelink = False
