"""Run one solver from many starting points at once, as one batched computation."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import torch

from .._validation import (
    check_callable,
    check_choice,
    check_max_iter,
    check_nonnegative,
    check_positive,
)
from ._compiled import check_compile, compiled
from .gradient import Schedule, step_size
from .momentum import check_beta

__all__ = ["MULTISTART_METHODS", "MultistartResult", "multistart"]

#: The solvers :func:`multistart` can run on a batch of starts.
MULTISTART_METHODS = ("gd", "momentum")


@dataclass(repr=False)
class MultistartResult:
    """Outcome of :func:`multistart`: the best start and every start's result.

    Attributes
    ----------
    x : torch.Tensor
        Final point of the best start (the lowest final value), shape ``(n,)``
        or ``()`` for scalar problems.
    fun : float
        Objective value at ``x``.
    xs : torch.Tensor
        Every start's final point, shape ``(B,)`` or ``(B, n)``; a start that
        diverged keeps its last finite point, so ``xs`` is always finite.
    funs : torch.Tensor
        Every start's final value, shape ``(B,)`` (finite).
    grad_norms : torch.Tensor
        Gradient norm at each final point, shape ``(B,)``.
    success : torch.Tensor
        ``(B,)`` bool: the start's gradient norm fell below ``tol``.
    diverged : torch.Tensor
        ``(B,)`` bool: the start was stopped by a non-finite iterate, value or
        gradient.
    nits : torch.Tensor
        ``(B,)`` int64: updates applied to each start.
    nit : int
        Iterations run, ``nits.max()``.
    best_index : int
        Index of the best start, ``funs.argmin()``.
    nfev : int
        Batched evaluations of ``f`` (each evaluates every start), the last
        one at the final points.
    method : str
        The solver that was run.
    paths : torch.Tensor or None
        With ``record_path=True``, the iterates of every start, shape
        ``(nit + 1, B, ...)`` (a stopped start repeats its final point).
    """

    x: torch.Tensor
    fun: float
    xs: torch.Tensor
    funs: torch.Tensor
    grad_norms: torch.Tensor
    success: torch.Tensor
    diverged: torch.Tensor
    nits: torch.Tensor
    nit: int
    best_index: int
    nfev: int
    method: str
    paths: torch.Tensor | None = None

    def __repr__(self) -> str:
        x = self.x if self.x.numel() > 6 else self.x.tolist()
        lines = [
            f"     method: {self.method}",
            f"     starts: {self.xs.shape[0]}",
            f"  converged: {int(self.success.sum())}",
            f"   diverged: {int(self.diverged.sum())}",
            f" best_index: {self.best_index}",
            f"          x: {x}",
            f"        fun: {self.fun:.6g}",
            f"        nit: {self.nit}",
            f"       nfev: {self.nfev}",
        ]
        return "MultistartResult(\n" + "\n".join(lines) + "\n)"


def _as_starts(starts: Any, dtype: torch.dtype | None) -> torch.Tensor:
    """``starts`` as a detached floating ``(B,)`` or ``(B, n)`` tensor (a copy)."""
    if isinstance(starts, torch.Tensor):
        x = starts.detach()
    else:
        try:
            x = torch.as_tensor(starts, dtype=dtype or torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                "starts must be a tensor or a nested sequence of numbers"
            ) from err
    if dtype is not None and not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    x = x.to(dtype=dtype or (x.dtype if x.is_floating_point() else torch.float64))
    if x.ndim not in (1, 2) or x.shape[0] == 0:
        raise ValueError(
            "starts must have shape (B,) (scalar problems) or (B, n), with B >= 1; "
            f"got {tuple(x.shape)}"
        )
    if not bool(torch.isfinite(x).all()):
        raise ValueError("starts must be finite (they contain NaN or inf)")
    return x.clone()


def multistart(
    f: Callable[[torch.Tensor], torch.Tensor],
    starts: Any,
    method: str = "gd",
    *,
    lr: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-6,
    schedule: Schedule = "constant",
    beta: float = 0.9,
    dtype: torch.dtype | None = None,
    record_path: bool = False,
    check_every: int = 16,
    compile: bool = False,
) -> MultistartResult:
    r"""Run one solver from every start of a batch at once.

    Each start :math:`x_0^{(b)}`, :math:`b = 1, \dots, B`, follows its own
    iteration, all of them advanced together as batched tensor operations on
    the device of ``starts`` (no Python loop over the starts). The gradients
    of all starts come from one autograd call on :math:`\sum_b f(x^{(b)})`:
    the starts are independent, so :math:`\partial/\partial x^{(b)}` of the
    sum is :math:`\nabla f(x^{(b)})`. The updates are

    .. math::

        \texttt{"gd"}: \quad x_{k+1} = x_k - \alpha_k \nabla f(x_k), \qquad
        \texttt{"momentum"}: \quad v_{k+1} = \beta v_k - \alpha_k \nabla
        f(x_k),\; x_{k+1} = x_k + v_{k+1},

    with :math:`v_0 = 0` and :math:`\alpha_k` from ``lr`` and ``schedule`` as
    in :func:`numopt.gradient_descent`; every start follows exactly the
    iterates of the single-start solver. A start whose gradient norm is at
    most ``tol`` is frozen (masked out of the updates) while the others go
    on; a start whose next iterate, value or gradient is not finite is
    frozen at its last finite point and marked diverged. (Finiteness is
    tested on the sum :math:`f + \|\nabla f\| + \sum_i x_i`, one operation
    per start: within a factor :math:`n + 2` of the largest float, about
    :math:`10^{308}` in float64, that sum can overflow, and a start is then
    marked diverged where the single-start solver goes on. At the other
    end, the norm of a float64 gradient whose entries are all below about
    :math:`10^{-162}` underflows to 0: with ``tol=0`` such a start stops as
    converged, where the single-start solver, which rescales, goes on.)

    Parameters
    ----------
    f : callable
        Batched objective: maps ``(B,)`` or ``(B, n)`` points to ``(B,)``
        values (write it with ``x[..., i]`` and elementwise operations, as
        the problems of :mod:`numopt.problems` are).
    starts : sequence or torch.Tensor
        Starting points, shape ``(B,)`` for scalar problems or ``(B, n)``. A
        tensor keeps its device and floating dtype; numbers and sequences
        become float64 unless ``dtype`` is given.
    method : {"gd", "momentum"}, optional
        The solver to run.
    lr : float, optional
        Step size :math:`\alpha > 0`.
    max_iter : int, optional
        Maximum number of updates per start (``>= 0``).
    tol : float, optional
        Freeze a start when its gradient norm is at most ``tol`` (``>= 0``).
    schedule : {"constant", "1/t"} or callable, optional
        Step-size schedule, as in :func:`numopt.gradient_descent`.
    beta : float, optional
        Momentum coefficient :math:`\beta \in [0, 1)` (``method="momentum"``).
    dtype : torch.dtype, optional
        Floating dtype for the iterates.
    record_path : bool, optional
        Keep every iterate of every start in ``result.paths`` (memory grows
        as ``max_iter * B * n``).
    check_every : int, optional
        Look whether every start has stopped (one host-device sync) once every
        ``check_every`` iterations; between checks stopped starts are masked,
        so the results do not depend on it.
    compile : bool, optional
        Compile the iterations with :func:`torch.compile`, ``check_every`` of
        them at a time, into a few fused kernels that read and write every
        start once per ``check_every`` iterations instead of once per tensor
        operation (some thirty per iteration). From about ``10**4`` starts
        on this makes a run several times faster than the eager one, on a
        CPU and more so on a GPU (the site's Performance page has the
        numbers); but compiling takes seconds (ten or more for the default
        ``check_every``), once per objective, shape, dtype and device, so it
        pays off for long or repeated runs. It needs a C++ compiler on the
        CPU and Triton on a GPU. The gradient then comes from
        :func:`torch.func.grad`, so ``f`` must be free of Python branches on
        tensor values; the iterates agree with the eager ones to rounding
        (fused kernels may contract ``a*b + c``).

    Returns
    -------
    MultistartResult
        ``x``, ``fun`` (the best start), ``xs``, ``funs``, ``success``,
        ``diverged``, ``nits``, ``nit``, ``best_index``, ``nfev`` and
        ``paths``.

    Examples
    --------
    The lecture's non-convex :math:`f(x) = x \cos 4x + 2|x|` from 1,000
    starts in :math:`[-5, 5]`; the best start finds the global minimizer 0:

    >>> import torch
    >>> from numopt.problems import wavy_abs
    >>> starts = torch.linspace(-5, 5, 1000, dtype=torch.float64)
    >>> res = multistart(wavy_abs, starts, lr=0.001, max_iter=2000)
    >>> abs(res.x.item()) < 0.01, res.xs.shape
    (True, torch.Size([1000]))
    """
    check_callable(f, "f")
    check_choice(method, "method", MULTISTART_METHODS)
    alpha = step_size(schedule, check_positive(lr, "lr"))
    max_iter = check_max_iter(max_iter)
    tol = check_nonnegative(tol, "tol")
    beta = check_beta(beta)
    check_every = check_max_iter(check_every, "check_every")
    if check_every < 1:
        raise ValueError(f"check_every must be >= 1, got {check_every}")
    check_compile(compile)
    x = _as_starts(starts, dtype)
    evaluate = _BatchedObjective(f, x)
    fx, g, gnorm = evaluate(x)
    if not bool((torch.isfinite(fx) & torch.isfinite(gnorm)).all()):
        raise ValueError(
            "f or its gradient is not finite at some start; "
            "choose starts inside the domain of f"
        )
    velocity = torch.zeros_like(x) if method == "momentum" else None
    active = gnorm > tol  # (B,): still iterating
    nits = torch.zeros(x.shape[0], dtype=torch.int64, device=x.device)
    paths = [x] if record_path else None
    nfev = 1
    if compile:
        chunk = compiled(
            _chunk, f, x, (method,), length=check_every, record=record_path
        )

        def scalars(*values: float) -> torch.Tensor:
            # tensors, not floats: compiled code is specialized to floats
            return torch.tensor(values, dtype=x.dtype, device=x.device)

        beta_t, tol_t = scalars(beta, tol)
    for k0 in range(0, max_iter, check_every):
        if not bool(active.any()):  # one host-device sync per check_every
            break
        n = min(check_every, max_iter - k0)
        if compile:  # the chunk is n iterations, padded to check_every
            steps = [alpha(k) for k in range(k0, k0 + n)]
            x, g, velocity, active, nits, xs = chunk(
                evaluate.functional,  # f was checked by the eager call above
                x,
                g,
                velocity,
                active,
                nits,
                scalars(*steps, *[0.0] * (check_every - n)),
                torch.tensor(n, device=x.device),
                beta_t,
                tol_t,
            )
            if paths is not None:
                paths.extend(xs[:n].unbind(0))
        else:
            for k in range(k0, k0 + n):
                x, g, velocity, active, nits = _iteration(
                    evaluate, x, g, velocity, active, nits, alpha(k), beta, tol
                )
                if paths is not None:
                    paths.append(x)
        nfev += n
    # values and gradients at the final points, exact for the stopped starts
    fx, _, gnorm = evaluate(x)
    success = gnorm <= tol
    nit = int(nits.max())
    best = int(torch.argmin(fx))
    return MultistartResult(
        x=x[best].clone(),
        fun=float(fx[best]),
        xs=x,
        funs=fx,
        grad_norms=gnorm,
        success=success,
        diverged=~active & ~success,  # stopped without converging
        nits=nits,
        nit=nit,
        best_index=best,
        nfev=nfev + 1,
        method=method,
        paths=torch.stack(paths[: nit + 1]) if paths is not None else None,
    )


#: A batch of points: a ``(B,)`` or ``(B, n)`` tensor, or a tuple of ``(B,)`` columns.
Points = TypeVar("Points", torch.Tensor, tuple[torch.Tensor, ...])
Evaluate = Callable[[Points], tuple[torch.Tensor, Points, torch.Tensor]]


def _iteration(
    evaluate: Evaluate[Points],
    x: Points,
    g: Points,
    velocity: Points | None,
    active: torch.Tensor,
    nits: torch.Tensor,
    a: torch.Tensor | float,
    beta: torch.Tensor | float,
    tol: torch.Tensor | float,
) -> tuple[Points, Points, Points | None, torch.Tensor, torch.Tensor]:
    """One update of every start; ``g`` is the gradient at ``x``.

    ``evaluate`` maps points to values, gradients and gradient norms. Points
    are a ``(B,)`` or ``(B, n)`` tensor, or (in a compiled chunk) a tuple of
    ``n`` columns of shape ``(B,)``: the same arithmetic either way.

    Every start takes the step; only the active ones keep it, so the gradient
    and velocity of a stopped start may be garbage: they are never used.
    """
    if velocity is None:
        x_new = _each(lambda xi, gi: xi - a * gi, x, g)
    else:
        velocity = _each(lambda vi, gi: beta * vi - a * gi, velocity, g)
        x_new = _each(torch.add, x, velocity)
    f_new, g, gnorm = evaluate(x_new)
    # one finiteness probe per start: NaN and inf propagate through the sum,
    # and probe - probe is 0 exactly when probe is finite
    probe = f_new + gnorm + _coordinate_sum(x_new)
    moved = active & (probe - probe == 0)
    keep = moved.unsqueeze(1) if isinstance(x, torch.Tensor) and x.ndim == 2 else moved
    x = _each(lambda new, old: torch.where(keep, new, old), x_new, x)
    nits = nits + moved
    active = moved & (gnorm > tol)
    return x, g, velocity, active, nits


def _each(fn: Callable[..., torch.Tensor], *points: Points) -> Points:
    """``fn`` applied to the points, column by column when they are columns."""
    if isinstance(points[0], tuple):
        return tuple(fn(*(p[i] for p in points)) for i in range(len(points[0])))
    return fn(*points)


def _coordinate_sum(x: Points) -> torch.Tensor:
    """``(B,)``: the sum of each start's coordinates."""
    if isinstance(x, tuple):
        return functools.reduce(torch.add, x)
    return x if x.ndim == 1 else x.sum(dim=1)


