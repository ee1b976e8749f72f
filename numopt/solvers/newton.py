"""Newton's method: damped by a backtracking line search, with a modified-Newton
fallback where the Hessian is not positive definite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .._objective import Objective
from ..result import OptimizeResult, Status
from ._driver import Callback, Stop, run
from .linesearch import backtracking

__all__ = ["newton"]

_C1 = 1e-4  # Armijo's sufficient-decrease constant
_BETA = 1e-3  # first shift tried by the modified Newton fallback (N&W Alg. 3.3)
_MAX_SHIFTS = 100  # doublings of the shift before falling back to -g


def _hessian(objective: Objective, x: torch.Tensor) -> torch.Tensor:
    """The Hessian of ``f`` at ``x`` as an ``(n, n)`` matrix (``n = x.numel()``)."""

    def scalar_f(z: torch.Tensor) -> torch.Tensor:
        return objective.f(z).reshape(())

    n = x.numel()
    return torch.func.hessian(scalar_f)(x.detach()).reshape(n, n)


def _shifted_cholesky(h: torch.Tensor) -> tuple[torch.Tensor | None, float]:
    """Cholesky factor of ``H + tau I`` for the smallest ``tau`` tried that works.

    Nocedal & Wright, Algorithm 3.3: start from ``tau = 0`` if the diagonal is
    positive, else from ``-min(diag) + beta``, and double ``tau`` until the
    factorization succeeds. Returns ``(None, tau)`` if it never does.
    """
    eye = torch.eye(h.shape[0], dtype=h.dtype, device=h.device)
    min_diag = float(h.diagonal().min())
    tau = 0.0 if min_diag > 0 else _BETA - min_diag
    for _ in range(_MAX_SHIFTS):
        factor, info = torch.linalg.cholesky_ex(h + tau * eye)
        if int(info) == 0:
            return factor, tau
        tau = max(2.0 * tau, _BETA)
    return None, tau


def _direction(
    h: torch.Tensor, g: torch.Tensor, fallback: bool
) -> tuple[torch.Tensor, str]:
    """Solve ``H d = -g``; with ``fallback``, make sure ``d`` is a descent direction.

    Returns ``d`` and its kind: ``"newton"`` (H positive definite),
    ``"modified"`` (``(H + tau I) d = -g``) or ``"gradient"`` (``d = -g``).
    """
    if not fallback:
        d, info = torch.linalg.solve_ex(h, -g)
        if int(info) != 0:  # singular Hessian: the Newton step does not exist
            d = torch.full_like(g, float("nan"))
        return d, "newton"
    if bool(torch.isfinite(h).all()):
        factor, tau = _shifted_cholesky(h)
        if factor is not None:
            d = torch.cholesky_solve(-g.unsqueeze(-1), factor).squeeze(-1)
            if float(g @ d) < 0:
                return d, "newton" if tau == 0 else "modified"
    return -g, "gradient"


def newton(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    max_iter: int = 100,
    tol: float = 1e-8,
    line_search: bool = True,
    fallback: bool = True,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
) -> OptimizeResult:
    r"""Minimize ``f`` by Newton's method.

    Starting from :math:`x_0`, repeat

    .. math::

        \nabla^2 f(x_k)\, d_k = -\nabla f(x_k), \qquad
        x_{k+1} = x_k + t_k d_k,

    until :math:`\|\nabla f(x_k)\|_2 \le \text{tol}` or ``max_iter`` updates.
    The Hessian comes from :func:`torch.func.hessian`, the gradient from
    autograd. With ``line_search=True`` the step :math:`t_k` is the first of
    :math:`1, \tfrac12, \tfrac14, \dots` that satisfies Armijo's condition
    :math:`f(x_k + t d_k) \le f(x_k) + c_1 t \nabla f(x_k)^T d_k` with
    :math:`c_1 = 10^{-4}`; otherwise :math:`t_k = 1` (the pure Newton step).

    With ``fallback=True``, where the Hessian is not positive definite (its
    Cholesky factorization fails, or :math:`d_k` is not a descent direction)
    the direction solves :math:`(\nabla^2 f(x_k) + \tau I)\, d_k = -\nabla
    f(x_k)` instead, for the first :math:`\tau` of :math:`\tau_0, 2\tau_0,
    4\tau_0, \dots` that makes the matrix positive definite (modified Newton,
    Nocedal & Wright Algorithm 3.3), or :math:`d_k = -\nabla f(x_k)` if that
    fails. With ``fallback=False`` the direction is always the Newton one;
    ``line_search=False, fallback=False`` is pure Newton, which solves
    :math:`\nabla f(x) = 0` and so is attracted to saddle points and maxima
    as much as to minima (see the example below).

    On a strictly convex quadratic the first Newton step lands on the
    minimizer; near a minimizer with a positive definite Hessian the
    convergence is quadratic, :math:`\|x_{k+1} - x^\star\| \le C \|x_k -
    x^\star\|^2`.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations that :mod:`torch.func` can
        differentiate twice.
    x0 : float, sequence or torch.Tensor
        Starting point (a 0-d start is treated as a 1-by-1 problem). A tensor
        keeps its device and floating dtype; numbers and sequences become
        float64 unless ``dtype`` is given.
    max_iter : int, optional
        Maximum number of updates (``>= 0``).
    tol : float, optional
        Stop when the gradient norm is at most ``tol`` (``>= 0``).
    line_search : bool, optional
        Damp the step by Armijo backtracking (``True``) or always take the
        full step ``t = 1`` (``False``). Without ``fallback`` a Newton
        direction that points uphill makes the line search fail.
    fallback : bool, optional
        Replace a direction that is not a descent direction (indefinite
        Hessian) by the modified Newton or the steepest-descent direction.
    callback : callable, optional
        Called as ``callback(k, x_k, f(x_k))`` after each update; return
        ``True`` to stop.
    dtype : torch.dtype, optional
        Floating dtype for the iterates.
    record_path : bool, optional
        Keep every iterate in ``result.path``.

    Returns
    -------
    OptimizeResult
        ``method="newton"``. ``nfev`` counts the evaluations of ``f`` with its
        gradient and the line-search trials; the Hessian evaluations are
        counted apart, in ``extra["nhev"]``. ``extra`` holds, one entry per
        Newton step computed (a run that ends on a failed step has one more
        entry than ``nit``): ``"min_eigenvalues"`` (smallest eigenvalue of
        the Hessian at :math:`x_k`), ``"directions"`` (``"newton"``, ``"modified"`` or
        ``"gradient"``) and ``"step_lengths"`` (:math:`t_k`); plus
        ``"fallbacks"`` (int, how many updates did not use the Newton
        direction) and ``"nhev"`` (Hessian evaluations). A failed line search
        ends the run with ``Status.LINESEARCH_FAILED``; a singular Hessian in
        pure Newton or a non-finite iterate ends it with ``Status.DIVERGED``.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, sections 3.1 (backtracking), 3.3 (rate of Newton's method) and 3.4
    (Newton's method with Hessian modification).

    Examples
    --------
    Rosenbrock's function from the classic start:

    >>> from numopt.problems import rosenbrock
    >>> res = newton(rosenbrock, [-1.2, 1.0])
    >>> res.success, [round(v, 8) for v in res.x.tolist()]
    (True, [1.0, 1.0])

    :math:`f(x, y) = x^2 - y^2 + y^4/4` has a saddle point at the origin
    (Hessian eigenvalues 2 and -2) and minima at :math:`(0, \pm\sqrt 2)`.
    Pure Newton from (1, 0.5) converges to the saddle; the safeguarded
    method, which falls back to a modified direction while the Hessian is
    indefinite, finds a minimizer:

    >>> def f(x):
    ...     return x[0] ** 2 - x[1] ** 2 + x[1] ** 4 / 4
    >>> pure = newton(f, [1.0, 0.5], line_search=False, fallback=False)
    >>> [round(v, 8) + 0.0 for v in pure.x.tolist()]
    [0.0, 0.0]
    >>> round(pure.extra["min_eigenvalues"][-1], 6)
    -2.0
    >>> safe = newton(f, [1.0, 0.5])
    >>> [round(v, 6) for v in safe.x.tolist()], safe.extra["fallbacks"] > 0
    ([0.0, 1.414214], True)
    """
    objective = Objective(f)
    extra: dict[str, Any] = {
        "fallbacks": 0,
        "nhev": 0,
        "min_eigenvalues": [],
        "directions": [],
        "step_lengths": [],
    }

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        h = _hessian(objective, x)
        extra["nhev"] += 1
        finite = bool(torch.isfinite(h).all())
        extra["min_eigenvalues"].append(
            float(torch.linalg.eigvalsh(h)[0]) if finite else float("nan")
        )
        d, kind = _direction(h, g.reshape(-1), fallback)
        d = d.reshape(x.shape)
        extra["directions"].append(kind)
        extra["fallbacks"] += kind != "newton"
        t: float | None = 1.0
        if line_search:  # rounding can leave a fallback direction uphill
            descent = float((g * d).sum()) < 0
            t = backtracking(objective, x, fx, g, d, c1=_C1) if descent else None
        if t is None:
            raise Stop(Status.LINESEARCH_FAILED)
        extra["step_lengths"].append(t)
        return x + t * d

    return run(
        objective,
        x0,
        step,
        method="newton",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        extra=extra,
    )
