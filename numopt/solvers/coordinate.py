"""Cyclic coordinate descent: one coordinate per iteration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .._objective import Objective
from .._validation import check_choice, check_positive
from ..result import OptimizeResult, Status
from ._driver import Callback, Stop, run
from .linesearch import exact_line_search

__all__ = ["RULES", "coordinate_descent"]

RULES = ("exact", "step")


def coordinate_descent(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    rule: str = "exact",
    lr: float = 0.1,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
) -> OptimizeResult:
    r"""Minimize ``f`` by cyclic coordinate descent.

    **One iteration updates one coordinate**: iteration :math:`k` changes only
    coordinate :math:`i = k \bmod n` (cyclic order :math:`0, 1, \dots, n-1,
    0, \dots`), so ``result.path`` moves parallel to the axes and shows the
    staircase on a contour plot; one sweep over all coordinates takes
    :math:`n` iterations. With :math:`d_k = -\partial_i f(x_k)\, e_i`,

    .. math::

        x_{k+1} = x_k + \alpha_k d_k, \qquad
        \alpha_k = \begin{cases}
            \arg\min_{\alpha > 0} f(x_k + \alpha d_k) & \text{rule="exact"},\\
            \text{lr} & \text{rule="step"}.
        \end{cases}

    ``"exact"`` minimizes :math:`f` along the coordinate with the same 1-D
    minimizer as steepest descent (:func:`~numopt.exact_line_search`,
    with ``lr`` as its first trial step); ``"step"`` is a gradient step on that
    coordinate alone. The stopping test uses the full gradient norm at
    :math:`x_k`, which the driver computes at every iteration.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point. A tensor keeps its device and floating dtype; numbers
        and sequences become float64 unless ``dtype`` is given. Coordinates are
        the entries of ``x0`` in flattened order.
    rule : {"exact", "step"}, optional
        Exact minimization along the coordinate, or a fixed gradient step.
    lr : float, optional
        The step (``"step"``) or the line search's first trial step
        (``"exact"``), ``> 0``.
    max_iter : int, optional
        Maximum number of iterations, that is coordinate updates (``>= 0``).
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
        As for :func:`~numopt.gradient_descent`, with ``extra["rule"]`` and
        ``extra["steps"]`` (the :math:`\alpha_k`, one float per update; 0.0
        where the exact rule found no decrease along the coordinate). With
        ``"exact"``, ``f`` never increases; if no coordinate in a whole sweep
        decreases ``f``, the run stops with ``Status.LINESEARCH_FAILED``.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006, section 9.3 (coordinate and pattern-search methods). S. J. Wright,
    "Coordinate descent algorithms", *Mathematical Programming* 151, 2015.

    Examples
    --------
    >>> import torch
    >>> from numopt import coordinate_descent
    >>> f = lambda x: x[0] ** 2 + x[0] * x[1] + x[1] ** 2
    >>> res = coordinate_descent(f, [1.0, 2.0], rule="exact", tol=1e-8)
    >>> res.success, res.x.abs().max().item() < 1e-8  # the minimizer is (0, 0)
    (True, True)
    >>> res.path[:3].tolist()  # x moves first, then y: a staircase
    [[1.0, 2.0], [-1.0, 2.0], [-1.0, 0.5]]
    """
    objective = Objective(f)
    rule = check_choice(rule, "rule", RULES)
    lr = check_positive(lr, "lr")
    steps: list[float] = []
    stalled = 0  # consecutive exact updates that found no decrease

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        nonlocal stalled
        i = k % x.numel()
        d = torch.zeros_like(x).reshape(-1)
        d[i] = -g.reshape(-1)[i]
        d = d.reshape(x.shape)
        alpha: float | None = lr
        if rule == "exact":
            descent = float(torch.sum(g * d)) < 0  # false when the partial is 0
            alpha = (
                exact_line_search(objective, x, fx, g, d, a0=lr) if descent else None
            )
        if alpha is None:
            stalled += 1
            if stalled >= x.numel():
                raise Stop(Status.LINESEARCH_FAILED)
            alpha = 0.0
        else:
            stalled = 0
        steps.append(alpha)
        return x + alpha * d

    result = run(
        objective,
        x0,
        step,
        method="coordinate",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        extra={"rule": rule, "steps": steps},
        ahead=rule == "step",  # an exact line search reads f back at each trial
    )
    del steps[result.nit :]  # a step the driver rejected, or queued in vain
    return result
