"""Line searches (Armijo backtracking, exact) and steepest descent built on them.

A line search picks the step :math:`\\alpha > 0` along a descent direction
:math:`d` (one with :math:`\\nabla f(x)^\\top d < 0`) by looking at the 1-D
function :math:`\\varphi(\\alpha) = f(x + \\alpha d)`. Both searches here work
on Python floats, whatever the device of ``x``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

from .._objective import Objective
from .._validation import check_choice, check_positive
from ..result import OptimizeResult, Status
from ._driver import Callback, Stop, run
from ._scalar import MAX_TRIES, bracket, brent

__all__ = ["LINE_SEARCHES", "backtracking", "exact_line_search", "steepest_descent"]

LINE_SEARCHES = ("exact", "backtracking")

Function = Objective | Callable[[torch.Tensor], torch.Tensor]


def _phi(f: Function, x: torch.Tensor, d: torch.Tensor) -> Callable[[float], float]:
    """:math:`\\alpha \\mapsto f(x + \\alpha d)` as a float; non-finite counts as +inf."""
    objective = f if isinstance(f, Objective) else Objective(f)

    def phi(alpha: float) -> float:
        value = objective.value(x + alpha * d).item()
        return value if math.isfinite(value) else math.inf

    return phi


def _slope(g: torch.Tensor, d: torch.Tensor) -> float:
    """:math:`\\nabla f(x)^\\top d`; a line search needs it negative."""
    slope = float(torch.sum(g * d))
    if not slope < 0:
        raise ValueError(f"d must be a descent direction (g·d < 0), got g·d = {slope}")
    return slope


def _check_fraction(value: Any, name: str) -> float:
    value = check_positive(value, name)
    if value >= 1:
        raise ValueError(f"{name} must be in (0, 1), got {value}")
    return value


def backtracking(
    f: Function,
    x: torch.Tensor,
    fx: torch.Tensor | float,
    g: torch.Tensor,
    d: torch.Tensor,
    *,
    a0: float = 1.0,
    c1: float = 1e-4,
    rho: float = 0.5,
) -> float | None:
    r"""Armijo backtracking: the first :math:`\alpha = a_0 \rho^j` with sufficient decrease.

    Accept the first :math:`\alpha \in \{a_0, \rho a_0, \rho^2 a_0, \dots\}` with

    .. math::

        f(x + \alpha d) \le f(x) + c_1 \alpha \nabla f(x)^\top d
        \quad\text{and}\quad f(x + \alpha d) < f(x).

    The second (strict) test only matters when the decrease is below the
    rounding of ``f``. Returns ``None`` if no step among
    the first 60 trials is accepted. ``f`` is a callable or an
    ``numopt._objective.Objective`` (whose ``nfev`` then counts the trials).

    References
    ----------
    Nocedal and Wright, *Numerical Optimization*, 2nd ed., algorithm 3.1.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([1.0])  # f(x) = x^2 at x = 1,
    >>> g = 2 * x  # where its gradient is 2
    >>> backtracking(lambda x: (x**2).sum(), x, 1.0, g, -g)
    0.5
    """
    alpha = check_positive(a0, "a0")
    c1, rho = _check_fraction(c1, "c1"), _check_fraction(rho, "rho")
    phi, phi0, slope = _phi(f, x, d), float(fx), _slope(g, d)
    for _ in range(MAX_TRIES):
        value = phi(alpha)
        if value <= phi0 + c1 * alpha * slope and value < phi0:
            return alpha
        alpha *= rho
    return None


def exact_line_search(
    f: Function,
    x: torch.Tensor,
    fx: torch.Tensor | float,
    g: torch.Tensor,
    d: torch.Tensor,
    *,
    a0: float = 1.0,
    xtol: float | None = None,
    max_iter: int = 100,
) -> float | None:
    r"""The minimizer :math:`\alpha^\star > 0` of :math:`\varphi(\alpha) = f(x + \alpha d)`.

    First bracket a minimizer: find :math:`0 \le a < b < c` with
    :math:`\varphi(b) < \varphi(a)` and :math:`\varphi(b) < \varphi(c)`,
    shrinking the trial step :math:`a_0` by the golden ratio while it does
    not decrease :math:`\varphi`, or growing it while it does. Then refine
    with Brent's method (golden section and parabolic interpolation) until
    the bracket is shorter than ``xtol`` times :math:`\alpha`; the default
    ``xtol`` is :math:`\sqrt{\varepsilon}` of ``x``'s dtype, the best a
    search on function values can do. On a quadratic the parabola is exact,
    so a few evaluations suffice.

    Returns ``None`` if no step decreases ``f`` (all 60 shrunken trials fail).
    The minimizer found is the one in the first bracket; it is global on a
    convex :math:`\varphi`.

    References
    ----------
    R. P. Brent, *Algorithms for Minimization without Derivatives*,
    Prentice-Hall, 1973, chapter 5. Nocedal and Wright, *Numerical
    Optimization*, 2nd ed., section 3.3 (exact steps on quadratics).

    Examples
    --------
    >>> import torch
    >>> f = lambda x: (x**2).sum()  # phi(a) = (1 - 2a)^2: minimizer 0.5
    >>> x = torch.tensor([1.0], dtype=torch.float64)
    >>> g = 2 * x
    >>> round(exact_line_search(f, x, 1.0, g, -g), 12)
    0.5
    """
    if xtol is None:
        xtol = math.sqrt(torch.finfo(x.dtype).eps)
    xtol = check_positive(xtol, "xtol")
    phi, phi0 = _phi(f, x, d), float(fx)
    _slope(g, d)
    found = bracket(phi, phi0, check_positive(a0, "a0"))
    if found is None:
        return None
    return brent(phi, *found, xtol=xtol, max_iter=max_iter)


def steepest_descent(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    line_search: str = "exact",
    lr: float = 1.0,
    c1: float = 1e-4,
    rho: float = 0.5,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
) -> OptimizeResult:
    r"""Minimize ``f`` by steepest descent with a line search.

    Starting from :math:`x_0`, repeat

    .. math::

        d_k = -\nabla f(x_k), \qquad x_{k+1} = x_k + \alpha_k d_k,

    where the step :math:`\alpha_k` comes from a line search on
    :math:`\varphi(\alpha) = f(x_k + \alpha d_k)`: the exact minimizer
    (``line_search="exact"``, see :func:`exact_line_search`) or the first of
    :math:`\text{lr}, \rho\,\text{lr}, \rho^2\text{lr}, \dots` that satisfies
    Armijo's sufficient-decrease condition
    :math:`f(x_k + \alpha d_k) \le f(x_k) + c_1 \alpha \nabla f(x_k)^\top d_k`
    (``"backtracking"``, see :func:`backtracking`). Either way ``f`` decreases
    at every step. With exact steps, successive directions are orthogonal,
    :math:`d_{k+1}^\top d_k = \varphi'(\alpha_k) = 0`: the zig-zag.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point. A tensor keeps its device and floating dtype; numbers
        and sequences become float64 unless ``dtype`` is given.
    line_search : {"exact", "backtracking"}, optional
        How to choose the step.
    lr : float, optional
        The initial trial step of the line search (``> 0``).
    c1, rho : float, optional
        Armijo constant and backtracking factor, both in ``(0, 1)``
        (used by ``"backtracking"``).
    max_iter : int, optional
        Maximum number of updates (``>= 0``).
    tol : float, optional
        Stop when the gradient norm is at most ``tol`` (``>= 0``).
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
        As for :func:`~numopt.gradient_descent`, with ``extra["steps"]``, the
        accepted step lengths :math:`\alpha_0, \alpha_1, \dots` (floats, one
        per update), and ``extra["line_search"]``. ``nfev`` counts the line
        search's evaluations too. If no step decreases ``f`` (for example when
        the decrease is below rounding), the run stops with
        ``Status.LINESEARCH_FAILED``.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, sections 3.1 (Armijo condition, backtracking) and 3.3 (steepest
    descent with exact steps on quadratics).

    Examples
    --------
    >>> from numopt import steepest_descent
    >>> f = lambda x: 0.5 * (x[0] ** 2 + 10 * x[1] ** 2)
    >>> res = steepest_descent(f, [10.0, 1.0], line_search="exact", tol=1e-10)
    >>> res.success, res.x.abs().max().item() < 1e-9
    (True, True)
    >>> round(res.extra["steps"][0], 6)  # (g.g)/(g.Ag) with g = (10, 10)
    0.181818
    """
    objective = Objective(f)
    line_search = check_choice(line_search, "line_search", LINE_SEARCHES)
    a0 = check_positive(lr, "lr")
    c1, rho = _check_fraction(c1, "c1"), _check_fraction(rho, "rho")
    steps: list[float] = []

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        d = -g
        if not float(torch.sum(g * d)) < 0:  # g.d underflowed to 0: no descent left
            raise Stop(Status.LINESEARCH_FAILED)
        if line_search == "exact":
            alpha = exact_line_search(objective, x, fx, g, d, a0=a0)
        else:
            alpha = backtracking(objective, x, fx, g, d, a0=a0, c1=c1, rho=rho)
        if alpha is None:
            raise Stop(Status.LINESEARCH_FAILED)
        steps.append(alpha)
        return x + alpha * d

    result = run(
        objective,
        x0,
        step,
        method="steepest",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        extra={"steps": steps, "line_search": line_search},
    )
    del steps[result.nit :]  # a step the driver rejected (non-finite gradient)
    return result
