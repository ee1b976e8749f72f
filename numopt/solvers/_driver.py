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

import torch

from .._objective import Objective
from .._validation import as_start, check_callable, check_max_iter, check_nonnegative
from ..result import OptimizeResult, Status

__all__ = ["Callback", "Step", "Stop", "run"]


class Step(Protocol):
    """One update: return the next iterate from the current one."""

    def __call__(
        self, k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor: ...


Callback = Callable[[int, torch.Tensor, float], Any]


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
) -> OptimizeResult:
    """Iterate ``step`` from ``x0`` until ``‖∇f‖ <= tol`` or ``max_iter`` updates.

    The callback is called as ``callback(k, x_k, f(x_k))`` after each update;
    returning ``True`` stops the run. An iterate, objective value or gradient
    that is not finite stops the run with ``Status.DIVERGED`` and the last
    finite iterate. A step may raise :class:`Stop` to end the run with another
    status (the iterate is then not updated).
    """
    max_iter = check_max_iter(max_iter)
    tol = check_nonnegative(tol, "tol")
    if callback is not None:
        check_callable(callback, "callback")
    x = as_start(x0, dtype)
    fx, g = objective.value_and_grad(x)
    fun, gnorm, _ = _stats(fx, g, x)
    if fun != fun or abs(fun) == float("inf") or gnorm != gnorm:
        raise ValueError(
            f"f(x0) or its gradient is not finite (f(x0) = {fun}); "
            "choose an x0 inside the domain of f"
        )
    path = [x] if record_path else None
    values = [fun]  # Python floats: no small tensors pinned between big ones
    status = Status.MAXITER
    for k in range(max_iter):
        if gnorm <= tol:
            status = Status.CONVERGED
            break
        try:
            x_new = step(k, x, fx, g)
        except Stop as stop:
            status = stop.status
            break
        fx_new, g_new = objective.value_and_grad(x_new)
        stats = _stats(fx_new, g_new, x_new)
        if not all(map(math.isfinite, stats)):
            status = Status.DIVERGED
            break
        x, fx, g = x_new, fx_new, g_new
        fun, gnorm, _ = stats
        values.append(fun)
        if path is not None:
            path.append(x)
        if callback is not None and callback(k + 1, x, fun) is True:
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


def _stats(fx: torch.Tensor, g: torch.Tensor, x: torch.Tensor) -> list[float]:
    """f, ‖g‖ and a finiteness probe of x (their sum is NaN or inf if any entry is).

    On a GPU the three are fetched with one device sync; on the CPU three
    ``item()`` calls are cheaper than building a tensor to fetch them at once.
    """
    gnorm = torch.linalg.vector_norm(g)
    if x.device.type == "cpu":
        return [fx.item(), gnorm.item(), x.sum().item()]
    return torch.stack((fx.to(g.dtype), gnorm, x.sum().to(g.dtype))).tolist()
