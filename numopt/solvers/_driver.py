"""The loop every first-order solver shares.

A solver supplies one small ``step`` function, ``x_{k+1} = step(k, x_k, f_k, g_k)``;
the driver evaluates the objective, records the path, applies the stopping
rules and decides the status once, after the loop. Each solver module reads as
"the update rule from the lecture" plus one call to :func:`run`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import torch

from .._objective import Objective
from .._validation import as_start, check_callable, check_max_iter, check_nonnegative
from ..result import OptimizeResult, Status

__all__ = ["Callback", "Fused", "Step", "Stop", "run"]


class Step(Protocol):
    """One update: return the next iterate from the current one.

    A step of the form ``x - s * g`` may return ``(x_new, s)`` instead: the
    driver then knows ``‖x_new - x‖_∞ <= |s| ‖g‖`` without reading ``x_new``
    (see :func:`run`).
    """

    def __call__(
        self, k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor | tuple[torch.Tensor, float]: ...


Callback = Callable[[int, torch.Tensor, float], Any]

#: A step fused with the evaluation at the new point (one compiled call):
#: ``(k, x_k, g_k) -> (x_{k+1}, s, f(x_{k+1}), ∇f(x_{k+1}), values)``, where
#: ``x_{k+1} = x_k - s g_k`` (``s`` None for a step of another form) and
#: ``values`` is the tensor ``[f(x_{k+1}), ‖∇f(x_{k+1})‖²]``.
Fused = Callable[
    [int, torch.Tensor, torch.Tensor],
    tuple[torch.Tensor, float | None, torch.Tensor, torch.Tensor, torch.Tensor],
]


class Stop(Exception):
    """Raised by a step to end the run with ``status``, keeping the current iterate.

    For example a line search that finds no step decreasing ``f`` raises
    ``Stop(Status.LINESEARCH_FAILED)``.
    """

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


def run(
    objective: Objective,
    x0: Any,
    step: Step | Callable[..., torch.Tensor],
    *,
    method: str,
    max_iter: int,
    tol: float,
    callback: Callback | None,
    dtype: torch.dtype | None,
    record_path: bool,
    extra: dict[str, Any] | None = None,
    fused: Fused | None = None,
) -> OptimizeResult:
    """Iterate ``step`` from ``x0`` until ``‖∇f‖ <= tol`` or ``max_iter`` updates.

    The callback is called as ``callback(k, x_k, f(x_k))`` after each update;
    returning ``True`` (a Python or NumPy bool, or a one-element bool tensor
    such as ``x.norm() < 1``) stops the run; any other answer is ignored. An
    iterate, objective value or gradient that is not finite stops the run
    with ``Status.DIVERGED`` and the last finite iterate. A step may raise :class:`Stop` to end the run with another
    status (the iterate is then not updated).

    An iterate can become non-finite while ``f`` and ``∇f`` stay finite (``f``
    saturates, as ``atan`` does), so the iterate itself is checked too. For a
    gradient step ``x - s g`` the driver carries a bound on ``‖x_k‖_∞``,
    ``‖x_0‖_∞ + Σ |s_j| ‖g_j‖``, and reads ``x`` again only when that bound
    nears the largest float of the dtype: no extra pass over a large ``x``
    per iteration.

    With ``fused``, each update is one call of it in place of ``step`` and the
    evaluation after it (``f(x_0)`` is still evaluated here, where a wrong
    ``f`` gets its clear error); the driver counts the evaluations.
    """
    max_iter = check_max_iter(max_iter)
    tol = check_nonnegative(tol, "tol")
    if callback is not None:
        check_callable(callback, "callback")
    x = as_start(x0, dtype)
    fx, g = objective.value_and_grad(x)
    fun, gnorm = _value_and_norm(fx, g)
    xbound = _absmax(x)
    if not (math.isfinite(fun) and math.isfinite(gnorm) and math.isfinite(xbound)):
        raise ValueError(
            f"f(x0) or its gradient is not finite (f(x0) = {fun}); "
            "choose an x0 inside the domain of f"
        )
    near_overflow = torch.finfo(x.dtype).max / 4
    path = [x] if record_path else None
    values = [fun]  # Python floats: no small tensors pinned between big ones
    status = Status.MAXITER
    value_and_grad, isfinite = objective.value_and_grad, math.isfinite
    for k in range(max_iter):
        if gnorm <= tol:
            status = Status.CONVERGED
            break
        if fused is None:
            try:
                x_new = step(k, x, fx, g)
            except Stop as stop:
                status = stop.status
                break
            s: float | None = None
            if isinstance(x_new, tuple):
                x_new, s = x_new
            fx_new, g_new = value_and_grad(x_new)
            fun_new, gnorm_new = _value_and_norm(fx_new, g_new)
        else:  # step and evaluation in one call
            x_new, s, fx_new, g_new, both = fused(k, x, g)
            objective.nfev += 1
            fun_new, squares = both.tolist()
            gnorm_new = _unless_overflow(math.sqrt(squares), g_new)
        if s is None:  # a step of unknown size
            xbound = math.inf
        else:  # x_new = x - s g moved by at most |s| ‖g‖; the slack covers rounding
            xbound += abs(s) * gnorm * (1 + 1e-6)
        if not xbound < near_overflow:  # unknown or large: look at the iterate
            xbound = _absmax(x_new)
        # each term on its own: their sum could overflow where none of them does
        if not (isfinite(fun_new) and isfinite(gnorm_new) and isfinite(xbound)):
            status = Status.DIVERGED
            break
        x, fx, g, fun, gnorm = x_new, fx_new, g_new, fun_new, gnorm_new
        values.append(fun)
        if path is not None:
            path.append(x)
        if callback is not None and _stops(callback(k + 1, x, fun)):
            status = Status.CALLBACK
            break
    else:
        if gnorm <= tol:
            status = Status.CONVERGED
    return OptimizeResult(
        x=x,
        fun=fun,
        grad_norm=gnorm,
        nit=len(values) - 1,
        nfev=objective.nfev,
        status=status,
        path=torch.stack(path) if path is not None else None,
        values=torch.tensor(values, dtype=x.dtype, device=x.device),
        method=method,
        extra=extra if extra is not None else {},
    )


def _stops(answer: Any) -> bool:
    """Whether a callback's answer asks to stop the run."""
    if answer is True:
        return True
    if isinstance(answer, np.bool_):
        return bool(answer)
    if isinstance(answer, torch.Tensor) and answer.dtype == torch.bool:
        return answer.numel() == 1 and bool(answer)
    return False


