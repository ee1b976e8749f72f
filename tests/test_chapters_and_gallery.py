"""Every chapter and gallery script runs, and prints the numbers the site states."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GALLERY, ROOT, run_chapter

SCRIPTS = sorted(GALLERY.rglob("plot_*.py"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_gallery_script_runs_as_plain_python(script: Path, tmp_path: Path) -> None:
    env = os.environ | {"MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_gd_examples_numbers() -> None:
    ns = run_chapter("gd-examples")
    # the exact minimizer, not the notes' grid point
    assert ns["x_star"] == 4.5
    assert ns["x_grid"] == pytest.approx(4.545455, abs=1e-6)
    assert ns["res0"].x.item() == pytest.approx(4.5, abs=1e-4)
    assert ns["res10"].x.item() == pytest.approx(4.5, abs=1e-4)
    # the theory for the error matches every step after the kink
    assert (ns["errors"][1:] - ns["predicted"]).abs().max().item() < 1e-12
    # step 0.05 ends in a 2-cycle on the non-convex function
    path = ns["big"].path
    assert abs(path[-1].item() - path[-3].item()) < 1e-9
    assert abs(path[-1].item() - path[-2].item()) > 0.1
    assert ns["curvature"] * 0.05 > 2  # beyond the stability limit 2/f''
    # step 0.001 from -3.5 reaches the local minimizer near -3.12
    assert ns["runs"][-3.5].x.item() == pytest.approx(-3.1214837, abs=1e-3)
    assert ns["runs"][-2.0].x.item() == pytest.approx(-1.5291669, abs=2e-2)
