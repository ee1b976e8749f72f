"""Matplotlib helpers shared by the chapters and the gallery.

Every helper draws on an ``Axes`` (a new one when ``ax`` is None) and returns
it; none calls ``plt.show()``. Figures keep an opaque white background so
that they stay legible on dark page themes, and every series differs by
marker or line style as well as by colour.

=============================  ==============================================
:func:`plot_objective_1d`      a 1-D objective with a solver's iterates
:func:`plot_contour_path`      contours of a 2-D objective with solver paths
:func:`plot_convergence`       error, gap or gradient norm vs iteration (log)
:func:`plot_gradient_field`    contours with the steepest-descent field
:func:`animate_path`           a solver's path as an animation
:func:`plot_chord`             the definition of convexity (graph and chord)
:func:`plot_tangent`           the first-order condition (graph and tangent)
:func:`plot_norm_balls`        unit balls of the 1-, 2- and max-norms
:func:`plot_set_2d`            a 2-D set from its membership test, with a chord
=============================  ==============================================

The helpers live in private modules (``numopt/_plot_*.py``) and are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes

from ._plot_common import COLORS, LINESTYLES, MARKERS, subplots
from ._plot_convexity import plot_chord, plot_tangent
from ._plot_fields import animate_path, plot_gradient_field
from ._plot_paths import plot_contour_path, plot_convergence
from ._plot_sets import plot_norm_balls, plot_set_2d
from .result import OptimizeResult

__all__ = [
    "COLORS",
    "LINESTYLES",
    "MARKERS",
    "animate_path",
    "plot_chord",
    "plot_contour_path",
    "plot_convergence",
    "plot_gradient_field",
    "plot_norm_balls",
    "plot_objective_1d",
    "plot_set_2d",
    "plot_tangent",
    "subplots",
]


def _path_of(result: OptimizeResult | Sequence[float] | torch.Tensor) -> np.ndarray:
    if isinstance(result, OptimizeResult):
        if result.path is None:
            raise ValueError("result has no path: run the solver with record_path=True")
        path = result.path
    else:
        path = torch.as_tensor(result)
    return path.detach().cpu().double().reshape(-1).numpy()


def _eval(f: Callable[[torch.Tensor], torch.Tensor], xs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.asarray([float(f(torch.tensor(x, dtype=torch.float64))) for x in xs])


def plot_objective_1d(
    f: Callable[[torch.Tensor], torch.Tensor],
    result: OptimizeResult | Sequence[float] | torch.Tensor,
    *,
    ax: Axes | None = None,
    bounds: tuple[float, float] | None = None,
    x_true: float | None = None,
    title: str | None = None,
    num: int = 600,
    name: str = "f",
    var: str = "x",
) -> Axes:
    """Draw a 1-D objective with the iterates of a solver on it.

    The curve :math:`f` is drawn over ``bounds`` (default: the range of the
    iterates, padded); the iterates are joined in order, the start is marked
    with a square and the final iterate with a star, and the true minimizer,
    when given, with a dashed vertical line.

    Parameters
    ----------
    f : callable
        The objective, taking a 0-d tensor.
    result : OptimizeResult or sequence of float or torch.Tensor
        A solver result with a recorded path, or the iterates themselves.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure when omitted.
    bounds : tuple of float, optional
        The horizontal range of the curve.
    x_true : float, optional
        The true minimizer, drawn as a dashed vertical line.
    title : str, optional
        Axes title.
    num : int, optional
        Number of points on the curve.
    name, var : str, optional
        The symbols (TeX) of the function and of its variable in the axis
        labels and the legend: ``name="g", var=r"\theta"`` labels the
        curve :math:`g(\theta)`.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from numopt import gradient_descent, plot_objective_1d
    >>> from numopt.problems import abs_quadratic
    >>> res = gradient_descent(abs_quadratic, 0.0, lr=0.05, max_iter=150)
    >>> ax = plot_objective_1d(abs_quadratic, res, bounds=(0, 10), x_true=4.5)
    """
    xs = _path_of(result)
    ys = _eval(f, xs)
    if bounds is None:
        lo, hi = float(xs.min()), float(xs.max())
        pad = 0.1 * (hi - lo) or 1.0
        bounds = (lo - pad, hi + pad)
    if ax is None:
        _, ax = subplots()
    grid = np.linspace(bounds[0], bounds[1], num)
    fx = f"{name}({var})"
    ax.plot(
        grid, _eval(f, grid), color="0.35", lw=1.6, label=f"objective ${fx}$", zorder=1
    )
    ax.plot(xs, ys, "-", color=COLORS[0], lw=0.8, alpha=0.6, zorder=2)
    ax.scatter(
        xs,
        ys,
        s=14,
        c=np.arange(len(xs)),
        cmap="viridis",
        zorder=3,
        label=f"iterates ({len(xs) - 1} steps)",
    )
    ax.plot(
        xs[0],
        ys[0],
        "s",
        ms=9,
        mfc="white",
        mec=COLORS[1],
        mew=2,
        zorder=4,
        clip_on=False,
        label=f"start ${var}_0 = {xs[0]:.4g}$",
    )
    ax.plot(
        xs[-1],
        ys[-1],
        "*",
        ms=15,
        color=COLORS[1],
        mec="black",
        zorder=5,
        clip_on=False,
        label=f"final ${var} = {xs[-1]:.4g}$",
    )
    if x_true is not None:
        ax.axvline(
            x_true,
            color=COLORS[2],
            ls="--",
            lw=1.5,
            label=f"true minimizer ${var}^\\star = {x_true:.4g}$",
        )
    ax.set_xlim(*bounds)
    ax.set_xlabel(f"${var}$")
    ax.set_ylabel(f"${fx}$")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return ax
