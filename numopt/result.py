"""The one result type every solver returns, and its status table."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import torch

__all__ = ["OptimizeResult", "Status"]


class Status(enum.Enum):
    """Why a solver stopped. ``success`` is true only for ``CONVERGED``."""

    #: The gradient norm fell to ``tol`` or below.
    CONVERGED = 0
    #: ``max_iter`` updates were made and the gradient norm is still above ``tol``.
    MAXITER = 1
    #: The iterate, the objective or its gradient became non-finite; the result
    #: holds the last finite iterate.
    DIVERGED = 2
    #: The callback returned ``True``.
    CALLBACK = 3
    #: The line search found no step that decreases ``f``.
    LINESEARCH_FAILED = 4

    @property
    def message(self) -> str:
        """The human-readable message for this status (one table for all solvers)."""
        return _MESSAGES[self]


_MESSAGES = {
    Status.CONVERGED: "Converged: the gradient norm fell below tol.",
    Status.MAXITER: "Stopped: reached max_iter before the gradient norm fell below tol.",
    Status.DIVERGED: (
        "Diverged: the iterate or the objective became non-finite; "
        "returning the last finite iterate. Try a smaller step size."
    ),
    Status.CALLBACK: "Stopped: the callback asked to stop.",
    Status.LINESEARCH_FAILED: "Stopped: the line search found no step that decreases f.",
}


@dataclass(repr=False)
class OptimizeResult:
    """Outcome of a numopt solver, with scipy's field names where scipy has one.

    Attributes
    ----------
    x : torch.Tensor
        The final iterate (detached, same shape, dtype and device as ``x0``).
    fun : float
        Objective value at ``x``.
    grad_norm : float
        Euclidean norm of the gradient at ``x``.
    nit : int
        Number of iterations (updates of ``x``) performed.
    nfev : int
        Number of objective evaluations (each gradient evaluation counts one;
        Hessian evaluations are counted apart, in ``extra["nhev"]``, by the
        solvers that use them). On a GPU, gradient descent, momentum,
        Nesterov, preconditioned and coordinate descent (``rule="step"``)
        without a callback queue each update before they know whether the run
        stops; a run that stops before ``max_iter`` has evaluated one update
        more, which is not counted.
    status : Status
        Why the solver stopped.
    path : torch.Tensor or None
        The iterates stacked, shape ``(nit + 1, *x.shape)``; ``None`` when the
        solver was called with ``record_path=False``.
    values : torch.Tensor or None
        Objective values along ``path``, shape ``(nit + 1,)``.
    method : str
        Name of the method that produced the result.
    extra : dict
        Method-specific diagnostics (for example the step lengths chosen by a
        line search).
    """

    x: torch.Tensor
    fun: float
    grad_norm: float
    nit: int
    nfev: int
    status: Status
    path: torch.Tensor | None = None
    values: torch.Tensor | None = None
    method: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """True when the solver converged to the requested tolerance."""
        return self.status is Status.CONVERGED

    @property
    def message(self) -> str:
        """The message for ``status``."""
        return self.status.message

    def __repr__(self) -> str:
        x = self.x if self.x.numel() > 6 else self.x.tolist()
        lines = [
            f"  method: {self.method}",
            f" success: {self.success}",
            f"  status: {self.status.name}",
            f" message: {self.message}",
            f"       x: {x}",
            f"     fun: {self.fun:.6g}",
            f"grad_norm: {self.grad_norm:.3g}",
            f"     nit: {self.nit}",
            f"    nfev: {self.nfev}",
        ]
        return "OptimizeResult(\n" + "\n".join(lines) + "\n)"
