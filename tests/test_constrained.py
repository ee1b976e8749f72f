"""Constrained optimization: projections, projected GD, the circle, the KKT system."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numopt.result import Status
from numopt.solvers.constrained import (
    KKTSolution,
    minimize_on_circle,
    project_ball,
    project_box,
    project_circle,
    projected_gradient_descent,
    solve_kkt,
)

f64 = torch.float64
coords = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
points = arrays(np.float64, 3, elements=coords)

PROJECTIONS = {
    "box": lambda x: project_box(x, torch.tensor([-1.0, 0.0, 2.0], dtype=f64), 3.0),
    "ball": lambda x: project_ball(
        x, center=torch.tensor([1.0, -2.0, 0.5], dtype=f64), radius=2.5
    ),
    "circle": project_circle,
}


@settings(max_examples=50, deadline=None)
@given(points, st.sampled_from(sorted(PROJECTIONS)))
def test_projections_are_idempotent_and_feasible(x, name: str) -> None:
    project = PROJECTIONS[name]
    p = project(torch.from_numpy(x))
    torch.testing.assert_close(project(p), p, rtol=0, atol=1e-12)
    if name == "box":
        assert bool(
            (p >= torch.tensor([-1.0, 0.0, 2.0], dtype=f64)).all() and (p <= 3).all()
        )
    elif name == "ball":
        dist = torch.linalg.vector_norm(p - torch.tensor([1.0, -2.0, 0.5], dtype=f64))
        assert dist <= 2.5 + 1e-12
    else:
        assert torch.linalg.vector_norm(p).item() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(points, points, st.sampled_from(["box", "ball"]))
def test_convex_projections_are_nonexpansive(x, y, name: str) -> None:
    project = PROJECTIONS[name]
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    gap = torch.linalg.vector_norm(project(x) - project(y))
    assert gap <= torch.linalg.vector_norm(x - y) * (1 + 1e-12) + 1e-12


@pytest.mark.parametrize("scale", [5.76e-158, 1e-300, 1.0, 1e200, 1e307])
def test_circle_projection_lands_on_the_circle_at_any_scale(scale: float) -> None:
    # the squares of 1e-158 underflow and those of 1e200 overflow
    x = torch.tensor([[1.0, 0.0, 0.0], [3.0, -4.0, 0.0]], dtype=f64) * scale
    p = project_circle(x)
    torch.testing.assert_close(
        torch.linalg.vector_norm(p, dim=-1),
        torch.ones(2, dtype=f64),
        rtol=0,
        atol=1e-15,
    )
    torch.testing.assert_close(project_circle(p), p, rtol=0, atol=1e-15)
    torch.testing.assert_close(p[1], torch.tensor([0.6, -0.8, 0.0], dtype=f64))


def test_ball_projection_of_a_point_whose_squares_overflow() -> None:
    x = torch.tensor([3e200, -4e200], dtype=f64)
    torch.testing.assert_close(
        project_ball(x, radius=2.0), torch.tensor([1.2, -1.6], dtype=f64)
    )


def test_circle_projection_is_expansive_near_zero_and_maps_zero_to_e1() -> None:
    x = torch.tensor([1e-3, 0.0], dtype=f64)
    gap = torch.linalg.vector_norm(project_circle(x) - project_circle(-x))
    assert gap.item() == pytest.approx(2.0) and gap > 500 * torch.linalg.vector_norm(
        2 * x
    )
    assert project_circle(torch.zeros(2)).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="x must have a last dimension"):
        project_circle(torch.tensor(0.0))


def test_projections_are_batched_over_leading_dims() -> None:
    gen = torch.Generator().manual_seed(0)
    batch = 5 * torch.randn(7, 3, dtype=f64, generator=gen)
    for project in PROJECTIONS.values():
        rows = torch.stack([project(row) for row in batch])
        torch.testing.assert_close(project(batch), rows, rtol=0, atol=0)
    # 0-d ball: the interval [c - r, c + r]
    assert project_ball(torch.tensor(5.0), center=1.0, radius=2.0).item() == 3.0
    assert project_ball(torch.tensor(2.0), center=1.0, radius=2.0).item() == 2.0


def test_projection_bad_input() -> None:
    with pytest.raises(ValueError, match="low must be <= high"):
        project_box(torch.zeros(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="not NaN"):
        project_box(torch.zeros(2), math.nan, 2.0)
    assert project_box(torch.tensor([-5.0, 5.0]), -math.inf, 1.0).tolist() == [-5, 1]
    with pytest.raises(ValueError, match="radius"):
        project_ball(torch.zeros(2), radius=0.0)


def test_projected_gd_on_a_box_reaches_the_clamped_minimizer() -> None:
    a = torch.tensor([2.0, -3.0, 0.25], dtype=f64)
    res = projected_gradient_descent(
        lambda x: ((x - a) ** 2).sum(),
        [5.0, 5.0, 5.0],  # infeasible start: projected first
        project=lambda x: project_box(x, 0.0, 1.0),
        lr=0.1,
        tol=1e-10,
    )
    assert res.success and res.method == "projected"
    torch.testing.assert_close(res.x, a.clamp(0, 1), rtol=0, atol=1e-10)
    assert res.path[0].tolist() == [1.0, 1.0, 1.0]
    # every iterate is feasible, and at the solution grad f != 0 but G = 0
    assert bool(((res.path >= 0) & (res.path <= 1)).all())
    assert res.grad_norm <= 1e-10
    assert torch.linalg.vector_norm(2 * (res.x - a)) > 1


def test_projected_gd_on_a_box_matches_scipy_lbfgsb() -> None:
    Q = torch.tensor([[4.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 2.0]], dtype=f64)
    c = torch.tensor([-8.0, 3.0, -1.0], dtype=f64)
    low, high = torch.tensor([-1.0, 0.0, -1.0]), torch.tensor([1.0, 2.0, 1.0])

    def f(x):
        return 0.5 * x @ Q @ x + c @ x

    res = projected_gradient_descent(
        f,
        [0.0, 0.0, 0.0],
        project=lambda x: project_box(x, low, high),
        lr=0.15,
        tol=1e-12,
    )
    Qn, cn = Q.numpy(), c.numpy()
    ref = scipy.optimize.minimize(
        lambda z: 0.5 * z @ Qn @ z + cn @ z,
        np.zeros(3),
        jac=lambda z: Qn @ z + cn,
        method="L-BFGS-B",
        bounds=list(zip(low.tolist(), high.tolist(), strict=True)),
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    assert res.success and ref.success
    np.testing.assert_allclose(res.x.numpy(), ref.x, atol=1e-7)
    assert res.x[0].item() == 1.0  # an active bound, hit exactly


def test_projected_gd_on_a_ball_reaches_the_radial_projection(
    device: torch.device,
) -> None:
    a = torch.tensor([3.0, 4.0], dtype=f64, device=device)
    x0 = torch.zeros(2, dtype=f64, device=device)
    res = projected_gradient_descent(
        lambda x: ((x - a) ** 2).sum(), x0, project=project_ball, lr=0.25, tol=1e-12
    )
    assert res.success and res.x.device == x0.device
    torch.testing.assert_close(res.x, a / 5, rtol=0, atol=1e-12)
    assert res.fun == pytest.approx(16.0)  # (5 - 1)^2


def test_projected_gd_unconstrained_inside_equals_gd_and_bad_input() -> None:
    # with a minimizer inside the set the gradient mapping is the gradient
    res = projected_gradient_descent(
        lambda x: (x - 0.3) ** 2, 0.0, project=lambda x: project_box(x, -1, 1), lr=0.1
    )
    assert res.success and res.x.item() == pytest.approx(0.3, abs=1e-6)
    with pytest.raises(TypeError, match="project must be callable"):
        projected_gradient_descent(lambda x: x**2, 0.0, project=None)
    with pytest.raises(ValueError, match="lr"):
        projected_gradient_descent(lambda x: x**2, 0.0, project=lambda x: x, lr=0)
    with pytest.raises(ValueError, match="project must return"):
        projected_gradient_descent(
            lambda x: (x**2).sum(), [1.0, 2.0], project=lambda x: x[:1]
        )
    # a projection that changes the dtype would silently change the result's
    lo = torch.zeros(2, dtype=torch.float64)
    with pytest.raises(TypeError, match="project must keep the dtype"):
        projected_gradient_descent(
            lambda x: (x**2).sum(),
            torch.tensor([0.5, 0.5]),
            project=lambda x: torch.clamp(x, lo, lo + 1),
        )


def test_projected_gd_reports_divergence() -> None:
    res = projected_gradient_descent(
        lambda x: -(x**4).sum(),
        [1.0, 1.0],
        project=lambda x: project_box(x, -1e300, 1e300),
    )
    assert res.status is Status.DIVERGED and bool(torch.isfinite(res.x).all())


@pytest.mark.parametrize("c", [(3.0, 4.0), (-1.0, 0.0), (0.2, -0.7)])
def test_circle_linear_objective_has_minimizer_minus_c_over_norm(c) -> None:
    ct = torch.tensor(c, dtype=f64)
    res = minimize_on_circle(lambda x: ct @ x, 0.3, lr=0.2, tol=1e-12, max_iter=5000)
    assert res.success and res.method == "circle"
    torch.testing.assert_close(res.x, -ct / ct.norm(), rtol=0, atol=1e-10)
    assert res.fun == pytest.approx(-ct.norm().item())
    assert res.path.shape == (res.nit + 1, 2)
    theta = res.extra["theta_path"]
    assert theta.shape == (res.nit + 1,) and res.extra["theta"] == theta[-1].item()
    torch.testing.assert_close(
        torch.linalg.vector_norm(res.path, dim=1), torch.ones(res.nit + 1, dtype=f64)
    )


def test_circle_quadratic_objective_finds_the_smallest_eigenvector() -> None:
    Q = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=f64)
    res = minimize_on_circle(lambda x: x @ Q @ x, 0.0, lr=0.1, tol=1e-12, max_iter=5000)
    eigvals, eigvecs = torch.linalg.eigh(Q)
    assert res.success and res.fun == pytest.approx(eigvals[0].item(), abs=1e-12)
    assert abs(float(res.x @ eigvecs[:, 0])) == pytest.approx(1.0, abs=1e-10)


def test_circle_bad_input() -> None:
    with pytest.raises(ValueError, match="theta0 must be a single angle"):
        minimize_on_circle(lambda x: x.sum(), [0.0, 1.0])
    with pytest.raises(TypeError, match="f must be callable"):
        minimize_on_circle("f", 0.0)


def test_kkt_minimum_norm_point_on_an_affine_set() -> None:
    # min 1/2 ||x||^2 s.t. A x = b: x = A^T (A A^T)^{-1} b, lambda = -(A A^T)^{-1} b
    A = torch.tensor([[1.0, 2.0, 3.0], [0.0, 1.0, -1.0]], dtype=f64)
    b = torch.tensor([1.0, 2.0], dtype=f64)
    sol = solve_kkt(torch.eye(3, dtype=f64), torch.zeros(3, dtype=f64), A, b)
    assert isinstance(sol, KKTSolution)
    lam = -torch.linalg.solve(A @ A.T, b)
    torch.testing.assert_close(sol.x, A.T @ torch.linalg.solve(A @ A.T, b))
    torch.testing.assert_close(sol.multipliers, lam)
    assert sol.kkt_matrix.shape == (5, 5) and sol.residual < 1e-12


def test_kkt_matches_slsqp_and_satisfies_the_kkt_conditions() -> None:
    Q = torch.tensor([[6.0, 2.0, 1.0], [2.0, 5.0, 2.0], [1.0, 2.0, 4.0]], dtype=f64)
    c = torch.tensor([-8.0, -3.0, -3.0], dtype=f64)
    A = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]], dtype=f64)
    b = torch.tensor([3.0, 0.0], dtype=f64)
    sol = solve_kkt(Q, c, A, b)
    torch.testing.assert_close(
        Q @ sol.x + c + A.T @ sol.multipliers, torch.zeros(3, dtype=f64)
    )
    torch.testing.assert_close(A @ sol.x, b)
    Qn, cn, An, bn = Q.numpy(), c.numpy(), A.numpy(), b.numpy()
    ref = scipy.optimize.minimize(
        lambda z: 0.5 * z @ Qn @ z + cn @ z,
        np.zeros(3),
        jac=lambda z: Qn @ z + cn,
        method="SLSQP",
        constraints=[{"type": "eq", "fun": lambda z: An @ z - bn, "jac": lambda z: An}],
        options={"ftol": 1e-14},
    )
    assert ref.success
    np.testing.assert_allclose(sol.x.numpy(), ref.x, atol=1e-7)
    # Nocedal & Wright example 16.2: x* = (2, -1, 1), lambda* = (-3, 2) in their sign
    torch.testing.assert_close(sol.x, torch.tensor([2.0, -1.0, 1.0], dtype=f64))
    torch.testing.assert_close(sol.multipliers, torch.tensor([-3.0, 2.0], dtype=f64))


def test_kkt_lists_become_float64_and_tensors_keep_their_dtype() -> None:
    sol = solve_kkt([[2, 0], [0, 2]], [0, 0], [[1, 1]], [2])
    assert sol.x.dtype == f64 and sol.x.tolist() == [1.0, 1.0]
    sol = solve_kkt(torch.eye(2), [0.0, 0.0], [[1.0, 1.0]], [2.0])
    assert sol.x.dtype == torch.float32


def test_kkt_without_constraints_is_the_linear_system_q_x_eq_minus_c() -> None:
    Q, c = [[4.0, 1.0], [1.0, 3.0]], [1.0, 2.0]
    expected = torch.linalg.solve(
        torch.tensor(Q, dtype=f64), -torch.tensor(c, dtype=f64)
    )
    for A, b in (([], []), (torch.zeros(0, 2, dtype=f64), torch.zeros(0, dtype=f64))):
        sol = solve_kkt(Q, c, A, b)
        torch.testing.assert_close(sol.x, expected)
        assert sol.multipliers.shape == (0,)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[1.0, 0.0]], [0.0], [[1.0]], [1.0]), "Q must be a square matrix"),
        ((np.eye(2), [0.0, 0.0, 0.0], [[1.0, 1.0]], [1.0]), "c must have shape"),
        ((np.eye(2), [0.0, 0.0], [[1.0, 1.0, 1.0]], [1.0]), "A must have shape"),
        ((np.eye(2), [0.0, 0.0], [[1.0, 1.0]], [1.0, 2.0]), "b must have shape"),
        ((np.eye(2), [0.0, float("nan")], [[1.0, 1.0]], [1.0]), "c must be finite"),
        (
            ([[1.0, 2.0], [0.0, 1.0]], [0.0, 0.0], [[1.0, 1.0]], [1.0]),
            "Q must be symmetric",
        ),
        # dependent rows of A: the KKT matrix is singular
        (
            (np.eye(2), [0.0, 0.0], [[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0]),
            "KKT matrix .* is singular",
        ),
        # Q = 0 on the null space of A = span{(1, -1)}
        (([[1.0, 1.0], [1.0, 1.0]], [0.0, 0.0], [[1.0, 1.0]], [1.0]), "full row rank"),
        # Q indefinite on the null space: a saddle point, not a minimizer
        (
            ([[1.0, 0.0], [0.0, -1.0]], [0.0, 0.0], [[1.0, 0.0]], [0.0]),
            "not positive definite",
        ),
    ],
)
def test_kkt_bad_input(args, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        solve_kkt(*args)
