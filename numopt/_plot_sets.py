"""Convex sets as pictures: norm balls, and 2-D sets from membership tests."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.patches as mpatches
import torch
from matplotlib.axes import Axes

from ._plot_common import (
    BAD,
    COLORS,
    GOOD,
    Bounds2D,
    axes,
    box_2d,
    grid_points,
    legend_outside,
    style,
)
from .convexity import SampledSet

HATCHES = (None, "//", "\\\\", "..", "xx")


def _p_name(p: float) -> str:
    return r"\infty" if p == math.inf else f"{p:g}"


def plot_norm_balls(
    ps: Sequence[float] = (1, 2, math.inf),
    *,
    ax: Axes | None = None,
    radius: float = 1.0,
    num: int = 721,
) -> Axes:
    r"""Outlines of the balls :math:`\{x \in \mathbb{R}^2 : \|x\|_p \le r\}`.

    The boundary is the curve :math:`r\,u/\|u\|_p` for unit vectors
    :math:`u`; each :math:`p` has its own colour and line style, and the
    balls nest, :math:`B_1 \subset B_2 \subset B_\infty`, because
    :math:`\|x\|_\infty \le \|x\|_2 \le \|x\|_1`.

    Parameters
    ----------
    ps : sequence of float, optional
        The orders :math:`p > 0` (``math.inf`` for the max-norm).
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    radius : float, optional
        The radius :math:`r`.
    num : int, optional
        Points on each outline.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_norm_balls()
    >>> for text in ax.get_legend().get_texts():
    ...     print(text.get_text())
    $\|x\|_{1} \leq 1$
    $\|x\|_{2} \leq 1$
    $\|x\|_{\infty} \leq 1$
    """
    ax = axes(ax, figsize=(5.6, 4.2))
    angle = torch.linspace(0, 2 * math.pi, num, dtype=torch.float64)
    u = torch.stack([torch.cos(angle), torch.sin(angle)], -1)
    for i, p in enumerate(ps):
        if not p > 0:
            raise ValueError(f"every p in ps must be > 0, got {p!r}")
        b = radius * u / torch.linalg.vector_norm(u, ord=p, dim=-1, keepdim=True)
        st = style(i)
        ax.plot(
            b[:, 0],
            b[:, 1],
            color=st.color,
            ls=st.linestyle,
            lw=2,
            label=rf"$\|x\|_{{{_p_name(p)}}} \leq {radius:g}$",
        )
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    lim = 1.3 * radius
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    legend_outside(ax)
    return ax


def plot_set_2d(
    contains: Callable[[torch.Tensor], torch.Tensor] | SampledSet,
    *,
    bounds: Bounds2D,
    ax: Axes | None = None,
    label: str | None = None,
    color: str | None = None,
    hatch: str | None = None,
    chord: tuple[Any, Any] | None = None,
    thetas: int = 21,
    num: int = 300,
) -> Axes:
    r"""Shade a 2-D set given by a membership test, optionally with a chord.

    The set is the region of ``bounds`` where ``contains`` is true, drawn
    filled with its outline. Several sets can share one Axes (call again with
    the same ``ax``): each gets the next colour and hatch, and the legend
    lists them all. With ``chord=(x, y)`` the segment from :math:`x` to
    :math:`y` is drawn with ``thetas`` convex combinations
    :math:`\theta x + (1-\theta)y`, circles where they are in the set and
    crosses where they are not (then the set is not convex); the legend lists
    only the kinds that occur.

    Parameters
    ----------
    contains : callable or numopt.convexity.SampledSet
        ``contains(points)``, points ``(m, 2)`` -> bool ``(m,)``.
    bounds : ((float, float), (float, float))
        The plotted box.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    label : str, optional
        Legend label (default: the set's name, or "set").
    color, hatch : str, optional
        Fill colour and hatch (default: the next in the house cycle).
    chord : (array_like, array_like), optional
        Two points of the plane.
    thetas : int, optional
        Number of convex combinations on the chord.
    num : int, optional
        Grid points per axis.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from numopt.convexity import norm_ball, union
    >>> left = norm_ball(2, center=[-1.5, 0])  # two unit discs
    >>> two = union(left, norm_ball(2, center=[1.5, 0]))
    >>> chord = ([-1.5, 0], [1.5, 0])  # from one centre to the other
    >>> ax = plot_set_2d(two, bounds=((-3, 3), (-2, 2)), chord=chord)
    >>> [t.get_text() for t in ax.get_legend().get_texts()][1:]
    ['combination in the set', 'combination outside the set']
    """
    name = label or getattr(contains, "name", None) or "set"
    member = contains.contains if isinstance(contains, SampledSet) else contains
    (x0, x1), (y0, y1) = box_2d(bounds)
    ax = axes(ax, figsize=(6.4, 4.4))
    k = sum(1 for p in ax.patches if p.get_gid() == "numopt-set")
    color = color or COLORS[k % len(COLORS)]
    hatch = hatch if hatch is not None else HATCHES[k % len(HATCHES)]
    X, Y, pts = grid_points(bounds, num)
    with torch.no_grad():
        mask = member(pts).reshape(X.shape).numpy().astype(float)
    ax.contourf(
        X, Y, mask, levels=[0.5, 1.5], colors=[color], alpha=0.3, hatches=[hatch]
    )
    ax.contour(X, Y, mask, levels=[0.5], colors=[color], linewidths=1.8)
    proxy = mpatches.Rectangle(
        (0, 0),
        0,
        0,
        facecolor=color,
        alpha=0.45,
        hatch=hatch,
        edgecolor=color,
        label=name,
        gid="numopt-set",
        visible=False,
    )
    ax.add_patch(proxy)
    if chord is not None:
        _chord_2d(ax, member, chord, thetas)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    handles, labels = ax.get_legend_handles_labels()
    handles = [
        mpatches.Rectangle(
            (0, 0),
            1,
            1,
            facecolor=h.get_facecolor(),  # type: ignore[attr-defined]
            edgecolor=h.get_edgecolor(),  # type: ignore[attr-defined]
            hatch=h.get_hatch(),  # type: ignore[attr-defined]
        )
        if h.get_gid() == "numopt-set"
        else h
        for h in handles
    ]
    legend_outside(ax, handles=handles, labels=labels)
    return ax


def _chord_2d(ax: Axes, member: Callable, chord: tuple[Any, Any], n: int) -> None:
    a, b = (torch.as_tensor(p, dtype=torch.float64).reshape(2) for p in chord)
    th = torch.linspace(0, 1, n, dtype=torch.float64).unsqueeze(-1)
    z = th * a + (1 - th) * b
    with torch.no_grad():
        inside = member(z).bool().numpy()
    zs = z.numpy()
    ax.plot([a[0], b[0]], [a[1], b[1]], color="0.25", ls=":", lw=1.2, zorder=3)
    ax.plot(
        zs[inside, 0],
        zs[inside, 1],
        "o",
        color=GOOD,
        mec="black",
        ms=6,
        ls="none",
        zorder=4,
        label="combination in the set" if inside.any() else "_empty",
    )
    ax.plot(
        zs[~inside, 0],
        zs[~inside, 1],
        "X",
        color=BAD,
        mec="black",
        ms=8,
        ls="none",
        zorder=4,
        label="combination outside the set" if not inside.all() else "_empty",
    )
    for p, name in ((a, "x"), (b, "y")):
        ax.annotate(
            f"${name}$",
            (float(p[0]), float(p[1])),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize="medium",
        )