#: A compiled chunk carries points of up to this many coordinates as separate
#: ``(B,)`` columns (see :func:`_chunk`).
COLUMNS_UP_TO = 16


def _chunk(
    evaluate: Callable[..., Any],
    x: torch.Tensor,
    g: torch.Tensor,
    velocity: torch.Tensor | None,
    active: torch.Tensor,
    nits: torch.Tensor,
    steps: torch.Tensor,
    n: torch.Tensor,
    beta: torch.Tensor,
    tol: torch.Tensor,
    *,
    length: int,
    record: bool,
) -> tuple[Any, ...]:
    """``length`` iterations of :func:`_iteration`, of which the first ``n`` count.

    Written for :func:`torch.compile`: the unrolled iterations fuse into a few
    kernels that read and write every start once per chunk rather than once
    per operation. Iterations ``j >= n`` (the tail of the last chunk) leave
    ``x``, ``active`` and ``nits`` as they are.

    Points with a few coordinates (``2 <= n <= COLUMNS_UP_TO``) go through the
    chunk as ``n`` separate ``(B,)`` columns, and ``f`` sees them stacked into
    ``(B, n)`` points. Over ``(B, n)`` rows, each start is a short inner loop
    of ``n`` lanes in a masked vector register; over columns, every operation
    runs along the starts in full registers, which makes the compiled run
    markedly faster on a CPU (the Performance page measures Himmelblau); the
    compile takes longer as ``n`` grows.
    """
    columns = x.ndim == 2 and 2 <= x.shape[1] <= COLUMNS_UP_TO
    # the points as the iterations carry them: tensors, or tuples of columns
    px: Any = x.unbind(1) if columns else x
    pg: Any = g.unbind(1) if columns else g
    pv: Any = velocity.unbind(1) if columns and velocity is not None else velocity
    xs = []
    for j in range(length):
        on = n > j
        px, pg, pv, still, nits = _iteration(
            evaluate, px, pg, pv, active & on, nits, steps[j], beta, tol
        )
        active = torch.where(on, still, active)
        if record:
            xs.append(torch.stack(px, dim=1) if columns else px)
    if columns:
        px, pg = torch.stack(px, dim=1), torch.stack(pg, dim=1)
        pv = torch.stack(pv, dim=1) if pv is not None else None
    return px, pg, pv, active, nits, torch.stack(xs) if record else None


