"""numopt.plotting helpers on the Agg backend: artists, labels, styles, data."""

from __future__ import annotations

import gc
import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.contour import ContourSet
from matplotlib.quiver import Quiver

import numopt
from numopt.convexity import norm_ball, polyhedron, union
from numopt.plotting import (
    animate_path,
    plot_chord,
    plot_contour_path,
    plot_convergence,
    plot_gradient_field,
    plot_norm_balls,
    plot_set_2d,
    plot_tangent,
)
from numopt.problems import abs_quadratic, get_problem, matyas, wavy_abs

matplotlib.use("Agg")
BOOTH = get_problem("booth")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def runs():
    return [
        numopt.gradient_descent(BOOTH.f, (-8.0, 8.0), lr=lr, max_iter=40)
        for lr in (0.01, 0.05)
    ]


def legend_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def assert_house_style(ax: Axes, xlabel: str, ylabel: str) -> None:
    assert isinstance(ax, Axes)
    assert ax.get_xlabel() == xlabel and ax.get_ylabel() == ylabel
    assert to_rgba(ax.figure.get_facecolor()) == to_rgba("white")


def assert_distinct_styles(lines) -> None:
    markers = [ln.get_marker() for ln in lines]
    styles = [ln.get_linestyle() for ln in lines]
    assert len(set(markers)) == len(lines) and len(set(styles)) == len(lines)


# -- plot_contour_path ---------------------------------------------------------


def test_contour_path_artists(runs) -> None:
    ax = plot_contour_path(
        BOOTH.f, runs, bounds=BOOTH.bounds, labels=["slow", "fast"], x_true=(1, 3)
    )
    assert_house_style(ax, "$x_1$", "$x_2$")
    paths = ax.lines[:2]
    for line, res in zip(paths, runs, strict=True):
        assert len(line.get_xdata()) == res.nit + 1
        np.testing.assert_allclose(line.get_xdata(), res.path[:, 0].numpy())
    assert_distinct_styles(paths)
    texts = legend_texts(ax)
    assert texts[:2] == ["slow (40 steps)", "fast (40 steps)"]
    assert {"start $x_0$", "final iterate", r"minimizer $x^\star$"} <= set(texts)
    assert ax.get_xlim() == (-10.0, 10.0) and ax.get_ylim() == (-10.0, 10.0)
    ends = next(c for c in ax.collections if not isinstance(c, ContourSet))
    np.testing.assert_allclose(
        ends.get_offsets(), np.stack([r.path[-1].numpy() for r in runs])
    )


def test_contour_levels_cover_f_batched_or_not(runs) -> None:
    grid = torch.stack(
        torch.meshgrid(
            *[torch.linspace(-10, 10, 50, dtype=torch.float64)] * 2, indexing="ij"
        ),
        -1,
    )
    zmin, zmax = float(BOOTH.f(grid).min()), float(BOOTH.f(grid).max())

    def booth_one_point(x):  # not batched: x @ ... only works on one point
        a = torch.tensor([1.0, 2.0], dtype=x.dtype) @ x - 7
        b = torch.tensor([2.0, 1.0], dtype=x.dtype) @ x - 5
        return a * a + b * b

    for f in (BOOTH.f, booth_one_point):
        ax = plot_contour_path(f, runs[0].path, bounds=BOOTH.bounds, num=50, levels=12)
        cs = next(c for c in ax.collections if isinstance(c, ContourSet))
        assert len(cs.levels) == 12
        assert cs.levels[0] == pytest.approx(zmin) and cs.levels[-1] == pytest.approx(
            zmax
        )
        assert legend_texts(ax)[0] == "path 1 (40 steps)"
    ax = plot_contour_path(BOOTH.f, runs, bounds=BOOTH.bounds, log_levels=True, num=40)
    levels = next(c for c in ax.collections if isinstance(c, ContourSet)).levels
    gaps = np.diff(levels)
    assert gaps[-1] / gaps[0] > 100  # geometric spacing


def test_contour_path_bad_input(runs) -> None:
    with pytest.raises(ValueError, match="labels must have one entry per path"):
        plot_contour_path(BOOTH.f, runs, bounds=BOOTH.bounds, labels=["one"])
    with pytest.raises(ValueError, match="bounds must be"):
        plot_contour_path(BOOTH.f, runs, bounds=(0, 1))
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        plot_contour_path(BOOTH.f, torch.zeros(5, 3), bounds=BOOTH.bounds)


