"""Convex sets known by a membership test and a sampler: :class:`SampledSet`,
:func:`check_convex_set` and ready-made sets (re-exported by :mod:`numopt.convexity`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ._batch import F64, _along, _as_f64, _box, _check_n, _generator, _uniform
from ._convex_report import ConvexityReport, Counterexample
from ._validation import check_callable

Contains = Callable[[torch.Tensor], torch.Tensor]
Sampler = Callable[[int, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class SampledSet:
    """A set known by a membership test and a sampler of its points.

    Attributes
    ----------
    contains : callable
        ``contains(points) -> bool tensor``: ``points`` has shape
        ``(m, *point)``, the result shape ``(m,)``.
    sample : callable
        ``sample(m, generator) -> points`` of shape ``(m, *point)``, float64,
        all in the set.
    name : str
        A label for plots and reprs.
    """

    contains: Contains
    sample: Sampler
    name: str = "set"

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        """Same as :attr:`contains`."""
        return self.contains(points)


def check_convex_set(
    contains: Contains | SampledSet,
    sample: Sampler | None = None,
    *,
    n: int = 2000,
    seed: int = 0,
) -> ConvexityReport:
    r"""Test :math:`\theta x + (1-\theta) y \in C` for random :math:`x, y \in C`.

    Draws ``n`` pairs from ``sample`` and :math:`\theta \in [0, 1]`, and
    tests membership of each convex combination.

    Parameters
    ----------
    contains : callable or SampledSet
        Membership test, ``(m, *point) -> (m,)`` bool; or a
        :class:`SampledSet`, whose sampler is then used.
    sample : callable, optional
        ``sample(m, generator)`` returning ``m`` points of the set; required
        unless ``contains`` is a :class:`SampledSet`.
    n : int, optional
        Number of pairs.
    seed : int, optional
        Seed of the generator.

    Returns
    -------
    ConvexityReport
        ``test="set"``; the counterexample (the first violating pair) has
        ``x``, ``y``, ``theta`` and ``point`` outside the set.

    Examples
    --------
    >>> check_convex_set(norm_ball(1, dim=3)).convex
    True
    >>> two = union(norm_ball(2, center=[-2, 0]), norm_ball(2, center=[2, 0]))
    >>> check_convex_set(two).convex
    False
    """
    if isinstance(contains, SampledSet):
        sample = contains.sample if sample is None else sample
        contains = contains.contains
    contains = check_callable(contains, "contains")
    if sample is None:
        raise TypeError("sample is required unless contains is a SampledSet")
    sample = check_callable(sample, "sample")
    n, g = _check_n(n), _generator(seed)
    x, y = sample(n, g), sample(n, g)
    for pts in (x, y):
        if not isinstance(pts, torch.Tensor) or pts.shape[:1] != (n,):
            raise ValueError(f"sample(n, generator) must return a tensor of {n} points")
        member = _member(contains, pts)
        if not bool(member.all()):
            raise ValueError("sample returned points that contains() rejects")
    theta = torch.rand(n, generator=g, dtype=x.dtype)
    t = _along(theta, x)
    outside = ~_member(contains, t * x + (1 - t) * y)
    n_bad = int(outside.sum())
    example = None
    if n_bad:
        i = int(outside.nonzero()[0, 0])
        example = Counterexample(x[i].clone(), y[i].clone(), float(theta[i]))
    return ConvexityReport("set", n_bad == 0, example, n, n_bad)


def _member(contains: Contains, pts: torch.Tensor) -> torch.Tensor:
    out = contains(pts)
    if not isinstance(out, torch.Tensor) or out.shape != pts.shape[:1]:
        raise ValueError(
            "contains(points) must return a bool tensor of shape "
            f"{tuple(pts.shape[:1])}"
        )
    return out.bool()


def _dim(dim: Any) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 1:
        raise ValueError(f"dim must be an int >= 1, got {dim!r}")
    return int(dim)


def whole_space(dim: int = 2, *, scale: float = 5.0) -> SampledSet:
    r"""All of :math:`\mathbb{R}^{dim}`; samples are Gaussian (std ``scale``)."""
    d = _dim(dim)
    return SampledSet(
        lambda X: torch.ones(X.shape[0], dtype=torch.bool),
        lambda m, g: scale * torch.randn(m, d, generator=g, dtype=F64),
        f"R^{d}",
    )


def nonnegative_orthant(dim: int = 2, *, scale: float = 5.0) -> SampledSet:
    r"""The orthant :math:`\mathbb{R}^{dim}_+ = \{x : x_i \ge 0\}`."""
    d = _dim(dim)
    return SampledSet(
        lambda X: (X >= 0).all(-1),
        lambda m, g: scale * torch.randn(m, d, generator=g, dtype=F64).abs(),
        f"R^{d}_+",
    )


def norm_ball(
    p: float = 2,
    *,
    center: Sequence[float] | torch.Tensor | None = None,
    radius: float = 1.0,
    dim: int = 2,
    tol: float = 1e-9,
) -> SampledSet:
    r"""The ball :math:`\{x : \|x - c\|_p \le r\}`.

    Convex for :math:`p \ge 1` (1, 2, ``math.inf``, ...). A :math:`0 < p < 1`
    is accepted to show that the "ball" of a quasi-norm is *not* convex.
    Samples are :math:`c + r\,u^{1/d} z/\|z\|_p` with Gaussian :math:`z` and
    uniform :math:`u`, so they reach the boundary.

    Parameters
    ----------
    p : float
        The norm's order, ``> 0``.
    center : sequence of float, optional
        Default the origin of :math:`\mathbb{R}^{dim}`; sets the dimension.
    radius : float
        ``> 0``.
    dim : int
        Dimension when ``center`` is omitted.
    tol : float
        Relative tolerance of the membership test.
    """
    if not p > 0:
        raise ValueError(f"p must be > 0, got {p!r}")
    if not radius > 0:
        raise ValueError(f"radius must be > 0, got {radius!r}")
    c = (
        torch.zeros(_dim(dim), dtype=F64)
        if center is None
        else _as_f64(center, "center")
    )
    if c.ndim != 1:
        raise ValueError(f"center must be a 1-D sequence, got shape {tuple(c.shape)}")
    d = c.numel()

    def contains(X: torch.Tensor) -> torch.Tensor:
        return torch.linalg.vector_norm(X - c, ord=p, dim=-1) <= radius * (1 + tol)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        z = torch.randn(m, d, generator=g, dtype=F64)
        z = z / torch.linalg.vector_norm(z, ord=p, dim=-1, keepdim=True)
        u = torch.rand(m, 1, generator=g, dtype=F64) ** (1 / d)
        return c + radius * u * z

    p_name = "inf" if p == math.inf else f"{p:g}"
    where = ", ".join(f"{v:g}" for v in c.tolist())
    return SampledSet(
        contains, sample, f"{p_name}-norm ball, center ({where}), r = {radius:g}"
    )


def _matrix_and_vector(A: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor]:
    A, b = _as_f64(A, "A"), _as_f64(b, "b")
    if A.ndim != 2:
        raise ValueError(f"A must be a matrix (m, d), got shape {tuple(A.shape)}")
    if b.shape != (A.shape[0],):
        raise ValueError(f"b must have shape ({A.shape[0]},), got {tuple(b.shape)}")
    return A, b


def affine_set(A: Any, b: Any, *, tol: float = 1e-9, scale: float = 3.0) -> SampledSet:
    r"""The affine set :math:`\{x : Ax = b\}` (membership up to ``tol``).

    Samples are :math:`x_p + N c`: a least-squares solution plus Gaussian
    combinations (standard deviation ``scale``) of a null-space basis of
    :math:`A` (from the SVD).

    Raises
    ------
    ValueError
        If the shapes disagree or the set is empty (:math:`b \notin
        \operatorname{range} A`).
    """
    A, b = _matrix_and_vector(A, b)
    xp = torch.linalg.lstsq(A, b.unsqueeze(-1), driver="gelsd").solution.squeeze(-1)
    scale_b = 1 + float(b.abs().max()) if b.numel() else 1.0
    if b.numel() and float((A @ xp - b).abs().max()) > 1e-8 * scale_b:
        raise ValueError(
            "the affine set {x : Ax = b} is empty: b is not in the range of A"
        )
    _, S, Vh = torch.linalg.svd(A, full_matrices=True)
    cutoff = (float(S.max()) if S.numel() else 0.0) * max(A.shape) * 1e-15
    rank = int((S > cutoff).sum())
    N = Vh[rank:].mT  # (d, d - rank)

    def contains(X: torch.Tensor) -> torch.Tensor:
        return ((X @ A.mT - b).abs() <= tol * scale_b).all(-1)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        coef = scale * torch.randn(m, N.shape[1], generator=g, dtype=F64)
        return xp + coef @ N.mT

    return SampledSet(contains, sample, "{x : Ax = b}")


def _rejection(
    propose: Sampler, contains: Contains, m: int, g: torch.Generator, what: str
) -> torch.Tensor:
    """Keep the proposals that ``contains`` accepts until there are ``m``."""
    kept, count = [], 0
    for _ in range(200):
        pts = propose(max(4 * m, 256), g)
        pts = pts[_member(contains, pts)]
        kept.append(pts)
        count += len(pts)
        if count >= m:
            return torch.cat(kept)[:m]
    raise ValueError(
        f"could not sample {what}: only {count} of {m} proposals fell inside; "
        "the set may be empty or too thin"
    )


def polyhedron(
    A: Any, b: Any, *, bounds: tuple[Any, Any] = (-10.0, 10.0), tol: float = 1e-9
) -> SampledSet:
    r"""The polyhedron :math:`\{x : Ax \le b\}` (componentwise).

    Samples come by rejection from the box ``bounds`` (numbers or per-coordinate
    sequences), so the sampler only sees the part of an unbounded polyhedron
    inside it. For equality constraints use :func:`affine_set`.
    """
    A, b = _matrix_and_vector(A, b)
    lo, hi = _box(*bounds)
    lo, hi = lo.expand(A.shape[1]), hi.expand(A.shape[1])

    def contains(X: torch.Tensor) -> torch.Tensor:
        return (X @ A.mT <= b + tol * (1 + b.abs())).all(-1)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        box = lambda k, gen: _uniform(lo, hi, k, gen)  # noqa: E731
        return _rejection(box, contains, m, g, "the polyhedron {x : Ax <= b}")

    return SampledSet(contains, sample, "{x : Ax <= b}")


def _sets(sets: tuple[SampledSet, ...], what: str) -> tuple[SampledSet, ...]:
    if not sets or not all(isinstance(s, SampledSet) for s in sets):
        raise TypeError(f"{what} takes one or more SampledSet objects")
    return sets


def intersection(*sets: SampledSet) -> SampledSet:
    r""":math:`C_1 \cap \dots \cap C_k`, sampled by rejection from :math:`C_1`."""
    sets = _sets(sets, "intersection")

    def contains(X: torch.Tensor) -> torch.Tensor:
        return torch.stack([_member(s.contains, X) for s in sets]).all(0)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        return _rejection(sets[0].sample, contains, m, g, "the intersection")

    return SampledSet(contains, sample, " ∩ ".join(f"({s.name})" for s in sets))


def union(*sets: SampledSet) -> SampledSet:
    r""":math:`C_1 \cup \dots \cup C_k`; each sample comes from a random :math:`C_i`.

    Not convex in general: two disjoint balls are the standard counterexample.
    """
    sets = _sets(sets, "union")

    def contains(X: torch.Tensor) -> torch.Tensor:
        return torch.stack([_member(s.contains, X) for s in sets]).any(0)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        which = torch.randint(len(sets), (m,), generator=g)
        pts = torch.stack([s.sample(m, g) for s in sets])
        return pts[which, torch.arange(m)]

    return SampledSet(contains, sample, " ∪ ".join(f"({s.name})" for s in sets))


def psd_cone(n: int = 2, *, tol: float = 1e-9) -> SampledSet:
    r"""The cone :math:`\mathbb{S}^n_+` of symmetric positive semidefinite matrices.

    A point is an ``(n, n)`` matrix; it is a member when it is symmetric and
    its smallest eigenvalue (:func:`torch.linalg.eigvalsh`) is
    :math:`\ge -\text{tol}\,(1 + \max|a_{ij}|)`. Samples are :math:`BB^\top`
    with Gaussian :math:`B` of random rank :math:`1 \dots n`, so singular
    matrices on the cone's boundary are included.
    """
    d = _dim(n)

    def contains(X: torch.Tensor) -> torch.Tensor:
        size = 1 + X.abs().amax((-2, -1))
        symmetric = (X - X.mT).abs().amax((-2, -1)) <= tol * size
        lam = torch.linalg.eigvalsh(0.5 * (X + X.mT)).amin(-1)
        return symmetric & (lam >= -tol * size)

    def sample(m: int, g: torch.Generator) -> torch.Tensor:
        B = torch.randn(m, d, d, generator=g, dtype=F64)
        rank = torch.randint(1, d + 1, (m, 1, 1), generator=g)
        B = B * (torch.arange(d).reshape(1, 1, d) < rank)
        return B @ B.mT

    return SampledSet(contains, sample, f"S^{d}_+")
