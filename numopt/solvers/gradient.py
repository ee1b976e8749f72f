"""Gradient descent with a fixed step or a step-size schedule."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import torch

from .._objective import Objective
from .._validation import check_choice, check_positive
from ..result import OptimizeResult
from ._compiled import Scalar, check_compile, compiled_per_run, evaluate
from ._driver import Callback, Fused, run

__all__ = ["SCHEDULES", "gradient_descent", "step_size"]

#: Named step-size schedules: the step at iteration ``k = 0, 1, ...`` is ``lr * s(k)``.
SCHEDULES: dict[str, Callable[[int], float]] = {
    "constant": lambda k: 1.0,
    "1/t": lambda k: 1.0 / (k + 1),
}

Schedule = str | Callable[[int], float]


def step_size(schedule: Schedule, lr: float) -> Callable[[int], float]:
    """Return ``k -> step`` for a schedule name or callable.

    A named schedule scales ``lr``; a callable returns the step itself.
    """
    if callable(schedule):
        user = schedule

        def checked(k: int) -> float:
            alpha = user(k)
            if isinstance(alpha, torch.Tensor) and alpha.numel() == 1:
                alpha = alpha.item()  # a 0-d tensor is a number too
            if not isinstance(alpha, numbers.Real):
                raise TypeError(
                    f"schedule({k}) must return a number, got {type(alpha).__name__}"
                )
            if not math.isfinite(alpha):
                raise ValueError(
                    f"schedule({k}) must return a finite step, got {alpha}"
                )
            if alpha <= 0:
                raise ValueError(f"schedule({k}) must return a step > 0, got {alpha}")
            return float(alpha)

        return checked
    rule = SCHEDULES[check_choice(schedule, "schedule", tuple(SCHEDULES))]
    if rule is SCHEDULES["constant"]:  # called every iteration: one call less
        return lambda k: lr
    return lambda k: lr * rule(k)


def gradient_descent(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    lr: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-6,
    schedule: Schedule = "constant",
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
    compile: bool = False,
) -> OptimizeResult:
    r"""Minimize ``f`` by gradient descent.

    Starting from :math:`x_0`, repeat

    .. math::

        x_{k+1} = x_k - \alpha_k \nabla f(x_k),

    with :math:`\alpha_k = \text{lr}` (``schedule="constant"``),
    :math:`\alpha_k = \text{lr}/(k+1)` (``schedule="1/t"``) or
    :math:`\alpha_k = \text{schedule}(k)` for a callable, until
    :math:`\|\nabla f(x_k)\|_2 \le \text{tol}` or ``max_iter`` updates.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point. A tensor keeps its device and floating dtype; numbers
        and sequences become float64 unless ``dtype`` is given.
    lr : float, optional
        Step size (learning rate) :math:`\alpha > 0`.
    max_iter : int, optional
        Maximum number of updates (``>= 0``).
    tol : float, optional
        Stop when the gradient norm is at most ``tol`` (``>= 0``).
    schedule : {"constant", "1/t"} or callable, optional
        Step-size schedule; a callable maps ``k`` to the step :math:`\alpha_k`.
    callback : callable, optional
        Called as ``callback(k, x_k, f(x_k))`` after each update; return
        ``True`` to stop.
    dtype : torch.dtype, optional
        Floating dtype for the iterates.
    record_path : bool, optional
        Keep every iterate in ``result.path`` (set ``False`` for huge ``x``).
    compile : bool, optional
        Compile each update, the step and the evaluation of ``f`` and its
        gradient at the new point, with :func:`torch.compile` into one call
        of a few fused kernels. These read ``x`` and the gradient once per
        update instead of once per tensor operation, and the one call saves
        most of the Python and dispatch cost of the eager operations.
        Measured on a CPU, the compiled
        loop is faster than the hand-written eager one and than a
        ``torch.optim.SGD`` loop at every size (the site's Performance page
        has the numbers). Compiling takes seconds, once per objective, shape,
        dtype and device (and again when something ``f`` reads from outside,
        such as a global number, changes), so it pays off for long or
        repeated runs. It needs a C++ compiler on the CPU and Triton on a
        GPU. The gradient then comes from :func:`torch.func.grad_and_value`.
        ``f`` compiles whole only without Python branches on tensor values:
        with one (``if x.sum() > 0``) the iterates are still right, but ``f``
        and its gradient run uncompiled, slower than with ``compile=False``.
        The iterates agree with the eager ones to rounding (fused kernels may
        contract ``a*b + c``).

    Returns
    -------
    OptimizeResult
        ``x``, ``fun``, ``grad_norm``, ``nit``, ``nfev``, ``success``,
        ``status``, ``message``, ``path`` and ``values``. A step that makes the
        iterate or the objective non-finite ends the run with
        ``success=False`` and the last finite iterate.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, chapter 3.

    Examples
    --------
    >>> import torch
    >>> from numopt import gradient_descent
    >>> res = gradient_descent(lambda x: (x - 3) ** 2, 0.0, lr=0.25)
    >>> res.success, round(res.x.item(), 6)
    (True, 3.0)
    """
    objective = Objective(f)
    alpha = step_size(schedule, check_positive(lr, "lr"))

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> tuple[torch.Tensor, float]:
        a = alpha(k)
        return torch.add(x, g, alpha=-a), a  # x - a g, in one pass over x

    return run(
        objective,
        x0,
        step,
        method="gd",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        fused=_fused(compile, objective.f, alpha),
        ahead=True,
    )


def _advance(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    g: torch.Tensor,
    a: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``x - a g``, and ``f``, ``∇f`` and ``[f, ‖∇f‖²]`` there (for torch.compile)."""
    x_new = x - a * g
    return x_new, *evaluate(f, x_new)


def _fused(
    compile: bool,
    f: Callable[[torch.Tensor], torch.Tensor],
    alpha: Callable[[int], float],
) -> Fused | None:
    """A driver ``Fused`` running :func:`_advance` compiled; None without ``compile``."""
    if not check_compile(compile):
        return None
    step = Scalar()
    advance = compiled_per_run(_advance, f)

    def fused(
        k: int, x: torch.Tensor, g: torch.Tensor
    ) -> tuple[torch.Tensor, float, torch.Tensor, torch.Tensor, torch.Tensor]:
        a = alpha(k)
        x_new, fx, g_new, both = advance(f, x, g, step(a, x))
        return x_new, a, fx, g_new, both

    return fused