# -- plot_convergence ----------------------------------------------------------


def test_convergence_error_fun_and_grad_norm(runs) -> None:
    ax = plot_convergence(runs, labels=["a", "b"], x_true=(1.0, 3.0))
    assert_house_style(ax, "iteration $k$", r"error $\|x_k - x^\star\|$")
    assert ax.get_yscale() == "log" and legend_texts(ax) == ["a", "b"]
    assert_distinct_styles(ax.lines)
    expected = (runs[0].path - torch.tensor([1.0, 3.0], dtype=torch.float64)).norm(
        dim=1
    )
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected.numpy())
    assert len(ax.lines[1].get_xdata()) == runs[1].nit + 1

    ax = plot_convergence(runs, quantity="fun", f_min=0.0)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), runs[1].values.numpy())
    assert ax.get_ylabel() == r"$f(x_k) - f^\star$"

    ax = plot_convergence(runs[0], quantity="grad_norm", f=BOOTH.f)
    x, y = runs[0].path[:, 0], runs[0].path[:, 1]
    gx = 2 * (x + 2 * y - 7) + 4 * (2 * x + y - 5)
    gy = 4 * (x + 2 * y - 7) + 2 * (2 * x + y - 5)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), torch.hypot(gx, gy).numpy())
    assert legend_texts(ax) == ["gd"]


def test_convergence_exact_hits_are_masked() -> None:
    path = torch.tensor([2.0, 1.0, 0.0])
    ax = plot_convergence(path, x_true=0.0)
    y = ax.lines[0].get_ydata()
    assert y[:2].tolist() == [2.0, 1.0] and math.isnan(y[2])


def test_convergence_bad_input(runs) -> None:
    with pytest.raises(ValueError, match="needs x_true"):
        plot_convergence(runs)
    with pytest.raises(ValueError, match="needs f"):
        plot_convergence(runs, quantity="grad_norm")
    with pytest.raises(ValueError, match="unknown quantity 'loss'"):
        plot_convergence(runs, quantity="loss")


# -- plot_chord and plot_tangent -----------------------------------------------


def test_chord_on_a_convex_function() -> None:
    _, ax = numopt.plotting.subplots()
    out = plot_chord(torch.exp, -1.0, 2.0, ax=ax)
    assert out is ax
    assert_house_style(ax, "$x$", "$f(x)$")
    texts = legend_texts(ax)
    assert "$f$ below the chord" in texts
    assert not any("above" in t for t in texts)
    chord = ax.lines[1]
    np.testing.assert_allclose(chord.get_ydata(), [math.exp(-1.0), math.exp(2.0)])
    assert chord.get_linestyle() == "--"
    assert len(ax.lines[2].get_xdata()) == 11  # the 11 default thetas, all below


def test_chord_on_a_nonconvex_function_marks_violations() -> None:
    x, y = 0.2, 2.0
    thetas = np.linspace(0, 1, 21)
    ax = plot_chord(wavy_abs, x, y, thetas=thetas)
    z = thetas * x + (1 - thetas) * y
    fz = wavy_abs(torch.tensor(z)).numpy()
    fx, fy = (float(wavy_abs(torch.tensor(v, dtype=torch.float64))) for v in (x, y))
    chord = thetas * fx + (1 - thetas) * fy
    n_bad = int((fz > chord + 1e-12).sum())
    assert 0 < n_bad < 21
    good, bad = ax.lines[2], ax.lines[3]
    assert len(bad.get_xdata()) == n_bad and len(good.get_xdata()) == 21 - n_bad
    assert good.get_marker() != bad.get_marker()
    assert "$f$ above the chord: not convex" in legend_texts(ax)


def test_chord_bad_input() -> None:
    with pytest.raises(ValueError, match="x and y must differ"):
        plot_chord(torch.exp, 1.0, 1.0)
    with pytest.raises(ValueError, match="thetas"):
        plot_chord(torch.exp, 0.0, 1.0, thetas=[0.5, 1.5])


