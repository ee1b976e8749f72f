"""Elementary functions that work on numbers, dual numbers and graph nodes.

Write ``f`` once with these functions and it runs in plain evaluation,
:func:`~numopt.autodiff.forward` and :func:`~numopt.autodiff.reverse` alike.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, overload

from numopt.autodiff import rules
from numopt.autodiff.variable import V, Variable, apply


@overload
def _dispatch(op: str, x: V) -> V: ...
@overload
def _dispatch(op: str, x: float) -> float: ...
def _dispatch(op: str, x: Any) -> Any:
    """Record ``op`` on a variable, or evaluate it on a plain number."""
    if isinstance(x, Variable):
        return apply(op, x)
    if isinstance(x, Real):
        return rules.evaluate(op, (float(x),), (False,))[0]
    raise TypeError(f"{op} expects a number or a variable, got {type(x).__name__}")


def log(x: Any) -> Any:
    """Natural logarithm, :math:`v_i = \\ln v_j`, with local partial.

    .. math:: \\frac{\\partial v_i}{\\partial v_j} = \\frac{1}{v_j}, \\qquad v_j > 0 .

    Parameters
    ----------
    x : float, Dual or Node
        Positive argument.

    Returns
    -------
    float, Dual or Node
        Same kind as ``x``.

    Examples
    --------
    >>> round(log(2.0), 4)
    0.6931
    """
    return _dispatch("log", x)


def exp(x: Any) -> Any:
    """Exponential, :math:`v_i = e^{v_j}`.

    .. math:: \\frac{\\partial v_i}{\\partial v_j} = e^{v_j} .

    Parameters
    ----------
    x : float, Dual or Node
        Argument.

    Returns
    -------
    float, Dual or Node
        Same kind as ``x``.

    Examples
    --------
    >>> exp(0)
    1.0
    """
    return _dispatch("exp", x)


def sin(x: Any) -> Any:
    """Sine, :math:`v_i = \\sin v_j`.

    .. math:: \\frac{\\partial v_i}{\\partial v_j} = \\cos v_j .

    Parameters
    ----------
    x : float, Dual or Node
        Argument in radians.

    Returns
    -------
    float, Dual or Node
        Same kind as ``x``.

    Examples
    --------
    >>> sin(0.0)
    0.0
    """
    return _dispatch("sin", x)


def cos(x: Any) -> Any:
    """Cosine, :math:`v_i = \\cos v_j`.

    .. math:: \\frac{\\partial v_i}{\\partial v_j} = -\\sin v_j .

    Parameters
    ----------
    x : float, Dual or Node
        Argument in radians.

    Returns
    -------
    float, Dual or Node
        Same kind as ``x``.

    Examples
    --------
    >>> cos(0.0)
    1.0
    """
    return _dispatch("cos", x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent, :math:`v_i = \\tanh v_j`.

    .. math:: \\frac{\\partial v_i}{\\partial v_j} = 1 - \\tanh^2 v_j .

    Parameters
    ----------
    x : float, Dual or Node
        Argument.

    Returns
    -------
    float, Dual or Node
        Same kind as ``x``.

    Examples
    --------
    >>> tanh(0.0)
    0.0
    """
    return _dispatch("tanh", x)