class _BatchedObjective:
    """``f`` on a batch: values ``(B,)``, gradients from one autograd call, norms.

    Evaluations are counted by the caller: a counter here would be state that
    a compiled iteration specializes on.
    """

    def __init__(self, f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor):
        self.f = f
        self.shape = (x.shape[0],)
        self.norm_dims = () if x.ndim == 1 else (1,)

    def _summed(self, x: Points) -> tuple[torch.Tensor, torch.Tensor]:
        y = self.f(torch.stack(x, dim=-1) if isinstance(x, tuple) else x)
        return y.sum(), y

    def functional(self, x: Points) -> tuple[torch.Tensor, Points, torch.Tensor]:
        """As a call, with the gradient from :mod:`torch.func` (compilable).

        Only for an ``f`` that a call has already checked. Columns ``x`` (a
        tuple) give the gradient as columns.
        """
        g, (_, y) = torch.func.grad_and_value(self._summed, has_aux=True)(x)
        if isinstance(x, tuple):  # g is columns too
            return y, g, torch.sqrt(_coordinate_sum(tuple(gi * gi for gi in g)))
        return y, g, self._norm(g)

    def __call__(
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        with torch.enable_grad():
            xg = x.detach().requires_grad_(True)
            y = self.f(xg)
            if not isinstance(y, torch.Tensor):
                raise TypeError(f"f must return a torch tensor, got {type(y).__name__}")
            if y.shape != self.shape:
                raise ValueError(
                    f"f must map the batch of starts to one value per start, "
                    f"shape {self.shape}; got {tuple(y.shape)} (write f with "
                    "x[..., i] and elementwise operations)"
                )
            if y.requires_grad:
                (g,) = torch.autograd.grad(y.sum(), xg)
            else:  # f does not depend on x
                g = torch.zeros_like(x)
        return y.detach(), g, self._norm(g)

    def _norm(self, g: torch.Tensor) -> torch.Tensor:
        return g.abs() if not self.norm_dims else torch.linalg.vector_norm(g, dim=1)
