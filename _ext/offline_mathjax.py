"""Serve MathJax 3 from the site itself, so that the math renders offline.

The MathJax files come from the ``sphinx-mathjax-offline`` package; this does
what its extension does (point ``mathjax_path`` at the local copy and copy the
files into ``_static/mathjax`` when the build succeeds), and says that it is
safe for Sphinx's parallel reading and writing, which that extension does not
declare, so that ``sphinx-build -j`` stays warning-free.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from sphinx.util.fileutil import copy_asset

# The package's import name has hyphens: it is only reachable through importlib.
PACKAGE = Path(importlib.import_module("sphinx-mathjax-offline").__file__).parent
MATHJAX = PACKAGE / "static" / "mathjax"


def _copy_mathjax(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        copy_asset(str(MATHJAX), os.path.join(app.outdir, "_static", "mathjax"))


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.config.mathjax_path = "mathjax/tex-chtml.js"
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
