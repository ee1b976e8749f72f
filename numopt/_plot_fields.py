"""Steepest-descent fields and animated solver paths."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._batch import _values_and_grads, evaluate_batch
from ._plot_common import (
    COLORS,
    Bounds2D,
    Fn,
    axes,
    box_2d,
    contours,
    curve,
    grid_points,
    grid_values,
    legend_outside,
    markevery,
    path_2d,
    path_of,
    subplots,
)
from ._plot_paths import _mark_minimizers
from .result import OptimizeResult


def plot_gradient_field(
    f: Fn,
    *,
    ax: Axes | None = None,
    bounds: Bounds2D,
    n: int = 15,
    levels: int = 20,
    normalize: bool = True,
    x_true: Any = None,
    num: int = 160,
) -> Axes:
    r"""Contour lines of a 2-D objective with the field :math:`-\nabla f` on top.

    The arrows, on an ``n`` × ``n`` grid, point in the direction of steepest
    descent: they cross every level line at a right angle, pointing downhill
    (the aspect ratio is 1 so that the right angles look right). With
    ``normalize`` (default) every arrow has the same length and shows only
    the direction; otherwise lengths are proportional to
    :math:`\|\nabla f\|`.

    Parameters
    ----------
    f : callable
        The objective, taking points of shape ``(2,)``.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    bounds : ((float, float), (float, float))
        The plotted box.
    n : int, optional
        Arrows per axis.
    levels : int, optional
        Number of contour lines.
    normalize : bool, optional
        Draw unit arrows.
    x_true : array_like, optional
        Minimizer(s) to mark.
    num : int, optional
        Grid points per axis for the contours.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from numopt.problems import matyas
    >>> ax = plot_gradient_field(matyas, bounds=((-2, 2), (-2, 2)), n=9)
    >>> len(ax.collections[-1].U)  # one arrow per grid point
    81
    """
    (x0, x1), (y0, y1) = box_2d(bounds)
    ax = axes(ax, figsize=(6.4, 4.8))
    contours(ax, *grid_values(f, bounds, num), levels=levels, filled=False)
    X, Y, pts = grid_points(bounds, n)
    _, g = _values_and_grads(f, pts)
    U, V = -g[:, 0].numpy(), -g[:, 1].numpy()
    length = np.hypot(U, V)
    h = min((x1 - x0), (y1 - y0)) / max(n - 1, 1)
    scale = (
        np.where(length > 0, length, 1.0) if normalize else max(length.max(), 1e-300)
    )
    U, V = U / scale * 0.8 * h, V / scale * 0.8 * h
    ax.quiver(
        X.reshape(-1),
        Y.reshape(-1),
        U,
        V,
        angles="xy",
        scale_units="xy",
        scale=1.0,
        color=COLORS[1],
        width=0.004,
        zorder=3,
    )
    handles = [
        Line2D([], [], color="#3b528b", lw=0.9, label="level lines of $f$"),
        Line2D(
            [],
            [],
            color=COLORS[1],
            ls="none",
            marker=r"$\rightarrow$",
            ms=14,
            label=r"$-\nabla f(x)$" + (" (direction)" if normalize else ""),
        ),
    ]
    if x_true is not None:
        _mark_minimizers(ax, x_true)
        handles.append(ax.lines[-1])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    legend_outside(ax, handles=handles)
    return ax


def animate_path(
    f: Fn,
    result: OptimizeResult | Any,
    *,
    bounds: Any,
    interval: int = 100,
    fig: Figure | None = None,
    max_frames: int = 60,
) -> FuncAnimation:
    """Animate a solver's path on a 1-D objective or on a 2-D contour plot.

    The path (``(k,)`` for 1-D, ``(k, 2)`` for 2-D) is subsampled to at most
    ``max_frames`` frames, always keeping the first and last iterate; each
    frame draws the trail so far and the current iterate, and the title shows
    :math:`k` and :math:`f(x_k)`. In a notebook show it with
    ``IPython.display.HTML(anim.to_jshtml())``; in a sphinx-gallery script
    keep it in a global variable (``anim = animate_path(...)``) and the
    gallery embeds it.

    Parameters
    ----------
    f : callable
        The objective.
    result : OptimizeResult or torch.Tensor
        A run with a recorded path, or the path.
    bounds : (float, float) or ((float, float), (float, float))
        Horizontal range (1-D) or box (2-D).
    interval : int, optional
        Milliseconds between frames.
    fig : matplotlib.figure.Figure, optional
        Figure to draw in (its first Axes, or a new one); a new figure by default.
    max_frames : int, optional
        Upper bound on the number of frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        With an extra attribute ``frame_iterations``: the iteration shown in
        each frame.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numopt
    >>> from numopt.problems import abs_quadratic
    >>> res = numopt.gradient_descent(abs_quadratic, 0.0, lr=0.05, max_iter=150)
    >>> anim = animate_path(abs_quadratic, res, bounds=(0, 10), max_frames=10)
    >>> anim.frame_iterations.tolist()  # the iteration drawn in each frame
    [0, 17, 33, 50, 67, 83, 100, 117, 133, 150]
    >>> html = anim.to_jshtml()  # in a notebook: IPython.display.HTML(html)
    """
    path = path_of(result)
    two_d = path.ndim == 2
    if two_d:
        P = path_2d(path, "result.path")
    else:
        P = np.stack([path.reshape(-1).numpy(), np.zeros(path.numel())], -1)
    with torch.no_grad():
        values = evaluate_batch(f, path).double().numpy()
    if fig is None:
        fig, ax = subplots(figsize=(6.4, 4.6) if two_d else (7.0, 3.6))
    else:
        ax = fig.axes[0] if fig.axes else fig.add_subplot()
    if two_d:
        contours(ax, *grid_values(f, bounds, 120), levels=25)
        xs, ys = P[:, 0], P[:, 1]
        ax.set_xlim(*bounds[0])
        ax.set_ylim(*bounds[1])
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    else:
        t, ft = curve(f, bounds[0], bounds[1], 400)
        ax.plot(t, ft, color="0.35", lw=1.6, label="objective $f(x)$")
        xs, ys = P[:, 0], values
        ax.set_xlim(*bounds)
        ax.set_xlabel("$x$")
        ax.set_ylabel("$f(x)$")
        ax.grid(True, alpha=0.3)
    frames = np.unique(np.linspace(0, len(P) - 1, min(len(P), max_frames)).round())
    frames = frames.astype(int)
    ax.plot(
        xs[0],
        ys[0],
        "s",
        ms=9,
        mfc="white",
        mec="black",
        mew=1.8,
        zorder=4,
        clip_on=False,
        label="start $x_0$",
    )
    (trail,) = ax.plot(
        [],
        [],
        "-o",
        color=COLORS[0],
        ms=4,
        lw=1.2,
        mfc="white",
        markevery=markevery(len(xs), 40),
        label="iterates so far",
    )
    (point,) = ax.plot(
        [], [], "*", color=COLORS[1], mec="black", ms=15, label="current iterate $x_k$"
    )
    legend_outside(ax)

    layout_frozen = False

    def update(j: int) -> tuple[Any, ...]:
        nonlocal layout_frozen
        if j and not layout_frozen:
            # Frames after the first keep the first one's layout: solving the
            # (constrained) layout again for every frame was half the cost of
            # drawing each one, and moved nothing.
            if fig.get_layout_engine() is not None:
                fig.set_layout_engine("none")
            layout_frozen = True
        k = frames[j]
        trail.set_data(xs[: k + 1], ys[: k + 1])
        point.set_data([xs[k]], [ys[k]])
        ax.set_title(f"iteration $k = {k}$,  $f(x_k) = {values[k]:.4g}$")
        return trail, point

    update(0)
    anim = FuncAnimation(fig, update, frames=len(frames), interval=interval, blit=False)
    anim.frame_iterations = frames  # type: ignore[attr-defined]
    return anim
