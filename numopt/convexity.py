r"""Numerical convexity checks: sample, test the inequality, report the worst case.

Each check draws random points (with a seeded :class:`torch.Generator`, so a
report is reproducible), evaluates one of the lecture's characterizations of
convexity and returns a :class:`ConvexityReport`:

* :func:`check_definition` —
  :math:`f(\theta x + (1-\theta) y) \le \theta f(x) + (1-\theta) f(y)`;
* :func:`check_first_order` — :math:`f(y) \ge f(x) + \nabla f(x)^\top (y - x)`;
* :func:`check_second_order` — :math:`\nabla^2 f(x) \succeq 0`, via
  :func:`hessian_eigenvalues`;
* :func:`jensen` — :math:`f(\mathbb{E}[x]) \le \mathbb{E}[f(x)]`;
* :func:`check_convex_set` — :math:`\theta x + (1-\theta) y \in C`, with
  ready-made sets (:func:`norm_ball`, :func:`polyhedron`, :func:`psd_cone`,
  :func:`union`, ...).

A sampling check can only *refute* convexity: ``convex=False`` comes with a
counterexample that really violates the inequality, while ``convex=True``
means "no violation among the points tried", not a proof.

Objectives take a tensor and return a scalar tensor built from torch
operations. They are evaluated on the whole sample at once when they accept a
batch (written with ``x[..., i]`` or elementwise operations, like
:mod:`numopt.problems`); otherwise through :func:`torch.func.vmap`, and as a
last resort in a Python loop (see :func:`evaluate_batch`).
"""

from __future__ import annotations

from typing import Any

import torch

from ._batch import (
    F64,
    Fn,
    _along,
    _as_f64,
    _box,
    _check_n,
    _finite,
    _generator,
    _sqdist,
    _uniform,
    _values,
    _values_and_grads,
    evaluate_batch,
)
from ._convex_report import ConvexityReport, Counterexample, _check_options, _report
from ._convex_sets import (
    SampledSet,
    affine_set,
    check_convex_set,
    intersection,
    nonnegative_orthant,
    norm_ball,
    polyhedron,
    psd_cone,
    union,
    whole_space,
)
from ._jensen import JensenResult, jensen
from ._objective import _as_scalar
from ._validation import check_callable, check_nonnegative

__all__ = [
    "ConvexityReport",
    "Counterexample",
    "JensenResult",
    "SampledSet",
    "affine_set",
    "check_convex_set",
    "check_definition",
    "check_first_order",
    "check_second_order",
    "evaluate_batch",
    "hessian_eigenvalues",
    "intersection",
    "jensen",
    "nonnegative_orthant",
    "norm_ball",
    "polyhedron",
    "psd_cone",
    "union",
    "whole_space",
]


