"""Elementary operations: values, local partial derivatives and notation.

Every operation the engine knows is described once here, on plain floats.
Forward mode and reverse mode both use the same local partials
:math:`\\partial v_i / \\partial v_j`; they only differ in how they chain them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One elementary operation.

    Parameters
    ----------
    template : str
        How a trace row writes the operation, e.g. ``"{0} × {1}"``.
    value : callable
        Computes the result from the operand values.
    partials : callable
        Computes the local partial derivative with respect to every operand.
    """

    template: str
    value: Callable[..., float]
    partials: Callable[..., tuple[float, ...]]


def _check_log(x: float) -> float:
    if x <= 0:
        raise ValueError(f"log is undefined for non-positive input {x!r}")
    return math.log(x)


def _check_div(a: float, b: float) -> float:
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a!r} / {b!r} (denominator is 0)")
    return a / b


RULES: dict[str, Rule] = {
    "add": Rule("{0} + {1}", lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": Rule("{0} − {1}", lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": Rule("{0} × {1}", lambda a, b: a * b, lambda a, b: (b, a)),
    "div": Rule("{0} / {1}", _check_div, lambda a, b: (1 / b, -(a / b) / b)),
    "neg": Rule("−{0}", lambda a: -a, lambda a: (-1.0,)),
    "log": Rule("ln {0}", _check_log, lambda a: (1 / a,)),
    "exp": Rule("exp {0}", math.exp, lambda a: (math.exp(a),)),
    "sin": Rule("sin {0}", math.sin, lambda a: (math.cos(a),)),
    "cos": Rule("cos {0}", math.cos, lambda a: (-math.sin(a),)),
    "tanh": Rule("tanh {0}", math.tanh, lambda a: (1 - math.tanh(a) ** 2,)),
    "id": Rule("{0}", lambda a: a, lambda a: (1.0,)),
}
"""The rules for every operation except ``pow``, keyed by op label."""

POW_TEMPLATE = "{0}^{1}"
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
"""Python spelling of the binary operators, used in error messages."""


def power(a: float, b: float, a_is_var: bool, b_is_var: bool) -> tuple[float, ...]:
    """Value and partials of :math:`a^b`, with a rule that depends on the case.

    Parameters
    ----------
    a, b : float
        Base and exponent values.
    a_is_var, b_is_var : bool
        Whether base and exponent are variables (``False`` means a constant).

    Returns
    -------
    tuple of float
        ``(value, d/da, d/db)``; the partial for a constant is ``0.0``.

    Notes
    -----
    .. math::

        \\frac{d}{dx} x^n = n x^{n-1}, \\qquad
        \\frac{d}{dx} c^x = c^x \\ln c, \\qquad
        \\frac{\\partial}{\\partial x} x^y = y x^{y-1}, \\quad
        \\frac{\\partial}{\\partial y} x^y = x^y \\ln x .

    Examples
    --------
    >>> power(3.0, 2.0, True, False)
    (9.0, 6.0, 0.0)
    """
    if b_is_var and a <= 0:
        case = "x ** y" if a_is_var else "c ** x"
        raise ValueError(f"{case} needs a positive base, got base {a!r}")
    if a == 0 and b < 0:
        raise ZeroDivisionError(f"0 ** {b!r} is a division by zero")
    if a < 0 and b != int(b):
        raise ValueError(
            f"x ** n with negative base {a!r} needs an integer exponent, got {b!r}"
        )
    if a == 0 and 0 < b < 1:
        raise ValueError(f"x ** {b!r} is not differentiable at x = 0")
    value = a**b
    d_a = 0.0 if not a_is_var or b == 0 else b * a ** (b - 1)
    d_b = value * math.log(a) if b_is_var else 0.0
    return float(value), float(d_a), float(d_b)


def evaluate(
    op: str, values: tuple[float, ...], is_var: tuple[bool, ...]
) -> tuple[float, tuple[float, ...]]:
    """Apply operation ``op`` to plain floats.

    Parameters
    ----------
    op : str
        Op label, a key of :data:`RULES` or ``"pow"``.
    values : tuple of float
        Operand values.
    is_var : tuple of bool
        Which operands are variables (only ``pow`` needs to know).

    Returns
    -------
    value : float
        :math:`v_i = \\varphi(v_j, \\dots)`.
    partials : tuple of float
        :math:`\\partial v_i / \\partial v_j` for every operand.

    Examples
    --------
    >>> evaluate("mul", (2.0, 5.0), (True, True))
    (10.0, (5.0, 2.0))
    """
    if op == "pow":
        value, d_a, d_b = power(values[0], values[1], is_var[0], is_var[1])
        return value, (d_a, d_b)
    rule = RULES[op]
    value = float(rule.value(*values))
    return value, tuple(float(p) for p in rule.partials(*values))


def template(op: str) -> str:
    """Return the format string that writes ``op`` in a trace row.

    Examples
    --------
    >>> template("sub").format("v_4", "v_3")
    'v_4 − v_3'
    """
    return POW_TEMPLATE if op == "pow" else RULES[op].template


def name(index: int, letter: str = "v") -> str:
    """Write the name of :math:`v_i` as in the lecture.

    Examples
    --------
    >>> name(3), name(-1), name(12), name(1, "x")
    ('v_3', 'v_{-1}', 'v_{12}', 'x_1')
    """
    return f"{letter}_{index}" if 0 <= index <= 9 else f"{letter}_{{{index}}}"


def constant(c: float) -> str:
    """Write a constant operand, negative ones in parentheses.

    Examples
    --------
    >>> constant(3.0), constant(0.5), constant(-2)
    ('3', '0.5', '(−2)')
    """
    text = f"{float(c):g}"
    return f"(−{text[1:]})" if text.startswith("-") else text
