"""Convex functions as pictures: a graph with a chord, a graph with a tangent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from ._batch import _values_and_grads
from ._plot_common import (
    BAD,
    COLORS,
    GOOD,
    Fn,
    axes,
    curve,
    legend_outside,
)

HATCHES = (None, "//", "\\\\", "..", "xx")


def _value(f: Fn, x: float) -> float:
    with torch.no_grad():
        return float(f(torch.tensor(float(x), dtype=torch.float64)))


def _shade(ax: Axes, t, upper, lower, where, *, good: bool, label: str) -> None:
    if np.count_nonzero(where) < 3:  # a touching point is not a region
        return
    ax.fill_between(
        t,
        lower,
        upper,
        where=where,
        interpolate=True,
        lw=0,
        color=GOOD if good else BAD,
        alpha=0.22 if good else 0.3,
        hatch=None if good else "///",
        label=label,
    )


def plot_chord(
    f: Fn,
    x: float,
    y: float,
    *,
    ax: Axes | None = None,
    bounds: tuple[float, float] | None = None,
    thetas: Sequence[float] | np.ndarray | None = None,
    num: int = 400,
) -> Axes:
    r"""The definition of convexity as a picture: a graph and one of its chords.

    Draws :math:`f`, the chord from :math:`(x, f(x))` to :math:`(y, f(y))`,
    and for each :math:`\theta` in ``thetas`` the point
    :math:`z = \theta x + (1-\theta) y` with a dotted segment from
    :math:`f(z)` up (or down) to the chord's value
    :math:`\theta f(x) + (1-\theta) f(y)`. Between :math:`x` and :math:`y`
    the region where the graph is below the chord is shaded green; where it
    is above (the definition fails: :math:`f` is not convex) it is hatched
    in vermillion, and those points are crosses instead of circles.

    Parameters
    ----------
    f : callable
        A function of one variable (0-d tensor -> 0-d tensor).
    x, y : float
        The chord's endpoints.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    bounds : (float, float), optional
        Range of the graph; default: ``[x, y]`` padded by a quarter of its length.
    thetas : sequence of float, optional
        The weights :math:`\theta \in [0, 1]` to mark; default 11 evenly
        spaced, :math:`0, 0.1, \dots, 1`.
    num : int, optional
        Points on the graph.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch
    >>> ax = plot_chord(torch.sin, 0.5, 5.5)  # sin is not convex on [0.5, 5.5]
    >>> any("above" in t.get_text() for t in ax.get_legend().get_texts())
    True
    """
    x, y = float(x), float(y)
    if x == y:
        raise ValueError("x and y must differ")
    lo, hi = min(x, y), max(x, y)
    pad = 0.25 * (hi - lo)
    bounds = (lo - pad, hi + pad) if bounds is None else bounds
    ax = axes(ax)
    t, ft = curve(f, bounds[0], bounds[1], num)
    fx, fy = _value(f, x), _value(f, y)
    ax.plot(t, ft, color="0.2", lw=1.8, label="$f$", zorder=2)
    ax.plot(
        [x, y],
        [fx, fy],
        color=COLORS[0],
        ls="--",
        lw=1.6,
        zorder=3,
        label=r"chord $\theta f(x) + (1-\theta) f(y)$",
    )
    seg = (t >= lo) & (t <= hi)
    chord_t = fx + (t - x) * (fy - fx) / (y - x)
    tol = 1e-12 * (1 + np.abs(ft))
    _shade(
        ax,
        t,
        chord_t,
        ft,
        seg & (ft <= chord_t + tol),
        good=True,
        label="$f$ below the chord",
    )
    _shade(
        ax,
        t,
        ft,
        chord_t,
        seg & (ft > chord_t + tol),
        good=False,
        label="$f$ above the chord: not convex",
    )
    th = np.linspace(0.0, 1.0, 11) if thetas is None else np.asarray(thetas, float)
    if th.ndim != 1 or np.any((th < 0) | (th > 1)):
        raise ValueError("thetas must be a 1-D sequence of numbers in [0, 1]")
    z = th * x + (1 - th) * y
    fz = np.array([_value(f, v) for v in z])
    cz = th * fx + (1 - th) * fy
    ok = fz <= cz + 1e-12 * (1 + np.abs(fz))
    ax.vlines(z, np.minimum(fz, cz), np.maximum(fz, cz), colors="0.4", ls=":", lw=1)
    ax.plot(
        z[ok],
        fz[ok],
        "o",
        color=GOOD,
        mec="black",
        ms=6,
        ls="none",
        zorder=4,
        label=r"$f(\theta x + (1-\theta) y)$",
    )
    if not ok.all():
        ax.plot(
            z[~ok],
            fz[~ok],
            "X",
            color=BAD,
            mec="black",
            ms=8,
            ls="none",
            zorder=4,
            label=r"$f(\theta x + (1-\theta) y)$ above the chord",
        )
    ax.plot([x, y], [fx, fy], "s", color="black", ms=7, zorder=5)
    for v, fv, name in ((x, fx, "x"), (y, fy, "y")):
        ax.annotate(
            f"$({name}, f({name}))$",
            (v, fv),
            xytext=(0, 10),
            textcoords="offset points",
            ha="center",
            fontsize="small",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        )
    ax.set_xlim(*bounds)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, "below")
    return ax


def plot_tangent(
    f: Fn,
    x: float,
    *,
    ax: Axes | None = None,
    bounds: tuple[float, float] | None = None,
    num: int = 400,
) -> Axes:
    r"""The first-order condition as a picture: a graph and its tangent at ``x``.

    Draws :math:`f` and its tangent line :math:`f(x_0) + f'(x_0)(x - x_0)`
    at :math:`x_0` = ``x`` (the derivative from autograd). Where the tangent
    lies below the graph the gap is shaded green; where it lies above (the
    first-order condition :math:`f(x) \ge f(x_0) + f'(x_0)(x - x_0)` fails:
    :math:`f` is not convex) it is hatched in vermillion.

    Parameters
    ----------
    f : callable
        A function of one variable.
    x : float
        The point of tangency.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    bounds : (float, float), optional
        Range of the graph; default ``(x - 2.5, x + 2.5)``.
    num : int, optional
        Points on the graph.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import torch
    >>> ax = plot_tangent(torch.exp, 0.0, bounds=(-2, 2))
    >>> ax.get_xlabel(), len(ax.lines)
    ('$x$', 3)
    """
    x = float(x)
    bounds = (x - 2.5, x + 2.5) if bounds is None else bounds
    ax = axes(ax)
    t, ft = curve(f, bounds[0], bounds[1], num)
    fxs, g = _values_and_grads(f, torch.tensor([x], dtype=torch.float64))
    fx, slope = float(fxs[0]), float(g[0])
    tan = fx + slope * (t - x)
    ax.plot(t, ft, color="0.2", lw=1.8, label="$f$", zorder=2)
    ax.plot(
        t,
        tan,
        color=COLORS[0],
        ls="--",
        lw=1.6,
        zorder=3,
        label=rf"tangent $f(x_0) + f'(x_0)(x - x_0)$ at $x_0 = {x:.3g}$",
    )
    tol = 1e-12 * (1 + np.abs(ft))
    _shade(ax, t, ft, tan, tan <= ft + tol, good=True, label="tangent below $f$")
    _shade(
        ax,
        t,
        tan,
        ft,
        tan > ft + tol,
        good=False,
        label="tangent above $f$: not convex",
    )
    ax.plot([x], [fx], "o", color="black", ms=7, zorder=5)
    span = ft.max() - ft.min() or 1.0
    ax.set_ylim(ft.min() - 0.15 * span, ft.max() + 0.1 * span)
    ax.set_xlim(*bounds)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, "below")
    return ax