def check_definition(
    f: Fn,
    low: Any,
    high: Any,
    *,
    n: int = 2000,
    seed: int = 0,
    strict: bool = False,
    atol: float = 1e-9,
) -> ConvexityReport:
    r"""Test the definition of convexity on random pairs in a box.

    Draws ``n`` pairs :math:`x, y` uniformly in the box ``[low, high]`` and
    :math:`\theta` uniformly in :math:`[0, 1]`, and tests

    .. math::

        f(\theta x + (1-\theta) y) \le \theta f(x) + (1-\theta) f(y) + \text{atol}.

    With ``strict=True`` it tests the strict inequality instead: a pair
    counts as a violation unless the gap is below
    :math:`-\text{atol}\cdot\theta(1-\theta)\|x-y\|^2`, i.e. unless the
    curvature measured along the segment exceeds ``atol``. (The true gap of a
    strictly convex :math:`f` shrinks like :math:`\theta(1-\theta)\|x-y\|^2`,
    so a fixed threshold would flag nearby pairs.) Affine functions fail it.

    Parameters
    ----------
    f : callable
        The function, taking a 0-d tensor (1-D box) or a tensor of shape
        ``(d,)`` and returning a scalar tensor.
    low, high : float or sequence of float
        Corners of the box: numbers for a 1-D box, sequences of length ``d``
        for a box in :math:`\mathbb{R}^d`. The box must lie in the domain of
        ``f`` (e.g. ``low > 0`` for :math:`-\log x`).
    n : int, optional
        Number of sampled pairs.
    seed : int, optional
        Seed of the :class:`torch.Generator`: the same seed gives the same report.
    strict : bool, optional
        Test strict convexity.
    atol : float, optional
        Tolerance for rounding errors (absolute; scale it with :math:`|f|`).
        With ``strict``, the least curvature that counts as strict.

    Returns
    -------
    ConvexityReport

    Raises
    ------
    TypeError
        If ``f`` is not callable or does not return a tensor, or ``strict``
        is not a bool.
    ValueError
        If ``low > high``, the shapes disagree, ``n < 1``, ``atol < 0``, or
        ``f`` (for the first- and second-order checks: its gradient or
        Hessian) is not finite in the box.

    Examples
    --------
    >>> import torch
    >>> check_definition(torch.exp, -2.0, 2.0).convex
    True
    >>> r = check_definition(torch.sin, 0.0, 2 * torch.pi)
    >>> r.convex, r.counterexample.gap > 0
    (False, True)
    """
    f = check_callable(f, "f")
    atol = _check_options(strict, atol)
    lo, hi = _box(low, high)
    n, g = _check_n(n), _generator(seed)
    x, y = _uniform(lo, hi, n, g), _uniform(lo, hi, n, g)
    theta = torch.rand(n, generator=g, dtype=F64)
    t = _along(theta, x)
    lhs = _values(f, t * x + (1 - t) * y)
    rhs = theta * _values(f, x) + (1 - theta) * _values(f, y)
    scale = theta * (1 - theta) * _sqdist(x, y)
    return _report(
        "definition", x, y, theta, lhs, rhs, strict=strict, atol=atol, scale=scale
    )


def check_first_order(
    f: Fn,
    low: Any,
    high: Any,
    *,
    n: int = 2000,
    seed: int = 0,
    strict: bool = False,
    atol: float = 1e-9,
) -> ConvexityReport:
    r"""Test the first-order condition on random pairs in a box.

    Tests :math:`f(y) \ge f(x) + \nabla f(x)^\top (y - x) - \text{atol}`: the
    tangent plane at :math:`x` lies below the graph. Gradients come from
    autograd; at a kink (e.g. :math:`|x|` at 0) autograd returns a
    subgradient, for which the inequality also holds when :math:`f` is convex.
    With ``strict``, a pair violates unless the gap is below
    :math:`-\text{atol}\,\|y-x\|^2`.

    Parameters
    ----------
    f, low, high, n, seed, strict, atol
        As in :func:`check_definition`.

    Returns
    -------
    ConvexityReport
        Its counterexample has ``lhs`` the tangent's value at ``y`` and
        ``rhs`` :math:`f(y)`.

    Examples
    --------
    >>> import torch
    >>> check_first_order(lambda x: (x**2).sum(-1), [-1, -1], [1, 1]).convex
    True
    >>> check_first_order(torch.cos, -3.0, 3.0).convex
    False
    """
    f = check_callable(f, "f")
    atol = _check_options(strict, atol)
    lo, hi = _box(low, high)
    n, g = _check_n(n), _generator(seed)
    x, y = _uniform(lo, hi, n, g), _uniform(lo, hi, n, g)
    fx, gx = _values_and_grads(f, x)
    tangent = fx + (gx * (y - x)).reshape(n, -1).sum(1)
    return _report(
        "first-order",
        x,
        y,
        None,
        tangent,
        _values(f, y),
        strict=strict,
        atol=atol,
        scale=_sqdist(x, y),
    )


def _hessian(f: Fn, x: torch.Tensor) -> torch.Tensor:
    def scalar(z: torch.Tensor) -> torch.Tensor:
        return _as_scalar(f(z))

    try:
        H = torch.func.hessian(scalar)(x)
    except Exception:  # data-dependent control flow: classic autograd copes
        H = torch.autograd.functional.hessian(scalar, x)
    return H.reshape(x.numel(), x.numel())


