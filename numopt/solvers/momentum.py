"""Gradient descent with momentum: Polyak's heavy ball and Nesterov's acceleration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import torch

from .._objective import Objective
from .._validation import check_nonnegative, check_positive
from ..result import OptimizeResult
from ._compiled import Scalar, check_compile, compiled_per_run, evaluate
from ._driver import Callback, Fused, run

__all__ = ["momentum", "nesterov"]


def check_beta(beta: Any) -> float:
    """Return ``beta`` as a float if it is a momentum coefficient in ``[0, 1)``."""
    beta = check_nonnegative(beta, "beta")
    if beta >= 1:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    return beta


def momentum(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    lr: float,
    beta: float = 0.9,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
    compile: bool = False,
) -> OptimizeResult:
    r"""Minimize ``f`` by gradient descent with heavy-ball momentum.

    Starting from :math:`x_0` with velocity :math:`v_0 = 0`, repeat

    .. math::

        v_{k+1} = \beta v_k - \alpha \nabla f(x_k), \qquad
        x_{k+1} = x_k + v_{k+1},

    until :math:`\|\nabla f(x_k)\|_2 \le \text{tol}` or ``max_iter`` updates.
    The velocity is a running sum of past gradients; along a direction where
    the gradient keeps its sign the step grows up to :math:`\alpha/(1-\beta)`,
    while oscillating components cancel. ``beta = 0`` is plain gradient descent.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point. A tensor keeps its device and floating dtype; numbers
        and sequences become float64 unless ``dtype`` is given.
    lr : float
        Step size :math:`\alpha > 0`. There is no default: a good value
        depends on the curvature of ``f`` (for a quadratic with largest
        Hessian eigenvalue :math:`L`, :math:`\alpha \le 1/L` is safe).
    beta : float, optional
        Momentum coefficient :math:`\beta \in [0, 1)`.
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
    compile : bool, optional
        Compile each update with :func:`torch.compile`, as
        :func:`~numopt.gradient_descent` does (see there): one call of a few
        fused kernels instead of one torch operation at a time; compiling
        takes seconds, and needs a C++ compiler on the CPU (Triton on a GPU).

    Returns
    -------
    OptimizeResult
        As for :func:`~numopt.gradient_descent`; one gradient per update, so
        ``nfev == nit + 1``. Divergence ends the run with ``success=False`` and
        the last finite iterate.

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration
    methods", *USSR Computational Mathematics and Mathematical Physics* 4(5),
    1964.

    Examples
    --------
    >>> from numopt import momentum
    >>> res = momentum(lambda x: (x - 3) ** 2, 0.0, lr=0.1, beta=0.5)
    >>> res.success, round(res.x.item(), 6)
    (True, 3.0)
    """
    objective = Objective(f)
    alpha = check_positive(lr, "lr")
    beta = check_beta(beta)
    v: torch.Tensor | None = None  # the velocity v_k; None stands for v_0 = 0

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        nonlocal v
        v = -alpha * g if v is None else beta * v - alpha * g
        return x + v

    return run(
        objective,
        x0,
        step,
        method="momentum",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        fused=_momentum_fused(compile, objective, False, lambda k: beta, alpha),
        ahead=True,
    )


def nesterov(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    lr: float,
    beta: float | Literal["auto"] = 0.9,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
    compile: bool = False,
) -> OptimizeResult:
    r"""Minimize ``f`` by Nesterov's accelerated gradient method.

    Starting from :math:`x_0` with velocity :math:`v_0 = 0`, repeat

    .. math::

        y_k = x_k + \beta_k v_k, \qquad
        v_{k+1} = \beta_k v_k - \alpha \nabla f(y_k), \qquad
        x_{k+1} = x_k + v_{k+1} = y_k - \alpha \nabla f(y_k).

    Unlike heavy ball, the gradient is taken at the look-ahead point
    :math:`y_k`, where momentum is about to carry the iterate. Since
    :math:`v_k = x_k - x_{k-1}`, this is Nesterov's scheme
    :math:`x_{k+1} = y_k - \alpha\nabla f(y_k)`,
    :math:`y_{k+1} = x_{k+1} + \beta (x_{k+1} - x_k)`.

    On an :math:`L`-smooth, :math:`\mu`-strongly convex ``f`` with
    :math:`\kappa = L/\mu`, the choice :math:`\alpha = 1/L` and constant
    :math:`\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)` gives
    :math:`f(x_k) - f^\star \le (1 - 1/\sqrt\kappa)^k
    \,(f(x_0) - f^\star + \tfrac{\mu}{2}\|x_0 - x^\star\|^2)`: about
    :math:`\sqrt\kappa \ln(1/\varepsilon)` iterations instead of gradient
    descent's :math:`\kappa \ln(1/\varepsilon)`. For merely convex ``f``,
    ``beta="auto"`` uses :math:`\beta_k = k/(k+3)` and gives
    :math:`f(x_k) - f^\star = O(1/k^2)`.

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point. A tensor keeps its device and floating dtype; numbers
        and sequences become float64 unless ``dtype`` is given.
    lr : float
        Step size :math:`\alpha > 0`, typically :math:`1/L`.
    beta : float or "auto", optional
        Constant momentum :math:`\beta \in [0, 1)`, or ``"auto"`` for
        :math:`\beta_k = k/(k+3)`.
    max_iter : int, optional
        Maximum number of updates (``>= 0``).
    tol : float, optional
        Stop when the gradient norm at :math:`x_k` is at most ``tol``.
    callback : callable, optional
        Called as ``callback(k, x_k, f(x_k))`` after each update; return
        ``True`` to stop.
    dtype : torch.dtype, optional
        Floating dtype for the iterates.
    record_path : bool, optional
        Keep every iterate :math:`x_k` in ``result.path``.
    compile : bool, optional
        Compile each update with :func:`torch.compile`, as
        :func:`~numopt.gradient_descent` does (see there): one call of a few
        fused kernels instead of one torch operation at a time; compiling
        takes seconds, and needs a C++ compiler on the CPU (Triton on a GPU).

    Returns
    -------
    OptimizeResult
        As for :func:`~numopt.gradient_descent`. Each update evaluates the
        gradient twice (at :math:`y_k` for the step, at :math:`x_{k+1}` for
        the stopping test), so ``nfev == 2 * nit + 1``.

    References
    ----------
    Yu. Nesterov, "A method for solving the convex programming problem with
    convergence rate O(1/k^2)", *Soviet Mathematics Doklady* 27, 1983;
    Yu. Nesterov, *Introductory Lectures on Convex Optimization*, Kluwer,
    2004, section 2.2. I. Sutskever, J. Martens, G. Dahl and G. Hinton, "On the
    importance of initialization and momentum in deep learning", ICML 2013
    (the velocity form used here).

    Examples
    --------
    >>> import torch
    >>> from numopt import nesterov
    >>> a = torch.tensor([1.0, 100.0], dtype=torch.float64)  # kappa = 100
    >>> f = lambda x: 0.5 * (a * x**2).sum()
    >>> res = nesterov(f, [1.0, 1.0], lr=1 / 100, beta=(10 - 1) / (10 + 1))
    >>> res.success, res.nit < 200
    (True, True)
    """
    objective = Objective(f)
    alpha = check_positive(lr, "lr")
    if beta == "auto":
        momentum_at: Callable[[int], float] = lambda k: k / (k + 3)  # noqa: E731
    elif isinstance(beta, str):
        raise ValueError(f"beta must be a number in [0, 1) or 'auto', got {beta!r}")
    else:
        constant = check_beta(beta)
        momentum_at = lambda k: constant  # noqa: E731
    v: torch.Tensor | None = None  # the velocity v_k; None stands for v_0 = 0

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        nonlocal v
        ahead = torch.zeros_like(x) if v is None else momentum_at(k) * v  # beta_k v_k
        _, g_ahead = objective.value_and_grad(x + ahead)  # the gradient at y_k
        v = ahead - alpha * g_ahead
        return x + v

    return run(
        objective,
        x0,
        step,
        method="nesterov",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        fused=_momentum_fused(compile, objective, True, momentum_at, alpha),
        ahead=True,
    )


def _update(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    g: torch.Tensor,
    v: torch.Tensor,
    a: torch.Tensor,
    beta: torch.Tensor,
    *,
    look_ahead: bool,
) -> tuple[torch.Tensor, ...]:
    """One update and the evaluation after it (for torch.compile).

    Heavy ball, or Nesterov's update with ``look_ahead``.
    """
    if look_ahead:  # the gradient at y_k = x_k + beta_k v_k
        ahead = beta * v
        _, g_ahead, _ = evaluate(f, x + ahead)
        v = ahead - a * g_ahead
    else:
        v = beta * v - a * g
    x_new = x + v
    return x_new, v, *evaluate(f, x_new)


def _momentum_fused(
    compile: bool,
    objective: Objective,
    look_ahead: bool,
    beta_at: Callable[[int], float],
    alpha: float,
) -> Fused | None:
    """A driver ``Fused`` running :func:`_update` compiled; None without ``compile``."""
    if not check_compile(compile):
        return None
    f, step, beta = objective.f, Scalar(), Scalar()
    advance = compiled_per_run(_update, f, look_ahead=look_ahead)
    v: torch.Tensor | None = None  # the velocity v_k; None stands for v_0 = 0

    def fused(
        k: int, x: torch.Tensor, g: torch.Tensor
    ) -> tuple[torch.Tensor, None, torch.Tensor, torch.Tensor, torch.Tensor]:
        nonlocal v
        if v is None:
            v = torch.zeros_like(x)
        x_new, v, fx, g_new, both = advance(
            f, x, g, v, step(alpha, x), beta(beta_at(k), x)
        )
        if look_ahead:
            objective.nfev += 1  # the gradient at y_k; the driver counts the other
        return x_new, None, fx, g_new, both

    return fused
