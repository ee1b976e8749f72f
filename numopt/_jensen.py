"""Jensen's inequality for a discrete distribution (re-exported by
:mod:`numopt.convexity`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from ._batch import F64, Fn, _along, _as_f64, evaluate_batch
from ._objective import _as_scalar
from ._validation import check_callable, check_nonnegative


@dataclass(frozen=True)
class JensenResult:
    r"""Both sides of Jensen's inequality :math:`f(\mathbb{E}[x]) \le \mathbb{E}[f(x)]`.

    Attributes
    ----------
    lhs : float
        :math:`f(\mathbb{E}[x]) = f(\sum_i w_i x_i)`.
    rhs : float
        :math:`\mathbb{E}[f(x)] = \sum_i w_i f(x_i)`.
    holds : bool
        Whether ``lhs <= rhs + atol``.
    """

    lhs: float
    rhs: float
    holds: bool

    @property
    def gap(self) -> float:
        """``rhs - lhs`` (nonnegative when the inequality holds)."""
        return self.rhs - self.lhs


def jensen(
    f: Fn, samples: Any, weights: Any = None, *, atol: float = 1e-9
) -> JensenResult:
    r"""Both sides of Jensen's inequality for a discrete distribution.

    With points :math:`x_i` and weights :math:`w_i \ge 0`,
    :math:`\sum_i w_i = 1`, computes

    .. math::

        f\Big(\sum_i w_i x_i\Big) \quad\text{and}\quad \sum_i w_i f(x_i),

    i.e. :math:`f(\mathbb{E}[x])` and :math:`\mathbb{E}[f(x)]`. For a convex
    :math:`f` the first never exceeds the second.

    Parameters
    ----------
    f : callable
        Takes one point and returns a scalar tensor.
    samples : sequence or torch.Tensor
        Shape ``(k,)`` (numbers) or ``(k, d)`` (points in :math:`\mathbb{R}^d`).
    weights : sequence or torch.Tensor, optional
        Shape ``(k,)``, nonnegative, summing to 1 (within 1e-9); default
        uniform :math:`1/k`.
    atol : float, optional
        Tolerance of ``holds``.

    Returns
    -------
    JensenResult

    Examples
    --------
    >>> import torch
    >>> r = jensen(torch.exp, [0.0, 1.0, 2.0])
    >>> r.holds, round(r.lhs, 4), round(r.rhs, 4)
    (True, 2.7183, 3.7024)
    >>> jensen(torch.log, [1.0, 4.0]).holds  # log is concave
    False
    """
    f = check_callable(f, "f")
    atol = check_nonnegative(atol, "atol")
    X = _as_f64(samples, "samples")
    if X.ndim not in (1, 2) or X.shape[0] == 0:
        raise ValueError(
            f"samples must have shape (k,) or (k, d) with k >= 1, got {tuple(X.shape)}"
        )
    k = X.shape[0]
    if weights is None:
        w = torch.full((k,), 1.0 / k, dtype=F64)
    else:
        w = _as_f64(weights, "weights")
        if w.shape != (k,):
            raise ValueError(
                f"weights must have shape ({k},) to match samples, got {tuple(w.shape)}"
            )
        if bool((w < 0).any()):
            raise ValueError("weights must be nonnegative")
        if abs(float(w.sum()) - 1.0) > 1e-9:
            raise ValueError(f"weights must sum to 1, got {float(w.sum())!r}")
    with torch.no_grad():
        lhs = float(_as_scalar(f((_along(w, X) * X).sum(0))))
        rhs = float((w * evaluate_batch(f, X)).sum())
    return JensenResult(lhs, rhs, lhs <= rhs + atol)
