"""Forward mode: dual numbers carry a tangent along with every value."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from numopt.autodiff import rules
from numopt.autodiff.trace import Trace
from numopt.autodiff.variable import Tape, Variable, check_inputs, check_numbers, finish


class Dual(Variable):
    """A dual number :math:`v_i + \\dot v_i\\,\\varepsilon`, :math:`\\varepsilon^2 = 0`.

    The tangent of a new variable is the chain rule applied once, right when
    it is created:

    .. math::

        \\dot v_i = \\sum_{j \\in \\text{parents}(i)}
        \\frac{\\partial v_i}{\\partial v_j}\\, \\dot v_j .

    Parameters
    ----------
    *args, **kwargs
        As for :class:`~numopt.autodiff.variable.Variable`.
    tangent : float, optional
        :math:`\\dot v_i`; computed from the parents when not given.

    Examples
    --------
    >>> from numopt.autodiff.variable import Tape
    >>> x = Dual(Tape(1), 3.0, "input", expr="x_1", tangent=1.0)
    >>> y = x * x + 1
    >>> y.value, y.tangent
    (10.0, 6.0)
    """

    __slots__ = ("tangent",)
    parents: tuple[Dual, ...]
    tangent: float

    def __init__(self, *args: Any, tangent: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tangent is None:
            tangent = sum(
                d * p.tangent for d, p in zip(self.partials, self.parents, strict=True)
            )
        self.tangent = float(tangent)


@dataclass(frozen=True)
class ForwardResult:
    """Result of :func:`forward`.

    Parameters
    ----------
    value : float
        :math:`f(x)`.
    derivative : float
        Directional derivative :math:`\\nabla f(x)^\\top d`.
    trace : Trace
        The evaluation trace with the tangents :math:`\\dot v_i`.
    """

    value: float
    derivative: float
    trace: Trace


def forward(
    f: Callable[..., Any], inputs: Sequence[float], direction: Sequence[float]
) -> ForwardResult:
    """Evaluate ``f`` and its directional derivative in forward mode.

    Parameters
    ----------
    f : callable
        Called as ``f(*variables)``; written with ``+ - * / **`` and the ops
        :func:`~numopt.autodiff.log`, ``exp``, ``sin``, ``cos``, ``tanh``.
    inputs : sequence of float
        The point :math:`x \\in \\mathbb{R}^n`.
    direction : sequence of float
        The seed :math:`d = (\\dot v_{1-n}, \\dots, \\dot v_0)`, same length.

    Returns
    -------
    ForwardResult
        ``value`` :math:`f(x)`, ``derivative`` and the ``trace``.

    Notes
    -----
    One forward sweep gives one directional derivative:

    .. math::

        \\dot y = \\nabla f(x)^\\top d
        = \\lim_{t \\to 0} \\frac{f(x + t d) - f(x)}{t} .

    Examples
    --------
    >>> from numopt.autodiff import forward, lecture_example
    >>> res = forward(lecture_example, [2.0, 5.0], [1.0, 0.0])
    >>> round(res.value, 4), res.derivative
    (11.6521, 5.5)
    >>> round(forward(lecture_example, [2, 5], [0, 1]).derivative, 4)
    1.7163
    """
    x = check_inputs(f, inputs)
    d = check_numbers(direction, "direction")
    if len(d) != len(x):
        raise ValueError(
            f"direction must have one entry per input: got {len(d)}, expected {len(x)}"
        )
    tape = Tape(len(x))
    variables = [
        Dual(tape, xk, "input", expr=rules.name(k + 1, "x"), tangent=dk)
        for k, (xk, dk) in enumerate(zip(x, d, strict=True))
    ]
    out = finish(tape, f(*variables), Dual)
    if not math.isfinite(out.tangent):
        raise OverflowError(
            f"the directional derivative is {out.tangent!r}: a tangent overflowed"
        )
    return ForwardResult(out.value, out.tangent, Trace("forward", tape.rows("tangent")))
