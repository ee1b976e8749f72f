"""Constrained optimization (lecture section 2.5): projections, projected
gradient descent, the unit-circle reparametrization and the KKT system of an
equality-constrained quadratic program."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from .._objective import Objective
from .._validation import as_start, check_callable, check_positive
from ..result import OptimizeResult
from ._driver import Callback, run
from .gradient import gradient_descent

__all__ = [
    "KKTSolution",
    "minimize_on_circle",
    "project_ball",
    "project_box",
    "project_circle",
    "projected_gradient_descent",
    "solve_kkt",
]

Bound = float | torch.Tensor


def _like(value: Any, x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(value, dtype=x.dtype, device=x.device)


def project_box(x: torch.Tensor, low: Bound, high: Bound) -> torch.Tensor:
    r"""Project onto the box :math:`\{z : \text{low} \le z \le \text{high}\}`.

    .. math:: P(x)_i = \min(\max(x_i, \text{low}_i), \text{high}_i)

    ``low`` and ``high`` are numbers or tensors that broadcast against ``x``
    (an infinite bound leaves that side open).

    Examples
    --------
    >>> import torch
    >>> project_box(torch.tensor([-2.0, 0.5, 3.0]), 0.0, 1.0)
    tensor([0.0000, 0.5000, 1.0000])
    """
    low, high = _like(low, x), _like(high, x)
    if not bool((low <= high).all()):  # NaN fails this too
        raise ValueError("low must be <= high in every coordinate (and not NaN)")
    return torch.clamp(x, low, high)


def project_ball(
    x: torch.Tensor, center: Bound = 0.0, radius: float = 1.0
) -> torch.Tensor:
    r"""Project onto the closed ball :math:`\{z : \|z - c\|_2 \le r\}`.

    .. math:: P(x) = c + \frac{x - c}{\max(1, \|x - c\|_2 / r)}

    The last dimension of ``x`` holds the coordinates, so a batch of points
    ``(B, n)`` is projected point by point; a 0-d ``x`` is a point of the
    real line (the ball is the interval :math:`[c - r, c + r]`).

    Examples
    --------
    >>> import torch
    >>> project_ball(torch.tensor([3.0, 4.0]))
    tensor([0.6000, 0.8000])
    """
    radius = check_positive(radius, "radius")
    center = _like(center, x)
    diff = x - center
    if x.ndim == 0:
        norm = diff.abs()
    else:
        scaled, m = _scaled(diff)
        norm = m * torch.linalg.vector_norm(scaled, dim=-1, keepdim=True)
    scale = torch.where(norm > radius, radius / norm, torch.ones_like(norm))
    return center + diff * scale


def project_circle(x: torch.Tensor) -> torch.Tensor:
    r"""Project onto the unit circle (sphere) :math:`\{z : \|z\|_2 = 1\}`.

    .. math:: P(x) = x / \|x\|_2, \qquad P(0) = (1, 0, \dots, 0)

    Every point of the circle is equally close to the origin, so there
    ``P`` picks the fixed point :math:`e_1 = (1, 0)`. The last dimension of
    ``x`` holds the coordinates. The circle is not convex: this projection is
    idempotent but, unlike :func:`project_box` and :func:`project_ball`, not
    nonexpansive (two points close to 0 can land far apart).

    Examples
    --------
    >>> import torch
    >>> project_circle(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    tensor([[0.6000, 0.8000],
            [1.0000, 0.0000]])
    """
    if x.ndim == 0:
        raise ValueError(
            "x must have a last dimension of coordinates, got a 0-d tensor"
        )
    y, m = _scaled(x)
    norm = torch.linalg.vector_norm(y, dim=-1, keepdim=True)
    e1 = torch.zeros_like(x)
    e1[..., 0] = 1
    return torch.where(m > 0, y / torch.where(m > 0, norm, 1), e1)


def _scaled(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x / m`` and ``m = max |x_i|`` along the last dimension (``x`` where m = 0).

    The norm of ``x / m`` is safe to compute: the squares of 1e-158 underflow
    and those of 1e200 overflow, those of numbers in [-1, 1] with one of
    them ±1 do neither.
    """
    m = torch.linalg.vector_norm(x, ord=math.inf, dim=-1, keepdim=True)
    return x / torch.where(m > 0, m, 1), m


class _GradientMapping(Objective):
    """``f`` with its gradient replaced by the gradient mapping of ``project``.

    ``G(x) = (x - P(x - lr ∇f(x))) / lr``, so that a gradient step of length
    ``lr`` along ``-G`` is the projected gradient step, and ``‖G‖ <= tol`` is
    the stopping rule. The projected point itself is kept, so that the step
    returns it exactly (feasible up to the projection's own rounding).
    """

    def __init__(
        self, f: Callable[..., torch.Tensor], project: Callable, lr: float
    ) -> None:
        super().__init__(f)
        self.project, self.lr = project, lr
        self.point = self.projected = torch.empty(0)

    def value_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        fx, g = super().value_and_grad(x)
        with torch.no_grad():
            p = self.project(x - self.lr * g)
        self.point, self.projected = x, p
        return fx, (x - p) / self.lr


def projected_gradient_descent(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    project: Callable[[torch.Tensor], torch.Tensor],
    lr: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
) -> OptimizeResult:
    r"""Minimize ``f`` over a set by projected gradient descent.

    Starting from :math:`x_0 = P(x_0)` (the start is projected first), repeat

    .. math::

        x_{k+1} = P\bigl(x_k - \alpha \nabla f(x_k)\bigr),

    where :math:`P` is the Euclidean projection onto the feasible set, until
    the norm of the *gradient mapping*

    .. math::

        G_\alpha(x_k) = \frac{x_k - P(x_k - \alpha \nabla f(x_k))}{\alpha}

    is at most ``tol``, or ``max_iter`` updates. :math:`G_\alpha(x) = 0`
    exactly at the fixed points of the update, which for a convex set are the
    points satisfying the first-order optimality condition; inside the set
    :math:`G_\alpha = \nabla f`, whereas at a constrained minimizer on the
    boundary :math:`\nabla f \ne 0` but :math:`G_\alpha = 0`.

    Parameters
    ----------
    f : callable
        Objective: tensor shaped like ``x0`` in, scalar tensor out.
    x0 : float, sequence or torch.Tensor
        Starting point (need not be feasible).
    project : callable
        The projection :math:`P`, tensor in, tensor of the same shape out;
        e.g. ``lambda x: project_box(x, 0, 1)`` or :func:`project_ball`.
    lr : float, optional
        Step size :math:`\alpha > 0`.
    max_iter : int, optional
        Maximum number of updates (``>= 0``).
    tol : float, optional
        Stop when :math:`\|G_\alpha(x_k)\|_2 \le` ``tol`` (``>= 0``).
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
        ``method="projected"``; ``grad_norm`` is :math:`\|G_\alpha(x)\|_2`,
        the norm of the gradient mapping (not of :math:`\nabla f`). Statuses
        and the divergence rule are those of :func:`gradient_descent`.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, section 16.7 (gradient projection). A. Beck, *First-Order Methods
    in Optimization*, SIAM, 2017, chapter 10 (the gradient mapping).

    Examples
    --------
    Minimize :math:`(x - 2)^2 + (y + 3)^2` over the unit square
    :math:`[0, 1]^2`; the minimizer is the corner (1, 0):

    >>> import torch
    >>> f = lambda x: (x[0] - 2) ** 2 + (x[1] + 3) ** 2
    >>> res = projected_gradient_descent(
    ...     f, [0.5, 0.5], project=lambda x: project_box(x, 0.0, 1.0), lr=0.1
    ... )
    >>> res.success, res.x.tolist()
    (True, [1.0, 0.0])
    """
    check_callable(project, "project")
    lr = check_positive(lr, "lr")
    start = as_start(x0, dtype)
    x_start = project(start)
    if not isinstance(x_start, torch.Tensor) or x_start.shape != start.shape:
        raise ValueError("project must return a tensor of the same shape as its input")
    if x_start.dtype != start.dtype or x_start.device != start.device:
        raise TypeError(
            f"project must keep the dtype and device of its input: it turned "
            f"{start.dtype} on {start.device} into {x_start.dtype} on "
            f"{x_start.device}"
        )
    objective = _GradientMapping(f, project, lr)

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        if x is not objective.point:  # the driver hands back the point it evaluated
            objective.value_and_grad(x)
        return objective.projected

    return run(
        objective,
        x_start,
        step,
        method="projected",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
    )


def minimize_on_circle(
    f: Callable[[torch.Tensor], torch.Tensor], theta0: Any, **options: Any
) -> OptimizeResult:
    r"""Minimize ``f`` on the unit circle through the angle :math:`\theta`.

    The lecture's reparametrization: instead of the constrained problem
    :math:`\min f(x)` subject to :math:`\|x\|_2 = 1`, :math:`x \in
    \mathbb{R}^2`, minimize the unconstrained

    .. math::

        g(\theta) = f\bigl([\cos\theta, \sin\theta]^T\bigr)

    by gradient descent, :math:`\theta_{k+1} = \theta_k - \alpha
    g'(\theta_k)`, and return :math:`[\cos\theta^\star, \sin\theta^\star]`.

    Parameters
    ----------
    f : callable
        Objective on :math:`\mathbb{R}^2`: a tensor of shape ``(2,)`` in, a
        scalar tensor out.
    theta0 : float or torch.Tensor
        Starting angle (a 0-d tensor keeps its device and dtype).
    **options
        Passed to :func:`numopt.gradient_descent` (``lr``, ``max_iter``,
        ``tol``, ``schedule``, ``callback``, ``dtype``, ...).

    Returns
    -------
    OptimizeResult
        ``x`` is the point on the circle, shape ``(2,)``; ``path`` the
        iterates on the circle, shape ``(nit + 1, 2)``; ``grad_norm`` is
        :math:`|g'(\theta)|`, the tangential component of :math:`\nabla f`;
        ``extra["theta"]`` (float) and ``extra["theta_path"]`` (tensor) hold
        the angle and its iterates. ``method="circle"``.

    Examples
    --------
    For :math:`f(x) = c^T x` the minimizer on the circle is
    :math:`-c / \|c\|`; with :math:`c = (3, 4)` that is :math:`(-0.6, -0.8)`:

    >>> import torch
    >>> res = minimize_on_circle(lambda x: 3 * x[0] + 4 * x[1], 0.0, lr=0.1)
    >>> res.success, [round(v, 6) for v in res.x.tolist()]
    (True, [-0.6, -0.8])
    """
    check_callable(f, "f")
    if as_start(theta0, options.get("dtype")).ndim != 0:
        raise ValueError("theta0 must be a single angle (a number or a 0-d tensor)")

    def on_circle(theta: torch.Tensor) -> torch.Tensor:
        return torch.stack((torch.cos(theta), torch.sin(theta)), dim=-1)

    res = gradient_descent(lambda theta: f(on_circle(theta)), theta0, **options)
    theta_path = res.path
    return OptimizeResult(
        x=on_circle(res.x),
        fun=res.fun,
        grad_norm=res.grad_norm,
        nit=res.nit,
        nfev=res.nfev,
        status=res.status,
        path=on_circle(theta_path) if theta_path is not None else None,
        values=res.values,
        method="circle",
        extra={"theta": float(res.x), "theta_path": theta_path},
    )


class KKTSolution(NamedTuple):
    """Solution of an equality-constrained QP and its KKT system.

    Attributes
    ----------
    x : torch.Tensor
        The minimizer, shape ``(n,)``.
    multipliers : torch.Tensor
        The Lagrange multipliers :math:`\\lambda`, shape ``(m,)``, with
        :math:`Q x + c + A^T \\lambda = 0`.
    kkt_matrix : torch.Tensor
        :math:`\\begin{bmatrix} Q & A^T \\\\ A & 0 \\end{bmatrix}`, shape
        ``(n + m, n + m)``.
    residual : float
        Euclidean norm of the residual of the KKT system at the solution.
    """

    x: torch.Tensor
    multipliers: torch.Tensor
    kkt_matrix: torch.Tensor
    residual: float


def solve_kkt(Q: Any, c: Any, A: Any, b: Any) -> KKTSolution:
    r"""Solve :math:`\min \tfrac12 x^T Q x + c^T x` subject to :math:`A x = b`.

    With the Lagrangian :math:`L(x, \lambda) = \tfrac12 x^T Q x + c^T x +
    \lambda^T (A x - b)`, the KKT conditions :math:`\nabla_x L = 0`,
    :math:`A x = b` are the linear system

    .. math::

        \begin{bmatrix} Q & A^T \\ A & 0 \end{bmatrix}
        \begin{bmatrix} x \\ \lambda \end{bmatrix}
        = \begin{bmatrix} -c \\ b \end{bmatrix},

    solved here with :func:`torch.linalg.solve`. Its solution is the unique
    minimizer when :math:`A` has full row rank and :math:`Q` is positive
    definite on the null space of :math:`A`.

    Parameters
    ----------
    Q : array_like, shape (n, n)
        Symmetric matrix of the quadratic term.
    c : array_like, shape (n,)
        Linear term.
    A : array_like, shape (m, n)
        Constraint matrix (``m`` may be 0: ``A=[]``, ``b=[]``).
    b : array_like, shape (m,)
        Right-hand side of the constraints.

    Returns
    -------
    KKTSolution
        ``x``, ``multipliers``, ``kkt_matrix`` and ``residual``. Tensors keep
        the common floating dtype of the inputs (float64 for numbers and
        lists) and the device of ``Q``.

    Raises
    ------
    ValueError
        On shapes that do not fit (the message names ``Q``, ``c``, ``A`` or
        ``b``), a non-symmetric ``Q``, a singular KKT matrix, or a ``Q`` that
        is not positive definite on the null space of ``A`` (a stationary
        point that is no minimizer).

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, section 16.1 (equality-constrained quadratic programs).

    Examples
    --------
    Minimize :math:`\tfrac12 (x^2 + y^2)` on the line :math:`x + y = 1`:

    >>> Q, c = [[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]
    >>> A, b = [[1.0, 1.0]], [1.0]
    >>> sol = solve_kkt(Q, c, A, b)
    >>> sol.x.tolist(), sol.multipliers.tolist()
    ([0.5, 0.5], [-0.5])
    """
    Q, c, A, b = _qp_tensors(Q, c, A, b)
    n, m = c.shape[0], b.shape[0]
    kkt = torch.cat(
        (torch.cat((Q, A.T), dim=1), torch.cat((A, Q.new_zeros(m, m)), dim=1)), dim=0
    )
    rhs = torch.cat((-c, b))
    sv = torch.linalg.svdvals(kkt)
    if float(sv[-1]) <= float(sv[0]) * (n + m) * torch.finfo(Q.dtype).eps:
        raise ValueError(
            "the KKT matrix [[Q, A^T], [A, 0]] is singular: A needs full row "
            "rank (m <= n, linearly independent rows, consistent constraints) "
            "and Q must be positive definite on the null space of A"
        )
    z = torch.linalg.solve(kkt, rhs)
    _check_reduced_hessian(Q, A)
    return KKTSolution(
        x=z[:n],
        multipliers=z[n:],
        kkt_matrix=kkt,
        residual=float(torch.linalg.vector_norm(kkt @ z - rhs)),
    )


def _qp_tensors(Q: Any, c: Any, A: Any, b: Any) -> tuple[torch.Tensor, ...]:
    """Convert to tensors of one floating dtype on Q's device; check the shapes.

    The dtype is the promoted dtype of the floating tensors given, or float64.
    """
    named = {"Q": Q, "c": c, "A": A, "b": b}
    device = Q.device if isinstance(Q, torch.Tensor) else None
    tensors = {}
    for name, value in named.items():
        try:
            tensors[name] = torch.as_tensor(value, device=device)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"{name} must be a tensor or a nested sequence of numbers"
            ) from err
    given = [
        v.dtype
        for v in named.values()
        if isinstance(v, torch.Tensor) and v.is_floating_point()
    ]
    dtype = torch.float64
    if given:
        dtype = given[0]
        for other in given[1:]:
            dtype = torch.promote_types(dtype, other)
    Q, c, A, b = (tensors[k].to(dtype=dtype, device=device) for k in "QcAb")
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or Q.shape[0] == 0:
        raise ValueError(
            f"Q must be a square matrix (n, n), got shape {tuple(Q.shape)}"
        )
    n = Q.shape[0]
    if c.shape != (n,):
        raise ValueError(f"c must have shape ({n},) to match Q, got {tuple(c.shape)}")
    if A.shape == (0,):  # A = [] has no rows: no constraints
        A = A.reshape(0, n)
    if A.ndim != 2 or A.shape[1] != n:
        raise ValueError(f"A must have shape (m, {n}) to match Q, got {tuple(A.shape)}")
    if b.shape != (A.shape[0],):
        raise ValueError(
            f"b must have shape ({A.shape[0]},), one entry per row of A, "
            f"got {tuple(b.shape)}"
        )
    for name, t in zip("QcAb", (Q, c, A, b), strict=True):
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} must be finite (it contains NaN or inf)")
    if not torch.allclose(Q, Q.T, rtol=1e-10, atol=1e-12):
        raise ValueError(
            "Q must be symmetric (use (Q + Q.T) / 2: it has the same quadratic form)"
        )
    return Q, c, A, b


def _check_reduced_hessian(Q: torch.Tensor, A: torch.Tensor) -> None:
    """Raise unless ``Z^T Q Z`` is positive definite, ``Z`` a null-space basis of A."""
    n, m = Q.shape[0], A.shape[0]
    if m >= n:
        return  # the null space is {0}: the feasible set is one point
    if m == 0:
        Z = torch.eye(n, dtype=Q.dtype, device=Q.device)
    else:  # the last n - m right singular vectors span the null space
        Z = torch.linalg.svd(A, full_matrices=True).Vh[m:].T
    lowest = float(torch.linalg.eigvalsh(Z.T @ Q @ Z)[0])
    if lowest <= 0:
        raise ValueError(
            "Q is not positive definite on the null space of A (smallest "
            f"eigenvalue of the reduced Hessian Z^T Q Z is {lowest:.3g}): the "
            "KKT point is a saddle point of the QP, not its minimizer"
        )
