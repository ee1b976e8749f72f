"""The gradient-descent chapter runs and prints numbers that independent references confirm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import run_chapter

F64 = torch.float64


@pytest.fixture(scope="module")
def ns() -> dict:
    return run_chapter("gradient-descent")


# -- Definition and theory ------------------------------------------------------------


def test_steepest_direction_is_minus_the_gradient(ns: dict) -> None:
    a = ns["a"].numpy()
    grad = np.array(
        [2 * a[0], -2 * a[1] + a[1] ** 3]
    )  # gradient of the saddle, by hand
    u_star = -grad / np.linalg.norm(grad)
    assert np.allclose(ns["grad_a"].numpy(), grad, atol=1e-14)
    # the best of 3600 sampled directions is within the sampling resolution (0.1 degree)
    angle = math.acos(float(np.clip(ns["u_best"].numpy() @ u_star, -1, 1)))
    assert angle <= math.radians(0.1)
    assert ns["slopes"].min().item() == pytest.approx(-np.linalg.norm(grad), rel=1e-5)


def test_descent_property_for_small_steps(ns: dict) -> None:
    assert ns["L_booth"] == pytest.approx(18.0)  # Hessian [[10, 8], [8, 10]]
    for lr in (0.05, 0.1):  # below 2/L = 0.111: f never increases
        v = ns["descent"][lr].values
        assert bool((v[1:] <= v[:-1]).all())
    v = ns["descent"][0.12].values  # beyond 2/L: f increases at every step
    assert bool((v[1:] > v[:-1]).all())


def test_stationary_points(ns: dict) -> None:
    on_line, nudged = ns["on_line"], ns["nudged"]
    assert on_line.success and on_line.x.abs().max().item() < 1e-6  # the saddle point
    assert torch.linalg.eigvalsh(torch.func.hessian(ns["saddle"])(on_line.x)).min() < 0
    assert nudged.x.tolist() == pytest.approx([0.0, math.sqrt(2)], abs=1e-5)
    assert ns["at_max"].nit == 0 and ns["at_max"].success


# -- The loss gradient -----------------------------------------------------------------


def test_mse_gradient_autograd_matches_closed_form(ns: dict) -> None:
    X, y, theta = ns["X"].numpy(), ns["y"].numpy(), ns["theta_"].numpy()
    closed_form = -2 / len(y) * X.T @ (y - X @ theta)  # independently, in numpy
    assert np.abs(ns["grad_autograd"].numpy() - closed_form).max() < 1e-12
    assert ns["mse_grad_diff"] < 1e-12
    assert (ns["model_jacobian"] - ns["X"]).abs().max().item() == 0.0


def test_gradient_descent_fit_matches_least_squares(ns: dict) -> None:
    X, y = ns["X"].numpy(), ns["y"].numpy()
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    assert ns["fit"].success
    assert np.abs(ns["fit"].x.numpy() - reference).max() < 1e-8
    assert np.abs(ns["theta_ls"].numpy() - reference).max() < 1e-12


# -- Learning rate -----------------------------------------------------------------------


def test_learning_rates(ns: dict) -> None:
    runs = ns["lr_runs"]
    assert runs["good, 1/L"].success
    assert runs["small, 0.1/L"].status.name == "MAXITER"
    assert runs["large, 2.2/L"].status.name == "DIVERGED"
    assert torch.isfinite(runs["large, 2.2/L"].x).all()


def test_line_searches(ns: dict) -> None:
    exact, backtrack = ns["exact"], ns["backtrack"]
    assert exact.success and backtrack.success
    assert exact.nit < ns["gd_ref"].nit
    # the first exact step is g.g / g.Hg on the quadratic loss (numpy, independently)
    X, y = ns["X"].numpy(), ns["y"].numpy()
    N = len(y)
    H = 2 / N * X.T @ X
    g = -2 / N * X.T @ (y - X @ np.array(ns["theta0"]))
    assert exact.extra["steps"][0] == pytest.approx(g @ g / (g @ H @ g), rel=1e-6)
    # exact steps are inverse Rayleigh quotients: in [1/L, 1/mu]
    lam = np.linalg.eigvalsh(H)
    steps = np.array(exact.extra["steps"])
    assert steps.min() >= 1 / lam[-1] * (1 - 1e-6) and steps.max() <= 1 / lam[0] * (
        1 + 1e-6
    )
    assert ns["cosines"].abs().max().item() < 1e-6  # consecutive directions orthogonal
    assert set(backtrack.extra["steps"]) <= {2.0**-j for j in range(60)}


def test_one_over_t_schedule(ns: dict) -> None:
    sums = ns["sums_1_t"]
    for n in (10**3, 10**6):  # harmonic numbers: ln n + Euler's gamma + 1/(2n) + ...
        assert sums[n - 1].item() == pytest.approx(
            math.log(n) + 0.5772156649 + 1 / (2 * n), abs=1e-6
        )
    assert ns["sums_1_t2"][-1].item() == pytest.approx(math.pi**2 / 6, abs=2e-6)
    assert ns["harmonic"].x.item() > 3.9  # reaches the minimizer 4
    assert (
        ns["squares"].x.item() < math.pi**2 / 6
    )  # can never travel further than sum 1/t^2
    sched = ns["sched"]
    assert sched["constant 3/L"].status.name == "DIVERGED"
    v = sched["(3/L)/t"].values
    assert bool((v[2:] <= v[1:-1]).all())  # 1/t rescued it: f decreases after step 1
    assert (
        sched["(1/L)/t"].fun > sched["constant 1/L"].fun + 1e-3
    )  # and hurt the good step


def test_coordinate_descent(ns: dict) -> None:
    X, y = ns["X"].numpy(), ns["y"].numpy()
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    for name in ("cd_exact", "cd_step"):
        assert ns[name].success
        assert np.abs(ns[name].x.numpy() - reference).max() < 1e-5
    # one coordinate per update: every step is parallel to an axis
    steps = ns["cd_exact"].path.diff(dim=0)
    assert bool(((steps[:, 0] == 0) | (steps[:, 1] == 0)).all())
    assert ns["cd_big"].status.name == "DIVERGED"
    stuck = ns["stuck"]
    assert stuck.x.tolist() == pytest.approx([1.0, 1.0], abs=1e-6)
    assert stuck.fun == pytest.approx(0.4, abs=1e-6) and not stuck.success


# -- Conditioning ------------------------------------------------------------------------


def test_condition_numbers(ns: dict) -> None:
    lam = np.linalg.eigvalsh(ns["hess_mse"].numpy())
    assert ns["kappa_mse"] == pytest.approx(lam[-1] / lam[0], rel=1e-12)
    assert ns["amplification"].item() == pytest.approx(1e4, rel=1e-6)
    assert ns["kappa_ill"] == pytest.approx(np.linalg.cond(ns["A"].numpy()), rel=1e-10)
    assert ns["kappa_C"] == pytest.approx(3.0)


def _exact_count(A: np.ndarray, lr: float, x0: np.ndarray, eps: float) -> int:
    """First k with ||(I - lr A)^k x0|| <= eps ||x0||, by direct iteration in numpy."""
    M = np.eye(len(x0)) - lr * A
    x, k = x0.copy(), 0
    while np.linalg.norm(x) > eps * np.linalg.norm(x0):
        x, k = M @ x, k + 1
    return k


def test_iterations_against_condition_number(ns: dict) -> None:
    eps, x0 = ns["eps"], ns["x0_q"].numpy()
    assert [s["kappa"] for s in ns["sweep"]] == [1, 3, 10, 30, 100, 300, 1000]
    for s in ns["sweep"]:
        kappa = s["kappa"]
        assert s["cond"] == pytest.approx(kappa, rel=1e-9)
        bound = math.ceil(kappa * math.log(1 / eps))
        rho = (kappa - 1) / (kappa + 1)
        sharp = math.ceil(math.log(1 / eps) / -math.log(rho)) if kappa > 1 else 1
        assert s["nit"] <= bound
        assert s["nit_best"] <= sharp
        A = s["A"].numpy()
        assert abs(s["nit"] - _exact_count(A, 1 / kappa, x0, eps)) <= 1
        assert abs(s["nit_best"] - _exact_count(A, 2 / (1 + kappa), x0, eps)) <= 1
        if kappa >= 10:  # linear growth: the bound is nearly attained
            assert s["nit"] >= 0.9 * bound
    assert 9 < ns["growth"] < 11


def test_newton_one_step(ns: dict) -> None:
    newton_ill = ns["newton_ill"]
    reference = np.linalg.solve(ns["A"].numpy(), ns["b_vec"].numpy())
    assert newton_ill.nit == 1 and newton_ill.success
    assert np.abs(newton_ill.x.numpy() - reference).max() < 1e-12


def test_preconditioning_and_momentum(ns: dict) -> None:
    assert ns["jacobi_diag"].nit == 1
    assert ns["preconditioned_kappa"](
        ns["A_diag"], 1 / torch.diag(ns["A_diag"])
    ) == pytest.approx(1.0)
    assert ns["preconditioned_kappa"](
        ns["A_rot"], 1 / torch.diag(ns["A_rot"])
    ) == pytest.approx(100.0)
    m = ns["methods"]
    x_star = ns["x_star"]
    for r in m.values():
        assert r.success
        assert (r.x - x_star).norm().item() < 1e-6
    nit = {k: r.nit for k, r in m.items()}
    assert nit["Newton"] < nit["Jacobi preconditioned"] < nit["heavy-ball momentum"]
    assert nit["heavy-ball momentum"] < nit["gradient descent 1/L"] / 10
    assert nit["Nesterov"] < nit["gradient descent 1/L"] / 5


def test_newton_near_saddle(ns: dict) -> None:
    pure, safe = ns["pure"], ns["safe"]
    assert pure.x.abs().max().item() < 1e-8  # pure Newton lands on the saddle
    assert pure.extra["min_eigenvalues"][-1] == pytest.approx(-2.0, abs=1e-6)
    assert safe.x.tolist() == pytest.approx([0.0, math.sqrt(2)], abs=1e-6)
    assert safe.extra["fallbacks"] >= 1


# -- Vanishing gradients -------------------------------------------------------------------


def test_tanh_slope_at_4(ns: dict) -> None:
    reference = 1 - math.tanh(4.0) ** 2
    assert ns["slope4"] == pytest.approx(reference, rel=1e-12)
    assert f"{ns['slope4']:.4f}" == "0.0013"
    assert round(reference, 4) == 0.0013


def test_plateau_and_remedies(ns: dict) -> None:
    plateau = ns["plateau"]
    assert 3.8 < plateau.path[100].item() < 4.0  # 100 steps of size 1 barely move it
    assert plateau.status.name == "MAXITER"  # tanh has no minimizer
    far_out = ns["far_out"]  # a vanishing slope passes the gradient test at once
    assert far_out.success and far_out.nit == 0
    assert far_out.grad_norm == pytest.approx(1 - math.tanh(8.0) ** 2, rel=1e-9)
    base = ns["baseline_steps"]
    assert base > 500
    for name in ("reparam_steps", "start_steps", "soft_steps"):
        assert ns[name] * 5 < base
    assert ns["slope_z"] == pytest.approx(1.0, abs=1e-9)
    assert ns["slope_soft"] == pytest.approx(1 / 25)
