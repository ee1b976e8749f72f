"""numopt: the solvers, autodiff demos and plotting helpers behind the lecture.

The public names are re-exported here; each lives in the module named after it.
"""

from . import autodiff, problems
from .minimize import METHODS, minimize
from .plotting import plot_objective_1d
from .result import OptimizeResult, Status
from .solvers import gradient_descent

__all__ = [
    "METHODS",
    "autodiff",
    "OptimizeResult",
    "Status",
    "gradient_descent",
    "minimize",
    "plot_objective_1d",
    "problems",
]

__version__ = "0.1.0"
