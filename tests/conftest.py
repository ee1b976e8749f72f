"""Shared fixtures: devices, dtypes, and executed chapters."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from notebook_cells import code_cells  # noqa: E402

CHAPTERS = ROOT / "chapters"
GALLERY = ROOT / "gallery"

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
        ],
    ),
]


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """Every test that takes ``device`` runs on the CPU and, marked gpu, on CUDA."""
    return torch.device(request.param)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request: pytest.FixtureRequest) -> torch.dtype:
    return request.param


def chapter_cells(name: str) -> list[str]:
    """The code cells of ``chapters/<name>.md`` (cell options stripped)."""
    return code_cells(CHAPTERS / f"{name}.md")


_executed: dict[str, dict] = {}


def run_chapter(name: str) -> dict:
    """Execute every code cell of a chapter in one namespace; cached per session."""
    if name not in _executed:
        import matplotlib.pyplot as plt

        namespace: dict = {"__name__": f"chapter_{name.replace('-', '_')}"}
        cwd = os.getcwd()
        os.chdir(CHAPTERS)
        try:
            for i, cell in enumerate(chapter_cells(name)):
                code = compile(cell, f"{name}.md[cell {i}]", "exec")
                exec(code, namespace)
                plt.close("all")
        finally:
            os.chdir(cwd)
        _executed[name] = namespace
    return _executed[name]
