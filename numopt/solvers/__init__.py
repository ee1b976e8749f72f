"""Solvers, one module per family; each returns an :class:`~numopt.OptimizeResult`."""

from .constrained import (
    KKTSolution,
    minimize_on_circle,
    project_ball,
    project_box,
    project_circle,
    projected_gradient_descent,
    solve_kkt,
)
from .coordinate import RULES, coordinate_descent
from .gradient import SCHEDULES, gradient_descent
from .linesearch import LINE_SEARCHES, backtracking, exact_line_search, steepest_descent
from .momentum import momentum, nesterov
from .multistart import MULTISTART_METHODS, MultistartResult, multistart
from .newton import newton
from .preconditioned import jacobi_preconditioner, preconditioned

__all__ = [
    "LINE_SEARCHES",
    "MULTISTART_METHODS",
    "RULES",
    "SCHEDULES",
    "KKTSolution",
    "MultistartResult",
    "backtracking",
    "coordinate_descent",
    "exact_line_search",
    "gradient_descent",
    "jacobi_preconditioner",
    "minimize_on_circle",
    "momentum",
    "multistart",
    "nesterov",
    "newton",
    "preconditioned",
    "project_ball",
    "project_box",
    "project_circle",
    "projected_gradient_descent",
    "solve_kkt",
    "steepest_descent",
]
