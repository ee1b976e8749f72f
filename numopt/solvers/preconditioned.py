"""Preconditioned gradient descent, with the Jacobi (diagonal Hessian) default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from .._objective import Objective, _as_scalar
from .._validation import as_start, check_positive
from ..result import OptimizeResult
from ._driver import Callback, run

__all__ = ["jacobi_preconditioner", "preconditioned"]


def jacobi_preconditioner(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    r"""The inverse Hessian diagonal :math:`1/\partial_{ii}^2 f(x)`, shaped like ``x``.

    The Hessian comes from :func:`torch.func.hessian`. Raises ``ValueError``
    when a diagonal entry is not positive (the Jacobi preconditioner would not
    give a descent direction) or not finite.
    """
    hess = torch.func.hessian(lambda z: _as_scalar(f(z)))(x.detach())
    diag = hess.reshape(x.numel(), x.numel()).diagonal()
    if not bool(torch.isfinite(diag).all()):
        raise ValueError(
            f"the Hessian diagonal of f at x0 is not finite ({diag.tolist()}); "
            "pass P explicitly"
        )
    if bool((diag <= 0).any()):
        raise ValueError(
            "P=None uses the Jacobi preconditioner 1/diag(H(x0)), which needs a "
            f"positive Hessian diagonal at x0, got {diag.tolist()}; pass P "
            "explicitly or start where f is locally convex"
        )
    return (1 / diag).reshape(x.shape)


def _check_preconditioner(P: Any, x: torch.Tensor) -> torch.Tensor:
    """``P`` as a tensor on ``x``'s device: a positive diagonal or a PD matrix."""
    n = x.numel()
    try:
        P = torch.as_tensor(P, dtype=x.dtype, device=x.device)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"P must be a tensor or a sequence, got {type(P).__name__}"
        ) from err
    shapes = [(n,), (n, n)] + ([()] if x.ndim == 0 else [])
    if tuple(P.shape) not in shapes:
        raise ValueError(
            f"P must have shape ({n},) (a diagonal) or ({n}, {n}) (a matrix) for "
            f"x0 of shape {tuple(x.shape)}, got {tuple(P.shape)}"
        )
    if not bool(torch.isfinite(P).all()):
        raise ValueError("P must be finite (it contains NaN or inf)")
    if P.ndim < 2:
        if bool((P <= 0).any()):
            raise ValueError(
                "P must be positive definite: a diagonal P needs entries > 0"
            )
        return P.reshape(x.shape)
    _, info = torch.linalg.cholesky_ex((P + P.T) / 2)
    if int(info) != 0:
        raise ValueError(
            "P must be positive definite (v^T P v > 0 for every v != 0), "
            "so that -P ∇f is a descent direction"
        )
    return P


def preconditioned(
    f: Callable[[torch.Tensor], torch.Tensor],
    x0: Any,
    *,
    lr: float = 1.0,
    P: Any = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    callback: Callback | None = None,
    dtype: torch.dtype | None = None,
    record_path: bool = True,
) -> OptimizeResult:
    r"""Minimize ``f`` by preconditioned gradient descent.

    Starting from :math:`x_0`, repeat

    .. math::

        x_{k+1} = x_k - \alpha P \nabla f(x_k),

    with a fixed positive definite matrix :math:`P`. This is gradient descent
    in the variables :math:`z = P^{-1/2} x`, where the Hessian becomes
    :math:`P^{1/2} H P^{1/2}`: a good :math:`P \approx H^{-1}` makes the
    problem well conditioned. The default is the Jacobi preconditioner
    :math:`P = \operatorname{diag}(H(x_0))^{-1}`, which undoes a bad scaling
    of the coordinates exactly (on a quadratic with a diagonal Hessian, one
    step with ``lr=1`` lands on the minimizer).

    Parameters
    ----------
    f : callable
        Objective: takes a tensor shaped like ``x0`` and returns a scalar
        tensor, built from torch operations (gradients come from autograd).
    x0 : float, sequence or torch.Tensor
        Starting point: a scalar (treated as a 1-vector) or a 1-D vector of
        length :math:`n`. A tensor keeps its device and floating dtype.
    lr : float, optional
        Step size :math:`\alpha > 0`.
    P : tensor or sequence, optional
        The preconditioner: a vector of :math:`n` positive entries (a diagonal
        matrix) or a positive definite :math:`n \times n` matrix. ``None``
        computes the Jacobi preconditioner at ``x0`` with
        :func:`torch.func.hessian`; its diagonal must be positive there.
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
        As for :func:`~numopt.gradient_descent`, with ``extra["nhev"]``, the
        number of Hessian evaluations: 1 for the Jacobi preconditioner
        (``P=None``), else 0. As for :func:`~numopt.newton`, ``nfev`` does not
        count them.

    References
    ----------
    J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., Springer,
    2006: scaling in chapter 2, preconditioning in chapter 5.

    Examples
    --------
    >>> from numopt import preconditioned
    >>> f = lambda x: 0.5 * (x[0] ** 2 + 100 * x[1] ** 2)
    >>> res = preconditioned(f, [1.0, 1.0])  # P = diag(1, 1/100)
    >>> res.success, res.nit, res.x.tolist()
    (True, 1, [0.0, 0.0])
    """
    objective = Objective(f)
    alpha = check_positive(lr, "lr")
    x = as_start(x0, dtype)
    if x.ndim > 1:
        raise ValueError(
            f"x0 must be a scalar or a 1-D vector for preconditioned, got shape "
            f"{tuple(x.shape)}"
        )
    nhev = 0
    if P is None:
        P = jacobi_preconditioner(objective.f, x)
        nhev = 1  # the Hessian at x0
    else:
        P = _check_preconditioner(P, x)
    if P.ndim == 2:
        apply = lambda g: (P @ g.reshape(-1)).reshape(g.shape)  # noqa: E731
    else:
        apply = lambda g: P * g  # noqa: E731

    def step(
        k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor:
        return x - alpha * apply(g)

    return run(
        objective,
        x,
        step,
        method="preconditioned",
        max_iter=max_iter,
        tol=tol,
        callback=callback,
        dtype=dtype,
        record_path=record_path,
        extra={"nhev": nhev},
        ahead=True,
    )
