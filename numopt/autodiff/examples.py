"""The lecture's worked example, shared by the chapters and the tests."""

from __future__ import annotations

from typing import Any

from numopt.autodiff.ops import log, sin


def lecture_example(x1: Any, x2: Any) -> Any:
    """The lecture's :math:`f(x_1, x_2) = \\ln x_1 + x_1 x_2 - \\sin x_2`.

    Rows are numbered in evaluation order, so the intermediate variables are
    computed one per line, in the order of the lecture's table:

    .. math::

        v_1 = \\ln v_{-1}, \\quad v_2 = v_{-1} v_0, \\quad v_3 = \\sin v_0,
        \\quad v_4 = v_1 + v_2, \\quad v_5 = v_4 - v_3 .

    (Written as ``log(x1) + x1 * x2 - sin(x2)``, Python would compute the sum
    before the sine, and the sine would become :math:`v_4`.)

    Parameters
    ----------
    x1, x2 : float, Dual or Node
        The two inputs.

    Returns
    -------
    float, Dual or Node
        :math:`y = v_5`.

    Examples
    --------
    >>> round(lecture_example(2.0, 5.0), 4)
    11.6521
    """
    v1 = log(x1)
    v2 = x1 * x2
    v3 = sin(x2)
    return v1 + v2 - v3