def hessian_eigenvalues(f: Fn, x: Any) -> torch.Tensor:
    r"""Eigenvalues of the Hessian :math:`\nabla^2 f(x)`, in ascending order.

    The Hessian comes from :func:`torch.func.hessian` (forward-over-reverse),
    is symmetrized and handed to :func:`torch.linalg.eigvalsh`. For a scalar
    ``x`` the one eigenvalue is :math:`f''(x)`. By the second-order
    condition, a twice differentiable :math:`f` is convex exactly when every
    eigenvalue is :math:`\ge 0` everywhere in its open convex domain.

    Parameters
    ----------
    f : callable
        Takes a tensor shaped like ``x`` and returns a scalar tensor.
    x : float, sequence or torch.Tensor
        The point; numbers and sequences become float64, a floating tensor
        keeps its dtype. A matrix argument is flattened (the Hessian is then
        :math:`mn \times mn`).

    Returns
    -------
    torch.Tensor
        Shape ``(x.numel(),)``.

    Examples
    --------
    >>> import torch
    >>> A = torch.tensor([[2.0, 1.0], [1.0, -3.0]], dtype=torch.float64)
    >>> hessian_eigenvalues(lambda x: 0.5 * x @ A @ x, [1.0, 1.0])
    tensor([-3.1926,  2.1926], dtype=torch.float64)
    >>> hessian_eigenvalues(torch.exp, 0.0)  # f''(0) = 1
    tensor([1.], dtype=torch.float64)
    """
    f = check_callable(f, "f")
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        x = x.detach()
    else:
        x = _as_f64(x, "x")
    H = _hessian(f, x)
    if not bool(torch.isfinite(H).all()):
        raise ValueError(f"the Hessian of f is not finite at x = {x.tolist()}")
    return torch.linalg.eigvalsh(0.5 * (H + H.mT))


def check_second_order(
    f: Fn,
    low: Any,
    high: Any,
    *,
    n: int = 200,
    seed: int = 0,
    atol: float = 1e-9,
) -> ConvexityReport:
    r"""Test :math:`\nabla^2 f(x) \succeq 0` at random points of a box.

    Computes the smallest Hessian eigenvalue at ``n`` uniform points (batched
    with :func:`torch.func.vmap` when ``f`` allows it) and reports a
    violation where it is below ``-atol``. Where ``f`` is not twice
    differentiable (norms at 0) the test says nothing: use
    :func:`check_definition`.

    Parameters
    ----------
    f, low, high, seed, atol
        As in :func:`check_definition`.
    n : int, optional
        Number of sampled points (each costs one Hessian).

    Returns
    -------
    ConvexityReport
        With ``min_eigenvalue`` set; the counterexample's ``x`` is the point
        with the most negative eigenvalue and ``gap`` is minus that eigenvalue.

    Examples
    --------
    >>> import torch
    >>> r = check_second_order(torch.sin, 0.0, 2 * torch.pi)
    >>> r.convex, round(r.min_eigenvalue, 2)
    (False, -1.0)
    """
    f = check_callable(f, "f")
    atol = check_nonnegative(atol, "atol")
    lo, hi = _box(low, high)
    n, g = _check_n(n), _generator(seed)
    X = _uniform(lo, hi, n, g)
    _values(f, X)  # validates f and its finiteness in the box
    try:
        H = torch.func.vmap(torch.func.hessian(lambda z: _as_scalar(f(z))))(X)
        H = H.reshape(n, X[0].numel(), X[0].numel())
    except Exception:  # not vmappable: one Hessian at a time
        H = torch.stack([_hessian(f, x) for x in X])
    _finite(H, X, "the Hessian of f")
    lam = torch.linalg.eigvalsh(0.5 * (H + H.mT)).amin(-1)
    return _report(
        "second-order",
        X,
        None,
        None,
        torch.zeros_like(lam),
        lam,
        strict=False,
        atol=atol,
        min_eigenvalue=float(lam.min()),
    )
