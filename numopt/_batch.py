"""Sampling and batched evaluation shared by the checks in :mod:`numopt.convexity`.

Validation of ``n``, ``seed`` and boxes, uniform sampling in a box, and
:func:`evaluate_batch` (re-exported by :mod:`numopt.convexity`) with the
value/gradient helpers built on it.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import torch

from ._convex_report import _fmt
from ._objective import _as_scalar
from ._validation import check_callable

Fn = Callable[[torch.Tensor], torch.Tensor]
F64 = torch.float64


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return int(n)


def _generator(seed: Any) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return torch.Generator().manual_seed(int(seed))


def _as_f64(value: Any, name: str) -> torch.Tensor:
    try:
        t = torch.as_tensor(value, dtype=F64)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a number or a sequence of numbers") from err
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return t


def _box(low: Any, high: Any) -> tuple[torch.Tensor, torch.Tensor]:
    lo, hi = _as_f64(low, "low"), _as_f64(high, "high")
    for t, name in ((lo, "low"), (hi, "high")):
        if t.ndim > 1:
            raise ValueError(
                f"{name} must be a number (1-D box) or a 1-D sequence (n-D box), "
                f"got shape {tuple(t.shape)}"
            )
    if lo.shape != hi.shape:
        if lo.ndim and hi.ndim:
            raise ValueError(
                f"low and high must have the same length, got {lo.numel()} "
                f"and {hi.numel()}"
            )
        lo, hi = torch.broadcast_tensors(lo, hi)
    if bool((lo > hi).any()):
        raise ValueError(f"low must be <= high, got low={low!r}, high={high!r}")
    return lo, hi


def _uniform(lo: torch.Tensor, hi: torch.Tensor, n: int, g: torch.Generator):
    return lo + (hi - lo) * torch.rand((n, *lo.shape), generator=g, dtype=F64)


def _batched_ok(out: Any, n: int, f: Fn, X: torch.Tensor, first: torch.Tensor):
    if not (isinstance(out, torch.Tensor) and out.shape == (n,)):
        return False
    last = _as_scalar(f(X[-1]))
    return bool(
        torch.allclose(out[0], first, rtol=1e-9, atol=1e-12, equal_nan=True)
        and torch.allclose(out[-1], last, rtol=1e-9, atol=1e-12, equal_nan=True)
    )


def evaluate_batch(f: Fn, X: torch.Tensor) -> torch.Tensor:
    """Evaluate ``f`` at each point of a batch ``X``: ``(n, *point)`` -> ``(n,)``.

    Three ways are tried in turn: one call ``f(X)``, accepted when it returns
    shape ``(n,)`` and its first and last entries equal ``f(X[0])`` and
    ``f(X[-1])`` (so a function that, say, sums over the whole batch is not
    mistaken for a batched one); :func:`torch.func.vmap`; a Python loop. The
    result keeps the autograd graph when ``X`` requires grad.

    Parameters
    ----------
    f : callable
        Takes one point (a tensor shaped like ``X[0]``) and returns a scalar
        tensor.
    X : torch.Tensor
        The points, stacked along the first dimension.

    Returns
    -------
    torch.Tensor
        Shape ``(n,)``.

    Examples
    --------
    >>> import torch
    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> evaluate_batch(lambda x: x.dot(x), X)  # not batched: vmap is used
    tensor([ 5., 25.])
    """
    f = check_callable(f, "f")
    n = X.shape[0]
    first = _as_scalar(f(X[0]))
    try:
        out = f(X)
    except Exception:  # f written for one point may fail on a batch in any way
        out = None
    if _batched_ok(out, n, f, X, first):
        return out
    try:
        out = torch.func.vmap(f)(X)
    except Exception:  # data-dependent control flow, .item(), ...
        out = None
    if isinstance(out, torch.Tensor) and out.shape == (n,):
        return out
    return torch.stack([first] + [_as_scalar(f(x)) for x in X[1:]])


def _finite(values: torch.Tensor, X: torch.Tensor, what: str = "f") -> None:
    """Raise unless ``values`` (one row per point of ``X``) is finite."""
    bad = ~torch.isfinite(values.reshape(len(values), -1)).all(1)
    if bool(bad.any()):
        i = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"{what} is not finite at {int(bad.sum())} sampled point(s), e.g. "
            f"x = {_fmt(X[i].detach())}; restrict the box [low, high] (or the "
            "points) to the domain of f"
        )


def _values(f: Fn, X: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        v = evaluate_batch(f, X)
    _finite(v, X)
    return v


def _values_and_grads(f: Fn, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``f`` and ``∇f`` at each point of ``X`` (autograd through the batch sum)."""
    with torch.enable_grad():
        Xg = X.detach().clone().requires_grad_(True)
        v = evaluate_batch(f, Xg)
        g = None
        if v.requires_grad:
            (g,) = torch.autograd.grad(v.sum(), Xg, allow_unused=True)
    _finite(v.detach(), X)
    if g is None:
        return v.detach(), torch.zeros_like(X)
    _finite(g, X, "the gradient of f")
    return v.detach(), g.detach()


def _sqdist(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((x - y) ** 2).reshape(len(x), -1).sum(1)


def _along(t: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """Reshape a per-sample vector so it broadcasts against the batch ``X``."""
    return t.reshape(-1, *([1] * (X.ndim - 1)))
