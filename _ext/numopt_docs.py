"""Sphinx helpers for the lecture site.

- ``reset_state``: sphinx-gallery's reset hook (seeds, closes figures).
- ``write_inventories``: writes offline intersphinx inventories from the
  curated lists in ``_ext/intersphinx/*.txt``, so the build resolves links to
  the Python, NumPy, PyTorch, Matplotlib and Graphviz docs without network.
- ``setup``: stops the build early, with the command to run, when Graphviz's
  ``dot`` is missing.
"""

from __future__ import annotations

import random
import shutil
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def reset_state(gallery_conf: dict, fname: str, when: str = "before") -> None:
    """Seed every RNG and close all figures between gallery examples."""
    import matplotlib.pyplot as plt
    import numpy as np
    import torch

    plt.close("all")
    plt.rcdefaults()
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


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


def setup(app):
    app.connect("builder-inited", _require_dot)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
