"""The evaluation trace: one row per intermediate variable, as in the lecture."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MODES = ("forward", "reverse")
HEADERS = {"forward": "v̇", "reverse": "v̄"}
"""Column header of the derivative: tangent v̇ or adjoint v̄."""

_NAME = re.compile(r"([vx])_(?:\{(-?\d+)\}|(\d))")


@dataclass(frozen=True)
class Row:
    """One row :math:`v_i = \\varphi(v_j, \\dots)` of a trace.

    Parameters
    ----------
    index : int
        :math:`i`; inputs are :math:`1-n, \\dots, 0`, operations :math:`1, 2, \\dots`
    expr : str
        The row as text, e.g. ``"v_2 = v_{-1} × v_0"``.
    op : str
        Op label: ``"input"``, ``"const"``, ``"id"``, ``"add"``, ``"log"``, ...
    parents : tuple of int
        Indices :math:`j` of the operands that are variables, in operand order.
    partials : tuple of float
        Local partials :math:`\\partial v_i / \\partial v_j`, one per parent.
    value : float
        :math:`v_i`.
    derivative : float
        Tangent :math:`\\dot v_i` (forward) or adjoint :math:`\\bar v_i` (reverse).
    """

    index: int
    expr: str
    op: str
    parents: tuple[int, ...]
    partials: tuple[float, ...]
    value: float
    derivative: float


@dataclass(frozen=True)
class Trace:
    """Table of an evaluation trace, printed like the lecture's tables.

    Parameters
    ----------
    mode : {"forward", "reverse"}
        Whether the derivative column holds tangents or adjoints.
    rows : tuple of Row
        Rows in evaluation order; the last row is the output :math:`y`.

    Notes
    -----
    ``trace[i]`` looks a row up by its index :math:`i` in :math:`v_i`, not by
    position: ``trace[-1]`` is :math:`v_{-1}`. Use ``trace.output`` or
    ``trace.rows[-1]`` for the last row.

    Examples
    --------
    >>> from numopt.autodiff import lecture_example, reverse
    >>> trace = reverse(lecture_example, [2.0, 5.0]).trace
    >>> trace[2].expr, trace[2].value, trace[2].derivative
    ('v_2 = v_{-1} × v_0', 10.0, 1.0)
    >>> print(trace)
     i  expression            value        v̄
    -1  v_{-1} = x_1         2.0000   5.5000
     0  v_0 = x_2            5.0000   1.7163
     1  v_1 = ln v_{-1}      0.6931   1.0000
     2  v_2 = v_{-1} × v_0  10.0000   1.0000
     3  v_3 = sin v_0       -0.9589  -1.0000
     4  v_4 = v_1 + v_2     10.6931   1.0000
     5  v_5 = v_4 − v_3     11.6521   1.0000
    """

    mode: str
    rows: tuple[Row, ...]

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be 'forward' or 'reverse', got {self.mode!r}")
        if not self.rows:
            raise ValueError("rows must hold at least one row")

    @property
    def output(self) -> Row:
        """The last row, :math:`y`."""
        return self.rows[-1]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __getitem__(self, index: int) -> Row:
        offset = index - self.rows[0].index
        if not 0 <= offset < len(self.rows):
            raise KeyError(f"no row v_{index} in this trace")
        return self.rows[offset]

    def to_rows(self) -> list[dict[str, Any]]:
        """Return the rows as plain dicts (derivative key ``tangent``/``adjoint``)."""
        key = "tangent" if self.mode == "forward" else "adjoint"
        return [
            {
                "index": r.index,
                "expression": r.expr,
                "op": r.op,
                "parents": r.parents,
                "value": r.value,
                key: r.derivative,
            }
            for r in self.rows
        ]

    def _cells(self) -> list[list[str]]:
        return [
            [str(r.index), r.expr, f"{r.value:.4f}", f"{r.derivative:.4f}"]
            for r in self.rows
        ]

    def __str__(self) -> str:
        table = [["i", "expression", "value", HEADERS[self.mode]], *self._cells()]
        widths = [max(_width(line[k]) for line in table) for k in range(4)]
        return "\n".join(
            "  ".join(
                _pad(*cell) for cell in zip(line, widths, "><>>", strict=True)
            ).rstrip()
            for line in table
        )

    __repr__ = __str__

    def _repr_html_(self) -> str:
        mark = HEADERS[self.mode]
        head = (
            "<tr><th><i>i</i></th><th>expression</th>"
            f"<th>v<sub>i</sub></th><th>{mark}<sub>i</sub></th></tr>"
        )
        body = "".join(
            f"<tr><td>{i}</td><td>{_html(expr)}</td>"
            f'<td style="text-align:right">{value}</td>'
            f'<td style="text-align:right">{deriv}</td></tr>'
            for i, expr, value, deriv in self._cells()
        )
        return f'<table class="autodiff-trace">{head}{body}</table>'


def _width(text: str) -> int:
    """Width on screen: combining marks (the dot in v̇) take no room."""
    return sum(not unicodedata.combining(c) for c in text)


def _pad(text: str, width: int, align: str) -> str:
    """Pad ``text`` to ``width`` screen columns, aligned ``"<"`` or ``">"``."""
    fill = " " * (width - _width(text))
    return fill + text if align == ">" else text + fill


def _html(expr: str) -> str:
    """Escape ``expr`` and write ``v_{-1}`` as v<sub>−1</sub>."""

    def sub(match: re.Match[str]) -> str:
        index = (match.group(2) or match.group(3)).replace("-", "−")
        return f"{match.group(1)}<sub>{index}</sub>"

    return _NAME.sub(sub, html.escape(expr))
