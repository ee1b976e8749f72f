"""The optimization chapter runs and prints what the text says, checked independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_chapter
from scipy.optimize import minimize


@pytest.fixture(scope="module")
def ns() -> dict:
    return run_chapter("optimization")


def test_argmin_and_argmax(ns: dict) -> None:
    assert ns["fit"].x.item() == pytest.approx(3.0, abs=1e-6)  # the mean of (1, 2, 6)
    assert ns["fit"].fun == pytest.approx(14 / 3, abs=1e-10)  # ((-2)^2 + 1 + 3^2) / 3
    assert ns["res_max"].x.item() == pytest.approx(1.0, abs=1e-5)
    assert -ns["res_max"].fun == pytest.approx(1 / math.e, abs=1e-10)


def test_stationary_points_of_the_quartic(ns: dict) -> None:
    roots = np.sort(np.roots([4.0, 0.0, -8.0, 1.0]).real)  # f'(x) = 4x^3 - 8x + 1
    assert ns["x_left"] == pytest.approx(roots[0], abs=1e-6)
    assert ns["x_peak"] == pytest.approx(roots[1], abs=1e-6)
    assert ns["x_right"] == pytest.approx(roots[2], abs=1e-6)
    for x, sign in zip(roots, (1, -1, 1), strict=True):  # f''(x) = 12x^2 - 8
        assert np.sign(12 * x**2 - 8) == sign
    assert ns["d2_cubic"] == 0.0


def test_saddle(ns: dict) -> None:
    assert ns["eig_saddle"].tolist() == [-2.0, 2.0]
    assert ns["grad_saddle"].tolist() == [0.0, 0.0]
    assert ns["to_saddle"].success
    assert np.abs(ns["to_saddle"].x.numpy()).max() < 1e-6
    assert ns["off_axis"].fun < -0.5  # off the axis it escapes downhill


def test_existence_examples(ns: dict) -> None:
    assert ns["on_interval"].x.item() == 0.0 and ns["on_interval"].success
    assert ns["f1"] == 1.0  # f'(0) = 1 at the boundary minimizer
    # x_{k+1} = x_k + e^{-x_k} from 0 (lr 1; the projection onto [0, inf) is inactive)
    x, xs = 0.0, [0.0]
    for _ in range(1000):
        x += math.exp(-x)
        xs.append(x)
    path = ns["unbounded"].path.numpy()
    np.testing.assert_allclose(path, xs, rtol=1e-12)
    assert ns["unbounded"].fun == pytest.approx(math.exp(-xs[-1]))
    assert not ns["unbounded"].success


def test_convex_and_multiple_minima(ns: dict) -> None:
    np.testing.assert_allclose(
        ns["booth_eigs"].numpy(),
        np.linalg.eigvalsh([[10.0, 8.0], [8.0, 10.0]]),
        atol=1e-12,
    )
    np.testing.assert_allclose(ns["runs_booth"].xs.numpy(), [[1.0, 3.0]] * 8, atol=1e-6)
    assert float(ns["runs_booth"].funs.max()) < 1e-10
    found = ns["found"].numpy()
    assert len(found) == 4
    for x in found:  # each is a minimizer according to scipy too, with value 0
        ref = minimize(
            lambda z: (z[0] ** 2 + z[1] - 11) ** 2 + (z[0] + z[1] ** 2 - 7) ** 2,
            x,
            method="BFGS",
            options={"gtol": 1e-10},
        )
        np.testing.assert_allclose(ref.x, x, atol=1e-4)
        assert ref.fun < 1e-12
    known = ns["known"].numpy()
    for x in found:
        assert np.abs(known - x).max(axis=1).min() < 1e-4


def test_convexity_verdicts(ns: dict) -> None:
    cvx = ns["cvx"]
    assert cvx.check_definition(ns["f_ell"], *ns["box"]).convex
    assert not cvx.check_convex_set(ns["circle"]).convex


def test_circle(ns: dict) -> None:
    Q = ns["Q"].numpy()
    lam, vecs = np.linalg.eigh(Q)
    x = ns["on_circ"].x.numpy()
    assert ns["on_circ"].fun == pytest.approx(lam[0], abs=1e-10)
    assert lam[0] == pytest.approx((5 - 5**0.5) / 2)
    assert min(np.abs(x - vecs[:, 0]).max(), np.abs(x + vecs[:, 0]).max()) < 1e-5
    ref = minimize(
        lambda z: z @ Q @ z,
        [1.0, 0.0],
        method="SLSQP",
        constraints=[{"type": "eq", "fun": lambda z: z @ z - 1}],
        options={"ftol": 1e-12},
    )
    assert ref.fun == pytest.approx(ns["on_circ"].fun, abs=1e-8)


def _f_ell(z: np.ndarray) -> float:
    return (z[0] - 2) ** 2 + 4 * (z[1] - 1) ** 2


def test_projected_gradient_descent(ns: dict) -> None:
    ref = minimize(
        _f_ell,
        [-0.6, -0.7],
        method="SLSQP",
        constraints=[{"type": "ineq", "fun": lambda z: 1 - z @ z}],
        options={"ftol": 1e-14},
    )
    np.testing.assert_allclose(ns["pgd_ball"].x.numpy(), ref.x, atol=1e-6)
    # KKT multiplier of the disc constraint: scipy's L = f - mu (1 - |x|^2), the same mu
    assert ns["mu"] == pytest.approx(float(ref.multipliers[0]), rel=1e-4)
    assert ns["mu"] > 0
    box = minimize(_f_ell, [-0.6, -0.7], method="L-BFGS-B", bounds=[(-1, 1), (-1, 2)])
    np.testing.assert_allclose(ns["pgd_box"].x.numpy(), [1.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(box.x, [1.0, 1.0], atol=1e-6)


def test_kkt_quadratic_program(ns: dict) -> None:
    Q, c = ns["Q_qp"].numpy(), ns["c_qp"].numpy()
    A, b = ns["A_qp"].numpy(), ns["b_qp"].numpy()
    x, lam = ns["x_qp"].numpy(), ns["lam_qp"].numpy()
    # closed form by elimination: lam = (A Q^-1 A^T)^-1 (-b - A Q^-1 c), x = Q^-1 (-c - A^T lam)
    Qi = np.linalg.inv(Q)
    lam_ref = np.linalg.solve(A @ Qi @ A.T, -b - A @ Qi @ c)
    x_ref = Qi @ (-c - A.T @ lam_ref)
    np.testing.assert_allclose(x, x_ref, atol=1e-12)
    np.testing.assert_allclose(lam, lam_ref, atol=1e-12)
    np.testing.assert_allclose(x, [6 / 13, 6 / 13, 1 / 13], atol=1e-12)
    np.testing.assert_allclose(lam, [-8 / 13, -9 / 13], atol=1e-12)
    # the printed residuals
    assert np.abs(ns["stationarity"].numpy()).max() < 1e-12
    assert np.abs(ns["feasibility"].numpy()).max() < 1e-12
    # the chapter's SLSQP comparison (scipy's multipliers have the opposite sign)
    np.testing.assert_allclose(ns["slsqp"].x, x, atol=1e-6)
    np.testing.assert_allclose(ns["slsqp"].multipliers, -lam, atol=1e-5)
