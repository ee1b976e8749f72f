"""_ext/ipython_kernel_config.py: the build's kernels draw a figure once per display."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from jupyter_cache.executors.utils import single_nb_execution

COUNT_DRAWS = """\
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

draws = []
_draw = Figure.draw


def counted(self, renderer):
    draws.append(self)
    return _draw(self, renderer)


Figure.draw = counted
"""
PLOT = "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nax.set_title('a line')"
# How often the inline backend's own call draws the figure, to compare with.
REPORT = """\
from IPython.core.pylabtools import print_figure
from matplotlib_inline.config import InlineBackend

at_display = len(draws)
del draws[:]
print_figure(fig, "png", **InlineBackend.instance().print_figure_kwargs)
print(at_display, len(draws), "_draw_unless_inline" in globals())
"""


def _run(tmp_path: Path, monkeypatch, *, profile: bool) -> tuple[int, int, bool]:
    ipython_dir = tmp_path / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True)
    if profile:  # as conf.py installs it
        shutil.copy(
            ROOT / "_ext" / "ipython_kernel_config.py",
            ipython_dir / "profile_default" / "ipython_kernel_config.py",
        )
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # as the build runs kernels
    cells = [nbformat.v4.new_code_cell(s) for s in (COUNT_DRAWS, PLOT, REPORT)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    result = single_nb_execution(nb, cwd=str(tmp_path), timeout=120, allow_errors=False)
    assert result.err is None, result.exc_string
    images = [o for o in nb.cells[1].outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the figure is on the page
    at_display, by_print, leaked = nb.cells[2].outputs[0]["text"].split()
    return int(at_display), int(by_print), leaked == "True"


@pytest.mark.parametrize(
    "profile", [True, False], ids=["build profile", "plain IPython"]
)
def test_a_shown_figure_is_drawn_only_to_be_shown(
    tmp_path, monkeypatch, profile
) -> None:
    at_display, by_print, leaked = _run(tmp_path, monkeypatch, profile=profile)
    assert by_print >= 1
    if profile:
        assert at_display == by_print
        assert not leaked  # the hook left no name in the notebook's namespace
    else:  # plain IPython redraws it once more first: what the profile removes
        assert at_display == by_print + 1
