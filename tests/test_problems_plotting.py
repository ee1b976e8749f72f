"""The problem registry's claims, and the plotting helpers on the Agg backend."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.axes import Axes
from scipy.optimize import minimize_scalar

import numopt
from numopt.plotting import plot_objective_1d
from numopt.problems import PROBLEMS, get_problem


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_known_minimizers_are_minima(name: str) -> None:
    p = PROBLEMS[name]
    for xm in p.minimizers:
        x = torch.tensor(xm, dtype=torch.float64)
        x = x[0] if p.dim == 1 else x
        assert p.f(x).item() == pytest.approx(p.fmin, abs=1e-10)
    # and nothing on a dense grid of the bounds goes below fmin
    axes = [
        torch.linspace(lo, hi, 401 if p.dim == 1 else 201, dtype=torch.float64)
        for lo, hi in p.bounds
    ]
    grid = (
        axes[0] if p.dim == 1 else torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)
    )
    assert p.f(grid).min().item() >= p.fmin - 1e-12


def test_wavy_abs_local_minimizers_match_scipy() -> None:
    p = get_problem("wavy_abs")
    f = lambda x: x * np.cos(4 * x) + 2 * abs(x)  # noqa: E731
    for (xm,) in p.local_minimizers:
        ref = minimize_scalar(f, bracket=(xm - 0.2, xm, xm + 0.2), tol=1e-12)
        assert ref.x == pytest.approx(xm, abs=1e-7)


def test_batched_evaluation() -> None:
    starts = torch.randn(7, 2, dtype=torch.float64)
    for name in ("rosenbrock", "himmelblau", "booth", "matyas"):
        f = PROBLEMS[name].f
        assert f(starts).shape == (7,)
        assert torch.allclose(f(starts), torch.stack([f(s) for s in starts]))


def test_unknown_problem() -> None:
    with pytest.raises(ValueError, match="unknown problem 'nope'"):
        get_problem("nope")


def test_plot_objective_1d_artists() -> None:
    p = get_problem("abs_quadratic")
    res = numopt.gradient_descent(p.f, 0.0, lr=0.05, max_iter=20)
    ax = plot_objective_1d(p.f, res, bounds=(0, 10), x_true=4.5, title="t")
    assert isinstance(ax, Axes)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("start" in s for s in labels) and any("final" in s for s in labels)
    assert any("true minimizer" in s for s in labels)
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$f(x)$"
    assert ax.get_xlim() == (0, 10)
    offsets = ax.collections[0].get_offsets()
    assert len(offsets) == res.nit + 1
    plt.close("all")


def test_plot_objective_1d_names_the_function_and_variable() -> None:
    res = numopt.gradient_descent(torch.cos, 2.0, lr=0.1, max_iter=5)
    ax = plot_objective_1d(torch.cos, res, x_true=math.pi, name="g", var=r"\theta")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == r"objective $g(\theta)$"
    assert any(s.startswith(r"start $\theta_0 = 2$") for s in labels)
    assert any(s.startswith(r"true minimizer $\theta^\star") for s in labels)
    assert not any("x" in s.replace("max", "") for s in labels)
    assert ax.get_xlabel() == r"$\theta$" and ax.get_ylabel() == r"$g(\theta)$"
    plt.close("all")


def test_plot_objective_1d_needs_a_path() -> None:
    res = numopt.gradient_descent(torch.abs, 1.0, max_iter=2, record_path=False)
    with pytest.raises(ValueError, match="record_path=True"):
        plot_objective_1d(torch.abs, res)
