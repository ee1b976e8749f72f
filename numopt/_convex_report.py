"""Result types of the convexity checks: :class:`ConvexityReport` and its
:class:`Counterexample`, re-exported by :mod:`numopt.convexity`."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._validation import check_nonnegative


def _fmt(t: torch.Tensor | None) -> str:
    if t is None:
        return "-"
    if t.numel() == 1:
        return f"{t.item():.6g}"
    return (
        "["
        + ", ".join(f"{v:.4g}" for v in t.reshape(-1).tolist()[:8])
        + (", ...]" if t.numel() > 8 else "]")
    )


@dataclass(frozen=True, repr=False)
class Counterexample:
    r"""The sampled case that violates an inequality ``lhs <= rhs`` the most.

    Attributes
    ----------
    x : torch.Tensor
        The first sampled point; for the second-order check, the point whose
        Hessian has the most negative eigenvalue.
    y : torch.Tensor or None
        The second sampled point (None for the second-order check).
    theta : float or None
        The weight of ``x`` in the convex combination (definition and sets).
    gap : float or None
        ``lhs - rhs``, the amount by which the inequality fails. ``lhs`` and
        ``rhs`` are :math:`f(\theta x + (1-\theta)y)` and
        :math:`\theta f(x) + (1-\theta) f(y)` (definition);
        :math:`f(x) + \nabla f(x)^\top (y-x)` and :math:`f(y)` (first order);
        :math:`0` and :math:`\lambda_{\min}(\nabla^2 f(x))` (second order).
        None for sets.
    lhs : float or None
        The left side of the inequality.
    rhs : float or None
        The right side of the inequality.
    """

    x: torch.Tensor
    y: torch.Tensor | None = None
    theta: float | None = None
    gap: float | None = None
    lhs: float | None = None
    rhs: float | None = None

    @property
    def point(self) -> torch.Tensor:
        r"""The convex combination :math:`\theta x + (1-\theta) y` (or ``x``)."""
        if self.y is None or self.theta is None:
            return self.x
        return self.theta * self.x + (1 - self.theta) * self.y

    def __repr__(self) -> str:
        parts = [f"x={_fmt(self.x)}"]
        if self.y is not None:
            parts.append(f"y={_fmt(self.y)}")
        if self.theta is not None:
            parts.append(f"theta={self.theta:.4g}")
        if self.gap is not None:
            parts.append(f"gap={self.gap:.4g}")
        return "Counterexample(" + ", ".join(parts) + ")"


@dataclass(frozen=True, repr=False)
class ConvexityReport:
    """Outcome of a sampling check of convexity.

    Attributes
    ----------
    test : str
        ``"definition"``, ``"first-order"``, ``"second-order"`` or ``"set"``.
    convex : bool
        True when no sampled case violates the inequality (with ``strict``:
        the strict inequality). Evidence, not proof.
    counterexample : Counterexample or None
        The worst violating case (for sets: the first one), or None.
    n_checked : int
        Number of sampled cases.
    n_violations : int
        Number of sampled cases that violate the inequality.
    strict : bool
        Whether the strict inequality was tested.
    max_gap : float or None
        Largest ``lhs - rhs`` over the sample (negative when every case holds
        with room to spare); None for sets.
    min_eigenvalue : float or None
        Smallest Hessian eigenvalue found (second-order check only).
    """

    test: str
    convex: bool
    counterexample: Counterexample | None
    n_checked: int
    n_violations: int
    strict: bool = False
    max_gap: float | None = None
    min_eigenvalue: float | None = None

    def __repr__(self) -> str:
        word = "strictly convex" if self.strict else "convex"
        lines = [
            f"  {word}: {self.convex} ({self.n_violations} of {self.n_checked} "
            "sampled cases violate the inequality)"
        ]
        if self.max_gap is not None:
            lines.append(f"  max gap: {self.max_gap:.4g}")
        if self.min_eigenvalue is not None:
            lines.append(f"  min eigenvalue: {self.min_eigenvalue:.4g}")
        if self.counterexample is not None:
            label = "first" if self.test == "set" else "worst"
            lines.append(f"  {label}: {self.counterexample!r}")
        return f"ConvexityReport[{self.test}](\n" + "\n".join(lines) + "\n)"


def _check_options(strict: bool, atol: float) -> float:
    """Validate the options every sampling check shares; return ``atol``."""
    if not isinstance(strict, bool):
        raise TypeError(f"strict must be True or False, got {strict!r}")
    return check_nonnegative(atol, "atol")


def _report(
    test: str,
    x: torch.Tensor,
    y: torch.Tensor | None,
    theta: torch.Tensor | None,
    lhs: torch.Tensor,
    rhs: torch.Tensor,
    *,
    strict: bool,
    atol: float,
    scale: torch.Tensor | None = None,
    min_eigenvalue: float | None = None,
) -> ConvexityReport:
    gap = lhs - rhs
    if strict and scale is None:
        raise ValueError("a strict check needs the scale of each pair")
    bad = gap >= -atol * scale if strict and scale is not None else gap > atol
    n_bad = int(bad.sum())
    example = None
    if n_bad:
        i = int(torch.argmax(torch.where(bad, gap, -math.inf)))
        example = Counterexample(
            x=x[i].clone(),
            y=None if y is None else y[i].clone(),
            theta=None if theta is None else float(theta[i]),
            gap=float(gap[i]),
            lhs=float(lhs[i]),
            rhs=float(rhs[i]),
        )
    return ConvexityReport(
        test,
        n_bad == 0,
        example,
        len(gap),
        n_bad,
        strict,
        float(gap.max()),
        min_eigenvalue,
    )
