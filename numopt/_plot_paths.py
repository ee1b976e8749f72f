"""Plots of solver runs: paths on contour plots and convergence curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes

from ._batch import _values_and_grads, evaluate_batch
from ._plot_common import (
    Bounds2D,
    Fn,
    as_list,
    axes,
    box_2d,
    check_labels,
    contours,
    grid_values,
    label_of,
    legend_outside,
    markevery,
    path_2d,
    path_of,
    style,
)
from .result import OptimizeResult

QUANTITIES = {
    "error": r"error $\|x_k - x^\star\|$",
    "fun": r"$f(x_k) - f^\star$",
    "grad_norm": r"gradient norm $\|\nabla f(x_k)\|$",
}


def _mark_minimizers(ax: Axes, x_true: Any) -> None:
    xt = np.asarray(torch.as_tensor(x_true, dtype=torch.float64)).reshape(-1, 2)
    ax.plot(
        xt[:, 0],
        xt[:, 1],
        "X",
        ms=11,
        mfc="white",
        mec="black",
        mew=1.8,
        ls="none",
        zorder=6,
        label=r"minimizer $x^\star$",
    )


def plot_contour_path(
    f: Fn,
    results_or_paths: Any,
    *,
    ax: Axes | None = None,
    bounds: Bounds2D,
    levels: int = 30,
    labels: Sequence[str] | None = None,
    log_levels: bool = False,
    x_true: Any = None,
    filled: bool = True,
    num: int = 160,
) -> Axes:
    r"""Contours of a 2-D objective with one or several solver paths on top.

    :math:`f` is evaluated on a ``num`` × ``num`` grid in one batched call
    (points of shape ``(num², 2)``; objectives written with ``x[..., i]``, as in
    :mod:`numopt.problems`, are batched), falling back to ``vmap`` or a loop.
    Each path gets its own colour, marker and line style; starts are white
    squares, ends stars, known minimizers white crosses. The legend sits to
    the right of the axes.

    Parameters
    ----------
    f : callable
        The objective, taking points of shape ``(2,)``.
    results_or_paths : OptimizeResult, torch.Tensor or list of these
        Results with recorded paths, or paths of shape ``(k, 2)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    bounds : ((float, float), (float, float))
        ``((xmin, xmax), (ymin, ymax))``, e.g. ``Problem.bounds``.
    levels : int, optional
        Number of contour levels.
    labels : sequence of str, optional
        One legend label per path (default: the method names).
    log_levels : bool, optional
        Space the levels geometrically above the minimum of the grid, for
        objectives with a narrow valley such as Rosenbrock's.
    x_true : array_like, optional
        A minimizer ``(2,)`` or several ``(m, 2)``.
    filled : bool, optional
        Light filled contours (default) or coloured contour lines only.
    num : int, optional
        Grid points per axis.

    Returns
    -------
    matplotlib.axes.Axes
        Its first ``len(paths)`` lines are the paths, in order.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numopt
    >>> from numopt.problems import get_problem
    >>> p = get_problem("booth")
    >>> res = numopt.gradient_descent(p.f, p.x0, lr=0.05, max_iter=100)
    >>> ax = plot_contour_path(p.f, res, bounds=p.bounds, x_true=p.minimizers[0])
    >>> len(ax.lines[0].get_xdata()) == res.nit + 1
    True
    """
    items = as_list(results_or_paths)
    check_labels(labels, len(items))
    paths = [path_2d(r, "each path") for r in items]
    (x0, x1), (y0, y1) = box_2d(bounds)
    ax = axes(ax, figsize=(7.0, 4.6))
    contours(
        ax,
        *grid_values(f, bounds, num),
        levels=levels,
        log_levels=log_levels,
        filled=filled,
    )
    for i, (P, item) in enumerate(zip(paths, items, strict=True)):
        st = style(i)
        name = labels[i] if labels is not None else label_of(item, i)
        ax.plot(
            P[:, 0],
            P[:, 1],
            color=st.color,
            ls=st.linestyle,
            marker=st.marker,
            ms=4,
            lw=1.6,
            markevery=markevery(len(P)),
            zorder=3,
            label=f"{name} ({len(P) - 1} steps)",
        )
    starts = np.stack([P[0] for P in paths])
    ends = np.stack([P[-1] for P in paths])
    ax.plot(
        starts[:, 0],
        starts[:, 1],
        "s",
        ms=9,
        mfc="white",
        mec="black",
        mew=1.8,
        ls="none",
        zorder=4,
        clip_on=False,
        label="start $x_0$",
    )
    ax.scatter(
        ends[:, 0],
        ends[:, 1],
        marker="*",
        s=220,
        zorder=5,
        edgecolors="black",
        c=[style(i).color for i in range(len(paths))],
        label="final iterate",
    )
    if x_true is not None:
        _mark_minimizers(ax, x_true)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    legend_outside(ax)
    return ax


def _distance(path: torch.Tensor, x_true: Any) -> np.ndarray:
    k = path.shape[0]
    xt = torch.as_tensor(x_true, dtype=torch.float64)
    point = path.shape[1:]
    xt = xt.reshape(-1, *point) if xt.ndim > len(point) else xt.reshape(1, *point)
    diff = path.unsqueeze(1) - xt.unsqueeze(0)  # (k, m, *point)
    return diff.reshape(k, xt.shape[0], -1).norm(dim=-1).amin(1).numpy()


def _series(item: Any, quantity: str, f: Fn | None, x_true: Any, f_min: Any):
    # a result carries its values, even without a recorded path; a raw path
    # (a tensor, whose .values is a method) does not
    values = item.values if isinstance(item, OptimizeResult) else None
    if quantity == "fun" and values is not None:
        return _shifted(values, f_min)
    path = path_of(item)
    if quantity == "error":
        if x_true is None:
            raise ValueError('quantity="error" needs x_true (the minimizer)')
        return _distance(path, x_true)
    if f is None:
        raise ValueError(f'quantity="{quantity}" needs f to evaluate along the path')
    if quantity == "grad_norm":
        _, g = _values_and_grads(f, path)
        return g.reshape(len(path), -1).norm(dim=-1).numpy()
    with torch.no_grad():
        values = evaluate_batch(f, path)
    return _shifted(values, f_min)


def _shifted(values: torch.Tensor, f_min: Any) -> np.ndarray:
    """``values - f_min`` (or the values) as a float64 array."""
    out = values.detach().cpu().double().numpy()
    return out if f_min is None else out - float(f_min)


def plot_convergence(
    results: Any,
    *,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    quantity: str = "error",
    x_true: Any = None,
    f_min: float | None = None,
    f: Fn | None = None,
) -> Axes:
    r"""Convergence curves of one or several runs on a logarithmic axis.

    ``quantity`` selects what is plotted against the iteration :math:`k`:
    ``"error"`` :math:`\|x_k - x^\star\|` (needs ``x_true``; with several
    minimizers, the distance to the nearest), ``"fun"``
    :math:`f(x_k) - f^\star` (``f_min``; without it :math:`f(x_k)` itself), or
    ``"grad_norm"`` :math:`\|\nabla f(x_k)\|`, recomputed along the path with
    autograd (needs ``f``). Values that are not positive (an exact hit) are
    left out of the log plot.

    Parameters
    ----------
    results : OptimizeResult, torch.Tensor or list of these
        Runs with recorded paths, or raw paths ``(k, *shape)``. For
        ``"fun"`` a run needs no path: it carries its values.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    labels : sequence of str, optional
        One per run (default: the method names).
    quantity : {"error", "fun", "grad_norm"}
        What to plot.
    x_true : array_like, optional
        The minimizer (``"error"``).
    f_min : float, optional
        The minimum value (``"fun"``).
    f : callable, optional
        The objective: needed for ``"grad_norm"``, and for ``"fun"`` on raw
        paths.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numopt
    >>> from numopt.problems import abs_quadratic
    >>> runs = [numopt.gradient_descent(abs_quadratic, 10.0, lr=a, max_iter=60)
    ...         for a in (0.05, 0.2)]
    >>> ax = plot_convergence(runs, labels=["lr 0.05", "lr 0.2"], x_true=4.5)
    >>> len(ax.lines)
    2
    """
    if quantity not in QUANTITIES:
        allowed = ", ".join(repr(q) for q in QUANTITIES)
        raise ValueError(f"unknown quantity {quantity!r}; expected one of {allowed}")
    items = as_list(results)
    check_labels(labels, len(items))
    ax = axes(ax)
    series = [_series(r, quantity, f, x_true, f_min) for r in items]
    log = quantity != "fun" or f_min is not None or all((s > 0).all() for s in series)
    for i, (s, item) in enumerate(zip(series, items, strict=True)):
        st = style(i)
        y = np.where(s > 0, s, np.nan) if log else s
        ax.plot(
            np.arange(len(s)),
            y,
            color=st.color,
            ls=st.linestyle,
            marker=st.marker,
            ms=5,
            mfc="white",
            markevery=markevery(len(s), 15),
            lw=1.6,
            label=labels[i] if labels is not None else label_of(item, i),
        )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration $k$")
    ax.set_ylabel(
        QUANTITIES[quantity] if quantity != "fun" or f_min is not None else "$f(x_k)$"
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax
