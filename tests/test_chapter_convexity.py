"""The convexity chapter runs and prints what the text says, checked independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import run_chapter


@pytest.fixture(scope="module")
def ns() -> dict:
    return run_chapter("convexity")


def test_open_ball_and_sequences(ns: dict) -> None:
    assert ns["eps"] == pytest.approx(1 - math.hypot(0.45, 0.35), abs=1e-15)
    assert bool(ns["inside"].all())
    # the sequence (1 - 1/k) u stays in the open disc, its limit does not
    assert bool(ns["in_open_disc"](ns["seq"]).all())
    assert not bool(ns["in_open_disc"](ns["u"]))
    x_seq = ns["x_seq"]
    assert x_seq[1::2][-1].item() == pytest.approx(1 - 1 / 2000)
    assert x_seq[0::2][-1].item() == pytest.approx(-(1 - 1 / 1999))


def _in_box(p: torch.Tensor, x_hi: float, y_hi: float) -> bool:
    return bool(0 <= p[0] <= x_hi and 0 <= p[1] <= y_hi)


def test_set_definition_counterexample_is_real(ns: dict) -> None:
    assert ns["rep_triangle"].convex
    rep = ns["rep_l"]
    assert not rep.convex and rep.n_violations > 0
    ce = rep.counterexample
    for p in (ce.x, ce.y):  # both ends in the L-shape ...
        assert _in_box(p, 3, 1) or _in_box(p, 1, 3)
    point = ce.theta * ce.x + (1 - ce.theta) * ce.y  # ... the combination is not
    assert not (_in_box(point, 3, 1) or _in_box(point, 1, 3))


def test_example_sets(ns: dict) -> None:
    cvx = ns["cvx"]
    for s in (
        cvx.whole_space(3),
        cvx.nonnegative_orthant(3),
        ns["line"],
        ns["plane_r5"],
        ns["pentagon"],
    ):
        assert cvx.check_convex_set(s).convex
    for p in (1, 2, math.inf):
        assert cvx.check_convex_set(cvx.norm_ball(p, dim=5)).convex
    assert ns["rep_cap"].convex
    rep = ns["rep_cup"]
    assert not rep.convex
    point = rep.counterexample.point.numpy()
    assert (
        np.linalg.norm(point - [-1.2, 0]) > 1 and np.linalg.norm(point - [1.2, 0]) > 1
    )


def test_psd_cone_and_slice(ns: dict) -> None:
    for n in (2, 3, 5):
        assert ns["cvx"].check_convex_set(ns["cvx"].psd_cone(n)).convex
    probe = ns["probe"]
    expected = []
    for b, a in probe.tolist():  # c = 1: PSD iff a >= 0 and a * 1 >= b^2
        expected.append(bool(np.linalg.eigvalsh([[a, b], [b, 1.0]]).min() >= -1e-12))
    assert ns["slice_c1"](probe).tolist() == expected == [True, False, True]
    # the trace-2 slice is the unit disc in (s, b)
    pts = torch.tensor([[0.6, 0.79], [0.6, 0.81], [-1.0, 0.0]], dtype=torch.float64)
    assert ns["slice_trace2"](pts).tolist() == [True, False, True]


def test_definition_checks(ns: dict) -> None:
    assert ns["rep_exp"].convex
    ce = ns["rep_sin"].counterexample
    lhs = math.sin(ce.theta * ce.x.item() + (1 - ce.theta) * ce.y.item())
    rhs = ce.theta * math.sin(ce.x.item()) + (1 - ce.theta) * math.sin(ce.y.item())
    assert lhs - rhs == pytest.approx(ce.gap, abs=1e-12) and ce.gap > 0
    assert ns["checks"] == {
        "x^2 strictly convex": True,
        "|x| convex": True,
        "|x| strictly convex": False,
        "log x convex": False,
        "-log x convex (log x concave)": True,
    }


def test_first_order(ns: dict) -> None:
    assert ns["rep_fo_quartic"].convex and ns["rep_fo_2d"].convex
    ce = ns["rep_fo_cubic"].counterexample
    x, y = ce.x.item(), ce.y.item()
    tangent = x**3 + 3 * x**2 * (y - x)  # f(x) + f'(x)(y - x), by hand
    assert tangent > y**3
    assert tangent - y**3 == pytest.approx(ce.gap, rel=1e-9)


def test_second_order(ns: dict) -> None:
    # Hessian of x1^2 + x1 x2 + x2^2 + e^x1 at 0 is [[3, 1], [1, 2]]
    expected = np.linalg.eigvalsh([[3.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(ns["eig_bowl"].numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(expected, [(5 - 5**0.5) / 2, (5 + 5**0.5) / 2])
    assert ns["eig_quartic0"].item() == 0.0
    assert ns["eig_line"].item() == 0.0
    assert ns["rep_so_bowl"].convex and ns["rep_so_bowl"].min_eigenvalue > 0
    assert not ns["rep_so_sin"].convex
    assert -1.0 <= ns["rep_so_sin"].min_eigenvalue < -0.99


def test_jensen(ns: dict) -> None:
    x, w = ns["pts5"].numpy(), ns["w5"].numpy()
    assert ns["jen5"].lhs == pytest.approx(math.exp(float(w @ x)), rel=1e-12)
    assert ns["jen5"].rhs == pytest.approx(float(w @ np.exp(x)), rel=1e-12)
    assert ns["jen5"].holds and ns["jen5"].lhs < ns["jen5"].rhs
    # E[e^x] = e^(1/2) for a standard normal; 100 000 samples
    assert ns["jen_n"].lhs == pytest.approx(1.0, abs=0.01)
    assert ns["jen_n"].rhs == pytest.approx(math.exp(0.5), abs=0.02)


def test_examples_of_convex_functions(ns: dict) -> None:
    for a, d2, convex, strict in ns["exp_rows"]:
        assert d2 == pytest.approx(a**2, rel=1e-12)
        assert convex
        assert strict == (a != 0)
    assert ns["d2_neglog"] == pytest.approx(0.25, rel=1e-12)
    assert ns["strict_neglog"] and ns["so_neglog"]
    assert ns["eig_aff"].tolist() == [0.0, 0.0]
    assert ns["aff_verdicts"] == {
        "f convex": True,
        "-f convex (f concave)": True,
        "f strictly convex": False,
    }


def test_quadratics(ns: dict) -> None:
    for name, A in ns["mats"].items():
        np.testing.assert_allclose(
            ns["quad_eigs"][name].numpy(), np.linalg.eigvalsh(A), atol=1e-12
        )
    assert ns["strict_pd"] and not ns["strict_psd_line"]
    # x^T x = (1/2) x^T (2I) x: every Hessian eigenvalue is 2
    assert ns["sq_eigs"].tolist() == [2.0, 2.0, 2.0, 2.0]


def test_norms_and_weighted_sums(ns: dict) -> None:
    # convex, and never strictly convex (linear along a ray)
    assert ns["norm_rows"] == {
        1: (True, False),
        2: (True, False),
        math.inf: (True, False),
    }
    assert ns["rep_ws"].convex
    ce = ns["rep_nw"].counterexample

    def g(x: float) -> float:
        return x * x - 3 * abs(x)

    x, y, t = ce.x.item(), ce.y.item(), ce.theta
    assert g(t * x + (1 - t) * y) > t * g(x) + (1 - t) * g(y)
