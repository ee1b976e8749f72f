"""Second-order and line-search methods against scipy.optimize on standard problems.

For each problem both libraries run to the same gradient-norm tolerance
``TOL`` from the same start; we report iterations, function evaluations,
the final error and the time. scipy gets the exact gradient (and Hessian for
its Newton method) computed by torch, so both sides pay for autograd.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize
import torch
from harness import measure, progress

import numopt
from numopt.problems import PROBLEMS, himmelblau, rosenbrock

TOL = 1e-8


def quadratic(kappa: float):
    d = torch.logspace(0, np.log10(kappa), 10, dtype=torch.float64)

    def f(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * (d * x**2).sum(-1)

    return f


# each case: objective, start, and its minimizers (the error is the distance
# to the nearest one: from (0, 0) the solvers may find any of Himmelblau's four)
CASES = {
    "rosenbrock (-1.2, 1)": (rosenbrock, [-1.2, 1.0], np.array([[1.0, 1.0]])),
    "himmelblau (0, 0)": (
        himmelblau,
        [0.0, 0.0],
        np.array(PROBLEMS["himmelblau"].minimizers),
    ),
    "quadratic kappa=1e3 (n=10)": (quadratic(1e3), [1.0] * 10, np.zeros((1, 10))),
}


def error(x: np.ndarray, minimizers: np.ndarray) -> float:
    """Distance from ``x`` to the nearest minimizer."""
    return float(np.linalg.norm(minimizers - x, axis=1).min())


OURS = {
    "newton": lambda f, x0: numopt.minimize(
        f, x0, method="newton", tol=TOL, max_iter=200
    ),
    "steepest (armijo)": lambda f, x0: numopt.minimize(
        f, x0, method="steepest", line_search="backtracking", tol=TOL, max_iter=50_000
    ),
}
THEIRS = {"newton": "Newton-CG", "steepest (armijo)": "BFGS"}


def scipy_run(f, x0, method: str):
    def fun(z):
        t = torch.from_numpy(z).requires_grad_(True)
        y = f(t)
        (g,) = torch.autograd.grad(y, t)
        return float(y), g.numpy()

    def hess(z):
        return torch.func.hessian(f)(torch.from_numpy(z)).numpy()

    kw = {"hess": hess} if method == "Newton-CG" else {}
    return scipy.optimize.minimize(
        fun,
        np.asarray(x0, float),
        jac=True,
        method=method,
        tol=TOL,
        options={"maxiter": 50_000},
        **kw,
    )


def run(device: str = "cpu", quick: bool = False) -> dict:
    rows = []
    for case, (f, x0, xstar) in CASES.items():
        for name, ours in OURS.items():
            progress(f"vs scipy: {case}, {name}")
            res = ours(f, x0)
            ref = scipy_run(f, x0, THEIRS[name])
            reps = 3 if quick else 5
            t_ours = measure(lambda: ours(f, x0), repeats=reps, label=f"numopt {name}")
            t_ref = measure(
                lambda: scipy_run(f, x0, THEIRS[name]),
                repeats=reps,
                label=f"scipy {THEIRS[name]}",
            )
            rows.append(
                {
                    "problem": case,
                    "method": name,
                    "scipy_method": THEIRS[name],
                    "numopt": {
                        "nit": res.nit,
                        "nfev": res.nfev,
                        "success": res.success,
                        "error": error(res.x.numpy(), xstar),
                        "time_s": t_ours["median_s"],
                    },
                    "scipy": {
                        "nit": int(ref.nit),
                        "nfev": int(ref.nfev),
                        "success": bool(ref.success),
                        "error": error(ref.x, xstar),
                        "time_s": t_ref["median_s"],
                    },
                }
            )
    return {"rows": rows, "tol": TOL}
