"""Read the code cells of a MyST-NB chapter, to run them outside Sphinx.

Used by the tests (run a chapter, check its numbers) and the build benchmark
(time the bare execution of every chapter).
"""

from __future__ import annotations

import re
from pathlib import Path

_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
_YAML_HEADER = re.compile(r"\A---\n.*?\n---\n", re.S)
_OPTION = re.compile(r"^:\w[\w-]*:")


def code_cells(path: Path) -> list[str]:
    """The source of every ``{code-cell}`` of ``path``, cell options removed."""
    cells = []
    for body in _CELL.findall(path.read_text()):
        body = _YAML_HEADER.sub("", body)
        cells.append("\n".join(ln for ln in body.splitlines() if not _OPTION.match(ln)))
    return cells