def _value_and_norm(fx: torch.Tensor, g: torch.Tensor) -> tuple[float, float]:
    """``f`` and ``‖g‖`` as Python floats (NaN or inf when any entry of g is).

    This runs once per update, so it is tuned: on the CPU ``g·g`` by BLAS for
    a large ``g``, and ``(g * g).sum()`` for a small one, where the BLAS call
    costs more than the arithmetic; on a GPU the two values come back in one
    device sync.
    """
    if g.is_cuda:
        wide = torch.promote_types(fx.dtype, g.dtype)  # f keeps its precision
        norm = torch.linalg.vector_norm(g)
        fun, norm = torch.stack((fx.to(wide), norm.to(wide))).tolist()
        return fun, _unless_overflow(norm, g)
    n = g.numel()
    if n == 1:  # a 1-D problem: |g|, with no reduction to launch
        return fx.item(), abs(g.item())
    if n > 1 << 18:  # BLAS: one pass, no temporary; slower below
        flat = g.reshape(-1)
        return fx.item(), _unless_overflow(math.sqrt(torch.dot(flat, flat).item()), g)
    return fx.item(), _unless_overflow(math.sqrt((g * g).sum().item()), g)


def _unless_overflow(norm: float, g: torch.Tensor) -> float:
    """``norm``, or ``‖g‖`` scaled by ``max |g_i|`` when the squares overflowed
    or underflowed.

    ``‖g‖`` can be finite while ``Σ g_i²`` is not (``g_i = 1e200``): a run
    whose gradient is huge but finite goes on as the lecture's update says.
    And ``Σ g_i²`` can be 0 while ``g`` is not (``g_i = 1e-300``): such a
    run has not reached a stationary point, even with ``tol=0``.
    """
    if norm != math.inf and norm != 0.0:
        return norm
    m = torch.linalg.vector_norm(g, ord=math.inf)
    if m.item() == 0.0:  # g == 0: a stationary point
        return 0.0
    return (torch.linalg.vector_norm(g / m) * m).item()


def _absmax(x: torch.Tensor) -> float:
    """``‖x‖_∞`` (NaN or inf when any entry is)."""
    return torch.linalg.vector_norm(x, ord=math.inf).item() if x.numel() else 0.0
