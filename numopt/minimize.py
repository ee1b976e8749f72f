"""``minimize``: one entry point that dispatches to every solver by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ._validation import check_callable, check_choice
from .result import OptimizeResult
from .solvers import (
    coordinate_descent,
    gradient_descent,
    momentum,
    nesterov,
    newton,
    preconditioned,
    projected_gradient_descent,
    steepest_descent,
)

__all__ = ["METHODS", "minimize"]

#: Solver for each ``method`` name accepted by :func:`minimize`.
METHODS: dict[str, Callable[..., OptimizeResult]] = {
    "gd": gradient_descent,
    "steepest": steepest_descent,
    "coordinate": coordinate_descent,
    "momentum": momentum,
    "nesterov": nesterov,
    "preconditioned": preconditioned,
    "newton": newton,
    "projected": projected_gradient_descent,
}


def minimize(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    method: str = "gd",
    **options: Any,
) -> OptimizeResult:
    """Minimize a scalar function of a tensor, scipy-style.

    Parameters
    ----------
    f : callable
        Objective: tensor in, scalar tensor out, built from torch operations.
    x0 : float, sequence or torch.Tensor
        Starting point; the solver keeps its device.
    method : str, optional
        Name of the solver, a key of ``numopt.METHODS``: ``"gd"``,
        ``"steepest"``, ``"coordinate"``, ``"momentum"``, ``"nesterov"``,
        ``"preconditioned"``, ...
    **options
        Passed to the solver (``lr``, ``max_iter``, ``tol``, ``callback``,
        ``dtype``, ``record_path`` and the method's own options such as
        ``schedule``, ``beta``, ``P``, ``line_search``, ``rule`` or
        ``compile`` (``"gd"``, ``"momentum"``, ``"nesterov"``); see each
        solver's documentation.

    Returns
    -------
    OptimizeResult

    Examples
    --------
    >>> from numopt import minimize
    >>> res = minimize(lambda x: (x**2).sum(), [1.0, -2.0], method="gd", lr=0.5)
    >>> res.success, res.x.tolist()
    (True, [0.0, 0.0])
    """
    check_callable(f, "f")
    solver = METHODS[check_choice(method, "method", tuple(METHODS))]
    return solver(f, x0, **options)
