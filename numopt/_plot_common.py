"""Shared pieces of the plotting helpers: palette, series styles, grids, paths."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from ._batch import evaluate_batch
from .result import OptimizeResult

Fn = Callable[[torch.Tensor], torch.Tensor]
Bounds2D = Sequence[Sequence[float]]

#: Colour-blind-safe palette (Okabe–Ito), used in this order.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: Markers and line styles that tell series apart without colour.
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)), (0, (1, 1)))
#: Membership colours: inside / fine (bluish green), outside / violation (vermillion).
GOOD, BAD = COLORS[2], COLORS[1]


class Style(NamedTuple):
    """Colour, marker and line style of the ``i``-th series."""

    color: str
    marker: str
    linestyle: Any


def style(i: int) -> Style:
    """The ``i``-th series style: all three attributes change together."""
    return Style(
        COLORS[i % len(COLORS)],
        MARKERS[i % len(MARKERS)],
        LINESTYLES[i % len(LINESTYLES)],
    )


def subplots(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
    """``plt.subplots`` with the house defaults: constrained layout, white face."""
    kwargs.setdefault("layout", "constrained")
    kwargs.setdefault("facecolor", "white")
    kwargs.setdefault("figsize", (7.0, 3.6))
    return plt.subplots(*args, **kwargs)


def axes(ax: Axes | None, **kwargs: Any) -> Axes:
    """``ax``, or the Axes of a new house-style figure."""
    if ax is None:
        _, ax = subplots(**kwargs)
    return ax


def markevery(k: int, target: int = 25) -> int:
    """Mark about ``target`` points of a series of length ``k``."""
    return max(1, k // target)


def legend_outside(ax: Axes, where: str = "right", **kwargs: Any) -> None:
    """A legend outside the Axes (right of it or below it), so it never hides data."""
    kwargs.setdefault("fontsize", "small")
    kwargs.setdefault("framealpha", 1.0)
    if where == "below":
        kwargs.setdefault("ncols", 2)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), **kwargs)
    else:
        ax.legend(
            loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs
        )


def path_of(result: OptimizeResult | Any) -> torch.Tensor:
    """The iterates of a result (``record_path=True`` needed) or a raw path, float64."""
    if isinstance(result, OptimizeResult):
        if result.path is None:
            raise ValueError("result has no path: run the solver with record_path=True")
        path = result.path
    else:
        path = torch.as_tensor(result)
    return path.detach().cpu().to(torch.float64)


def path_2d(result: OptimizeResult | Any, name: str = "path") -> np.ndarray:
    """A 2-D path as a ``(k, 2)`` array."""
    path = path_of(result)
    if path.ndim != 2 or path.shape[1] != 2:
        raise ValueError(f"{name} must have shape (k, 2), got {tuple(path.shape)}")
    return path.numpy()


def as_list(results: Any) -> list[Any]:
    """One result, tensor or array -> a list of one; a list or tuple -> itself."""
    if isinstance(results, OptimizeResult | torch.Tensor | np.ndarray):
        return [results]
    return list(results)


def label_of(result: Any, i: int) -> str:
    """A result's method name, or "path i"."""
    if isinstance(result, OptimizeResult) and result.method:
        return result.method
    return f"path {i + 1}"


def check_labels(labels: Sequence[str] | None, k: int) -> None:
    """``labels`` must give one label per series."""
    if labels is not None and len(labels) != k:
        raise ValueError(
            f"labels must have one entry per path ({k}), got {len(labels)}"
        )


def box_2d(bounds: Bounds2D) -> tuple[tuple[float, float], tuple[float, float]]:
    """Validate ``((xmin, xmax), (ymin, ymax))``."""
    try:
        (x0, x1), (y0, y1) = bounds
        box = ((float(x0), float(x1)), (float(y0), float(y1)))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"bounds must be ((xmin, xmax), (ymin, ymax)), got {bounds!r}"
        ) from err
    if not (box[0][0] < box[0][1] and box[1][0] < box[1][1]):
        raise ValueError(f"bounds must have min < max on both axes, got {bounds!r}")
    return box


def grid_points(
    bounds: Bounds2D, num: int
) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    """A ``num`` × ``num`` meshgrid ``X, Y`` and its points as one batch."""
    (x0, x1), (y0, y1) = box_2d(bounds)
    xs = torch.linspace(x0, x1, num, dtype=torch.float64)
    ys = torch.linspace(y0, y1, num, dtype=torch.float64)
    Y, X = torch.meshgrid(ys, xs, indexing="ij")
    return X.numpy(), Y.numpy(), torch.stack([X.reshape(-1), Y.reshape(-1)], -1)


def grid_values(f: Fn, bounds: Bounds2D, num: int):
    """``X, Y, Z`` with ``Z = f`` on the grid (one batched call when ``f`` allows)."""
    X, Y, pts = grid_points(bounds, num)
    with torch.no_grad():
        Z = evaluate_batch(f, pts).reshape(X.shape).double().numpy()
    return X, Y, Z


def curve(f: Fn, lo: float, hi: float, num: int) -> tuple[np.ndarray, np.ndarray]:
    """``t`` and ``f(t)`` on ``num`` points of ``[lo, hi]``."""
    t = torch.linspace(float(lo), float(hi), num, dtype=torch.float64)
    with torch.no_grad():
        return t.numpy(), evaluate_batch(f, t).double().numpy()


def contours(
    ax: Axes,
    X,
    Y,
    Z,
    *,
    levels: int = 30,
    log_levels: bool = False,
    filled: bool = True,
) -> None:
    """Light filled contours with thin grey level lines (or coloured lines only)."""
    finite = Z[np.isfinite(Z)]
    lo, hi = float(finite.min()), float(finite.max())
    if log_levels:
        span = max(hi - lo, 1e-300)
        lv: Any = lo + np.geomspace(span * 1e-4, span, levels)
    else:
        lv = np.linspace(lo, hi, levels)
    if filled:
        ax.contourf(X, Y, Z, levels=lv, cmap="Greys", alpha=0.55, extend="both")
        ax.contour(X, Y, Z, levels=lv, colors="0.55", linewidths=0.45)
    else:
        ax.contour(X, Y, Z, levels=lv, cmap="viridis", linewidths=0.9)