def test_tangent() -> None:
    ax = plot_tangent(torch.exp, 0.5, bounds=(-2, 2))
    assert_house_style(ax, "$x$", "$f(x)$")
    assert len(ax.lines) == 3
    t, tan = ax.lines[1].get_xdata(), ax.lines[1].get_ydata()
    assert (tan[-1] - tan[0]) / (t[-1] - t[0]) == pytest.approx(math.exp(0.5))
    assert ax.lines[1].get_linestyle() != ax.lines[0].get_linestyle()
    assert legend_texts(ax)[-1] == "tangent below $f$"
    ax = plot_tangent(torch.sin, 1.0, bounds=(-1, 6))
    assert "tangent above $f$: not convex" in legend_texts(ax)
    assert "tangent below $f$" not in legend_texts(ax)


# -- plot_gradient_field -------------------------------------------------------


def test_gradient_field_points_downhill() -> None:
    ax = plot_gradient_field(matyas, bounds=((-2, 2), (-2, 2)), n=9, x_true=(0, 0))
    assert_house_style(ax, "$x_1$", "$x_2$")
    q = next(c for c in ax.collections if isinstance(c, Quiver))
    assert len(q.U) == 81
    X, Y = q.X, q.Y
    gx, gy = 0.52 * X - 0.48 * Y, 0.52 * Y - 0.48 * X
    norm = np.hypot(gx, gy)
    ok = norm > 0
    cosine = -(q.U * gx + q.V * gy)[ok] / (np.hypot(q.U, q.V)[ok] * norm[ok])
    np.testing.assert_allclose(cosine, 1.0)
    np.testing.assert_allclose(np.hypot(q.U, q.V)[ok], 0.8 * 0.5)  # unit arrows
    assert ax.get_aspect() == 1.0
    assert legend_texts(ax) == [
        "level lines of $f$",
        r"$-\nabla f(x)$ (direction)",
        r"minimizer $x^\star$",
    ]


# -- animate_path --------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_animate_path_1d() -> None:
    res = numopt.gradient_descent(abs_quadratic, 0.0, lr=0.05, max_iter=150)
    anim = animate_path(abs_quadratic, res, bounds=(0, 10), max_frames=60)
    assert isinstance(anim, FuncAnimation)
    frames = anim.frame_iterations
    assert len(frames) == 60 and frames[0] == 0 and frames[-1] == res.nit
    ax = anim._fig.axes[0]
    assert_house_style(ax, "$x$", "$f(x)$")
    assert "current iterate $x_k$" in legend_texts(ax)
    anim._draw_frame(59)  # the last frame shows the whole path
    trail = ax.lines[2]
    assert len(trail.get_xdata()) == res.nit + 1
    assert ax.get_title().startswith(f"iteration $k = {res.nit}$")
    del anim  # never rendered: matplotlib warns here, inside the filter
    gc.collect()


def test_animate_path_2d_to_jshtml(runs) -> None:
    anim = animate_path(BOOTH.f, runs[0], bounds=BOOTH.bounds, max_frames=5)
    assert len(anim.frame_iterations) == 5
    html = anim.to_jshtml()
    assert "<script" in html and html.count("data:image/png;base64") == 5
    ax = anim._fig.axes[0]
    assert_house_style(ax, "$x_1$", "$x_2$")
    assert len(ax.lines[1].get_xdata()) == runs[0].nit + 1  # after the last frame


