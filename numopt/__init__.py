"""numopt: the solvers, autodiff demos and plotting helpers behind the lecture.

The solvers and result types are re-exported here; each lives in the module
named after its family (``numopt.solvers.newton``, ...). The teaching autodiff
engine, the convexity checks, the plotting helpers and the test problems are
modules of their own: ``numopt.autodiff``, ``numopt.convexity``,
``numopt.plotting``, ``numopt.problems``.
"""

from . import autodiff, convexity, plotting, problems
from .minimize import METHODS, minimize
from .plotting import plot_objective_1d
from .result import OptimizeResult, Status
from .solvers import (
    KKTSolution,
    MultistartResult,
    backtracking,
    coordinate_descent,
    exact_line_search,
    gradient_descent,
    jacobi_preconditioner,
    minimize_on_circle,
    momentum,
    multistart,
    nesterov,
    newton,
    preconditioned,
    project_ball,
    project_box,
    project_circle,
    projected_gradient_descent,
    solve_kkt,
    steepest_descent,
)

__all__ = [
    "METHODS",
    "KKTSolution",
    "MultistartResult",
    "OptimizeResult",
    "Status",
    "autodiff",
    "backtracking",
    "convexity",
    "coordinate_descent",
    "exact_line_search",
    "gradient_descent",
    "jacobi_preconditioner",
    "minimize",
    "minimize_on_circle",
    "momentum",
    "multistart",
    "nesterov",
    "newton",
    "plot_objective_1d",
    "plotting",
    "preconditioned",
    "problems",
    "project_ball",
    "project_box",
    "project_circle",
    "projected_gradient_descent",
    "solve_kkt",
    "steepest_descent",
]

__version__ = "0.1.0"
