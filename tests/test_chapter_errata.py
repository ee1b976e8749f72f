"""The errata page runs, and each demonstration shows what its entry claims.

References are independent of the page where possible: closed forms, numpy
and plain torch.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from conftest import CHAPTERS, run_chapter

from numopt import Status


@pytest.fixture(scope="module")
def ns() -> dict:
    return run_chapter("errata")


def test_summary_table_lists_every_entry() -> None:
    text = (CHAPTERS / "errata.md").read_text()
    labels = re.findall(r"^\((errata-[\w-]+)\)=$", text, re.M)
    entries = [lab for lab in labels if lab != "errata-correct"]
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for number, label in enumerate(entries, start=1):
        assert f"{{ref}}`{number} <{label}>`" in summary, label
    headings = re.findall(r"^### (\d+)\. ", text, re.M)
    assert [int(h) for h in headings] == list(range(1, len(headings) + 1))


def test_section_1_sets(ns: dict) -> None:
    assert ns["in_ball"] == [True, True]
    assert ns["ball_width"] == pytest.approx(1.998)  # diameter ~ 2 eps
    assert ns["even_limit"] == pytest.approx(1 - 1e-5)
    assert ns["odd_limit"] == pytest.approx(-(1 - 1 / 99_999))
    # polyhedron: vertices satisfy <= but not <
    pts, A, b = ns["pts"], ns["A_tri"], ns["b_tri"]
    assert bool(((pts @ A.T) <= b).all())
    assert not bool(((pts @ A.T) < b).all(-1).any())
    assert ns["tri_report"].convex
    # PSD: x^T A x >= 0, and e1 is a counterexample to "<= 0"
    A_psd = ns["A_psd"].numpy()
    assert np.linalg.eigvalsh(A_psd).min() >= 0
    assert ns["psd_min_quad"] >= 0
    assert ns["psd_e1"] == pytest.approx(A_psd[0, 0]) and ns["psd_e1"] > 0
    assert ns["psd_cone_convex"]
    assert ns["nd_report"].convex and ns["nd_report"].n_violations == 0


def test_section_1_functions(ns: dict) -> None:
    # affine: convex, on the chord, not strictly convex
    assert ns["aff"].convex and abs(ns["aff"].max_gap) < 1e-12
    assert not ns["aff_strict"].convex
    # strict first-order condition: holds for y != x, equality at y = x
    assert ns["fo"].convex and ns["gap_at_x"] == 0.0
    # x^4 strictly convex with f''(0) = 0; f(x) = x convex with f'' = 0
    assert ns["quartic_strict"].convex and ns["quartic_curv"] == 0.0
    assert ns["linear_convex"] and ns["linear_curv"] == 0.0
    # e^{0 x}: f'' = 0, not strictly convex; e^{2x} strictly convex
    assert ns["exp0_curv"] == 0.0
    assert not ns["exp0_strict"] and ns["exp2_strict"]
    # 1/2 x^T (2I) x = x^T x, Hessian 2I
    x = ns["x_rand"]
    assert ns["half_form"] == pytest.approx(float(x @ x))
    assert ns["sq_norm_curv"].tolist() == [2.0, 2.0, 2.0]
    # weighted sum: the right last line holds, the notes' one fails here
    f = lambda t: 2 * t**2 + 0.5 * math.exp(t)  # noqa: E731
    lhs = f(0.3 * -1 + 0.7 * 2)
    assert ns["ws_lhs"] == pytest.approx(lhs)
    assert ns["ws_rhs"] == pytest.approx(0.3 * f(-1) + 0.7 * f(2))
    assert ns["ws_notes"] == pytest.approx(f(-1))
    assert ns["ws_lhs"] <= ns["ws_rhs"] and ns["ws_lhs"] > ns["ws_notes"]
    assert ns["wsum_convex"]


def test_section_2_optimization(ns: dict) -> None:
    assert ns["saddle_eigs"] == {
        "-x^2": [-2.0],
        "-(x^2 + y^2)": [-2.0, -2.0],
        "x^2 - y^2": [-2.0, 2.0],
    }
    # min of x on [0, 1] is at 0, where f'(0) = 1 != 0
    assert ns["box_res"].x.item() == pytest.approx(0.0, abs=1e-12)
    assert ns["box_slope"] == 1.0
    # convex f on a non-convex set: local min -2 (f = 4), global min 1 (f = 1)
    assert ns["local_x"] == -2.0 and ns["global_x"] == 1.0


def test_section_3_gradient_descent(ns: dict) -> None:
    # GD stays on a maximum and converges to a saddle
    assert ns["max_res"].nit == 0 and ns["max_res"].x.item() == 0.0
    assert ns["saddle_res"].status is Status.CONVERGED
    assert ns["saddle_res"].x.abs().max().item() < 1e-5
    assert ns["saddle_end_eigs"] == [-2.0, 2.0]
    # x^2: converges iff 0 < lr < 1 = 2/L
    status = {lr: r.status for lr, r in ns["step_runs"].items()}
    assert status == {
        0.25: Status.CONVERGED,
        0.9: Status.CONVERGED,
        1.0: Status.MAXITER,
        1.5: Status.DIVERGED,
    }
    # coordinate descent: a coordinate gradient step needs a step size
    cd = ns["cd_runs"]
    assert cd["step, lr 0.5"].status is Status.CONVERGED
    assert cd["step, lr 2.0"].status is Status.DIVERGED
    assert cd["exact"].status is Status.CONVERGED
    assert ns["cd_exact_steps"] == [0.3333, 0.5, 0.3333, 0.5]  # 1 / a_ii
    # ... and exact coordinate minimization stalls on a non-smooth g
    assert ns["cd_stuck"].status is Status.LINESEARCH_FAILED
    assert ns["cd_stuck"].x.tolist() == [1.0, 1.0]
    assert ns["cd_stuck"].fun == pytest.approx(0.4)
    assert ns["kink"](torch.tensor([2.0, 2.0])).item() == 0.0
    # condition number: eigenvalue ratio 1, singular-value ratio ~1e4
    A = ns["A_nn"].numpy()
    assert ns["eig_ratio"] == pytest.approx(1.0)
    assert ns["kappa_nn"] == pytest.approx(np.linalg.cond(A))
    assert ns["kappa_nn"] > 1e4
    steps = ns["kappa_steps"]
    assert steps[1.0] == 1 and steps[1.0] < steps[10.0] < steps[100.0]
    # tanh: no minimizer; GD from 4 barely moves, from 0 keeps drifting
    assert 3.98 < ns["tanh_4"].x.item() < 4.0
    path = ns["tanh_0"].path
    assert bool((path[1:] < path[:-1]).all())
    assert bool((torch.tanh(path) > -1).all())
    assert ns["tanh_0"].status is Status.MAXITER


def test_section_4_autodiff(ns: dict) -> None:
    assert ns["ones5"].numel() == 5 and ns["ones5"].tolist() == [1.0] * 5
    c5 = math.cos(5.0)
    tangents_x1 = [row.derivative for row in ns["fwd_x1"].trace]
    tangents_x2 = [row.derivative for row in ns["fwd_x2"].trace]
    assert tangents_x1 == pytest.approx([1, 0, 0.5, 5, 0, 5.5, 5.5])
    assert tangents_x2 == pytest.approx([0, 1, 0, 2, c5, 2, 2 - c5])
    # reverse mode: two paths into v_0, their sum is df/dx2
    assert ns["via_v2"] == pytest.approx(2.0)
    assert ns["via_v3"] == pytest.approx(-c5)
    assert ns["via_v2"] + ns["via_v3"] == pytest.approx(ns["x_t"].grad[1].item())
    # the forward-mode tangent for any seed d is grad f . d (closed form)
    d = ns["d_seed"].tolist()
    directional = (0.5 + 5.0) * d[0] + (2.0 - c5) * d[1]
    assert ns["fwd_d"].derivative == pytest.approx(directional, abs=1e-12)
    assert ns["grad_dot_d"] == pytest.approx(directional, abs=1e-12)
    # a second backward() fails exactly where it reaches freed saved tensors
    assert ns["retain_cases"] == {
        "same_output_twice": "RuntimeError",
        "shared_sum": "works, x.grad = 4",  # d/dx (y + 1) + d/dx (3 y), y = x + 1
        "shared_square": "RuntimeError",
    }
    # d/dx [(x + x^2) + (x^2 + x^2)] at x = 5, in one sweep
    assert ns["summed_grad"] == 1 + 3 * 2 * 5 == 31
    # a non-leaf tensor's .grad is not stored unless retained
    assert ns["non_leaf_grad"] is None
    assert ns["y_mid"].grad.item() == 3.0


def test_section_4_3_examples(ns: dict) -> None:
    assert ns["grid_argmin"] == pytest.approx(4.545455, abs=1e-6)
    assert ns["slope_45"].item() == 0.0  # f'(4.5) = 1 + 2 (4.5 - 5)
    assert ns["gd32"].x.item() == pytest.approx(4.499998, abs=1e-6)
    assert ns["gd32_err"] < 3e-6
    for start in (-1.0, -0.5):
        assert min(ns["unfinished"][start]) > 1e-3  # still moving at step 150
    assert ns["longer"].x.item() == pytest.approx(0.0, abs=5e-3)  # from -0.5


def test_worked_numbers_are_correct(ns: dict) -> None:
    assert all(ns["correct"].values()), ns["correct"]
    assert len(ns["correct"]) == len(ns["checks"]) == 17
    # independent closed forms for the autodiff example and tanh
    assert ns["rev"].value == pytest.approx(math.log(2) + 10 - math.sin(5))
    assert ns["rev"].grad == pytest.approx((5.5, 2 - math.cos(5)))
    assert ns["tanh_slope_4"].item() == pytest.approx(1 - math.tanh(4) ** 2)
    ag = ns["ag"]
    assert ag["40"] == [10.0, 4.0, 29.0]
    assert ag["44"] == (1 + 10) + (10 + 10) + (75 + 10)
    assert ag["45"] == [30.0, 0.0, 2.0, 4.0, 6.0, 8.0]
    assert ag["46 grad"] == pytest.approx(
        [(2 * x / (x * x + 1) + 5) / 5 for x in range(5)]
    )
    assert ag["46"] == pytest.approx(
        (sum(math.log(x * x + 1) for x in range(5)) + 50) / 5
    )
    assert ns["mse_err"] < 1e-12