def test_animate_path_solves_the_layout_once(runs, monkeypatch) -> None:
    """Every frame is drawn with the first frame's layout, computed once."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    anim = animate_path(BOOTH.f, runs[0], bounds=BOOTH.bounds, max_frames=6)
    fig = anim._fig
    assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
    solved, positions = [], []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(
        ConstrainedLayoutEngine,
        "execute",
        lambda self, f: (solved.append(1), execute(self, f))[1],
    )
    grab = fig.savefig

    def savefig(*args, **kwargs):
        positions.append(fig.axes[0].get_position().bounds)
        return grab(*args, **kwargs)

    monkeypatch.setattr(fig, "savefig", savefig)
    anim.to_jshtml()
    assert len(positions) == 6
    # The layout is solved for the first frame (a draw and its save), never again,
    # and it leaves room for the legend outside the axes as it did before.
    assert 1 <= len(solved) <= 2
    assert all(p == positions[1] for p in positions[1:])
    assert positions[1][0] + positions[1][2] < 0.8


# -- sets ----------------------------------------------------------------------


def test_norm_balls() -> None:
    ax = plot_norm_balls(ps=(1, 2, math.inf), radius=2.0)
    assert_house_style(ax, "$x_1$", "$x_2$")
    balls = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    assert len(balls) == 3
    assert len({ln.get_linestyle() for ln in balls}) == 3
    assert len({ln.get_color() for ln in balls}) == 3
    for line, p in zip(balls, (1, 2, math.inf), strict=True):
        pts = torch.tensor(np.stack([line.get_xdata(), line.get_ydata()], -1))
        norms = torch.linalg.vector_norm(pts, ord=p, dim=-1)
        torch.testing.assert_close(norms, torch.full_like(norms, 2.0))
    assert legend_texts(ax)[2] == r"$\|x\|_{\infty} \leq 2$"
    with pytest.raises(ValueError, match="every p in ps must be > 0"):
        plot_norm_balls(ps=(0,))


def test_set_2d_with_chord_and_several_sets() -> None:
    two = union(norm_ball(2, center=[-1.5, 0.0]), norm_ball(2, center=[1.5, 0.0]))
    a, b = np.array([-1.5, 0.3]), np.array([1.6, -0.2])
    ax = plot_set_2d(two, bounds=((-3, 3), (-2, 2)), label="two balls", chord=(a, b))
    assert_house_style(ax, "$x_1$", "$x_2$")
    th = np.linspace(0, 1, 21)[:, None]
    inside = two(torch.tensor(th * a + (1 - th) * b)).numpy()
    good, bad = ax.lines[1], ax.lines[2]
    assert (
        len(good.get_xdata()) == inside.sum()
        and len(bad.get_xdata()) == 21 - inside.sum()
    )
    assert good.get_marker() != bad.get_marker()
    assert legend_texts(ax) == [
        "two balls",
        "combination in the set",
        "combination outside the set",
    ]

    ax2 = plot_set_2d(norm_ball(2, radius=1.5), bounds=((-3, 3), (-2, 2)))
    out = plot_set_2d(
        polyhedron([[1.0, 1.0]], [0.5]), bounds=((-3, 3), (-2, 2)), ax=ax2, label="P"
    )
    assert out is ax2
    texts = legend_texts(ax2)
    assert texts == ["2-norm ball, center (0, 0), r = 1.5", "P"]
    handles = ax2.get_legend().legend_handles
    assert handles[0].get_hatch() != handles[1].get_hatch()
    assert handles[0].get_facecolor() != handles[1].get_facecolor()
    filled = [c for c in ax2.collections if isinstance(c, ContourSet) and c.filled]
    assert len(filled) == 2


def test_set_2d_accepts_a_plain_predicate() -> None:
    ax = plot_set_2d(
        lambda X: X[:, 0] ** 2 <= X[:, 1], bounds=((-2, 2), (-1, 3)), num=60
    )
    assert legend_texts(ax) == ["set"]


def test_plot_convergence_accepts_a_raw_path_for_fun() -> None:
    from numopt.problems import booth

    res = numopt.gradient_descent(booth, [0.0, 0.0], lr=0.05, max_iter=30)
    ax = plot_convergence([res.path[:10]], quantity="fun", f=booth, f_min=0.0)
    ydata = ax.lines[0].get_ydata()
    assert len(ydata) == 10
    assert ydata[0] == pytest.approx(booth(res.path[0]).item())
    plt.close("all")


def test_plot_convergence_of_fun_needs_no_recorded_path() -> None:
    from numopt.problems import booth

    res = numopt.gradient_descent(
        booth, [0.0, 0.0], lr=0.05, max_iter=30, record_path=False
    )
    ax = plot_convergence(res, quantity="fun", f_min=0.0)
    torch.testing.assert_close(
        torch.as_tensor(ax.lines[0].get_ydata()), res.values, check_dtype=False
    )
    with pytest.raises(ValueError, match="record_path=True"):
        plot_convergence(res, quantity="error", x_true=[1.0, 3.0])
    plt.close("all")
