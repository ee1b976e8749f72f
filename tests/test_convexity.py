"""numopt.convexity: sampling checks of convexity for functions and sets.

Known convex functions must pass all three checks (definition, first order,
second order); known non-convex ones must fail all three with a counterexample
that, recomputed here independently, really violates the inequality.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numopt.convexity import (
    ConvexityReport,
    SampledSet,
    affine_set,
    check_convex_set,
    check_definition,
    check_first_order,
    check_second_order,
    evaluate_batch,
    hessian_eigenvalues,
    intersection,
    jensen,
    nonnegative_orthant,
    norm_ball,
    polyhedron,
    psd_cone,
    union,
    whole_space,
)
from numopt.problems import wavy_abs

F64 = torch.float64
GEN = torch.Generator().manual_seed(1234)
A_PSD = (lambda B: B @ B.T)(torch.randn(3, 2, generator=GEN, dtype=F64))  # rank 2
A_INDEF = torch.tensor([[2.0, 0.5, 0.0], [0.5, -1.0, 0.3], [0.0, 0.3, 1.0]], dtype=F64)
B_VEC = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
BOX3 = ([-2.0, -2.0, -2.0], [2.0, 2.0, 2.0])


def quadratic(A: torch.Tensor):
    return lambda x: 0.5 * (x @ A * x).sum(-1) + x @ B_VEC + 3.0


def norm(p: float):
    return lambda x: torch.linalg.vector_norm(x, ord=p, dim=-1)


CONVEX = {
    **{
        f"exp({a}x)": (lambda x, a=a: torch.exp(a * x), -2.0, 2.0)
        for a in (-2.0, -0.5, 0.5, 1.0, 3.0)
    },
    "-log x": (lambda x: -torch.log(x), 0.05, 10.0),
    "affine": (lambda x: x @ B_VEC + 3.0, *BOX3),
    "quadratic PSD": (quadratic(A_PSD), *BOX3),
    "norm 1": (norm(1), *BOX3),
    "norm 2": (norm(2), *BOX3),
    "norm inf": (norm(math.inf), *BOX3),
    "weighted sum": (
        lambda x: 2 * torch.exp(x) + 0.5 * x**2 + 3 * torch.abs(x - 1),
        -3.0,
        3.0,
    ),
}
NONCONVEX = {
    "quadratic indefinite": (quadratic(A_INDEF), *BOX3),
    "sin": (torch.sin, 0.0, 2 * math.pi),
    "x cos 4x + 2|x|": (wavy_abs, -5.0, 5.0),
    "negative weighted sum": (lambda x: x**2 - torch.exp(x), -2.0, 2.0),
}
CHECKS = {
    "definition": lambda f, lo, hi: check_definition(f, lo, hi, n=2000, seed=0),
    "first-order": lambda f, lo, hi: check_first_order(f, lo, hi, n=2000, seed=0),
    "second-order": lambda f, lo, hi: check_second_order(f, lo, hi, n=200, seed=0),
}


def value(f, x: torch.Tensor) -> float:
    return float(f(x))


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", CONVEX)
def test_convex_functions_pass_every_check(name: str, check: str) -> None:
    f, lo, hi = CONVEX[name]
    report = CHECKS[check](f, lo, hi)
    assert isinstance(report, ConvexityReport)
    assert report.convex, report
    assert report.counterexample is None and report.n_violations == 0
    assert report.n_checked == (200 if check == "second-order" else 2000)


def _assert_really_violates(f, report: ConvexityReport) -> None:
    ce = report.counterexample
    assert ce is not None and ce.gap > 0
    if report.test == "definition":
        lhs = value(f, ce.theta * ce.x + (1 - ce.theta) * ce.y)
        rhs = ce.theta * value(f, ce.x) + (1 - ce.theta) * value(f, ce.y)
    elif report.test == "first-order":
        x = ce.x.clone().requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)
        lhs = value(f, ce.x) + float((g * (ce.y - ce.x)).sum())
        rhs = value(f, ce.y)
    else:
        lhs, rhs = 0.0, float(hessian_eigenvalues(f, ce.x).min())
    assert lhs > rhs
    assert lhs - rhs == pytest.approx(ce.gap, rel=1e-6, abs=1e-9)
    # and the reported gap is the worst one
    assert ce.gap == pytest.approx(report.max_gap)


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("name", NONCONVEX)
def test_nonconvex_functions_fail_with_a_real_counterexample(
    name: str, check: str
) -> None:
    f, lo, hi = NONCONVEX[name]
    report = CHECKS[check](f, lo, hi)
    assert not report.convex
    assert 0 < report.n_violations <= report.n_checked
    _assert_really_violates(f, report)
    assert "convex: False" in repr(report) and "worst" in repr(report)


def test_second_order_reports_the_min_eigenvalue() -> None:
    report = check_second_order(quadratic(A_INDEF), *BOX3, n=20)
    assert report.min_eigenvalue == pytest.approx(
        float(torch.linalg.eigvalsh(A_INDEF)[0])
    )
    convex = check_second_order(lambda x: torch.exp(2 * x), -1.0, 1.0, n=50)
    assert convex.convex
    # f'' = 4 exp(2x) on [-1, 1]: the smallest sampled value is a little above 4/e²
    assert 4 * math.exp(-2) < convex.min_eigenvalue < 4 * math.exp(-1.5)


def test_strict_convexity() -> None:
    assert check_definition(torch.exp, -2.0, 2.0, strict=True).convex
    assert check_definition(lambda x: (x**2).sum(-1), *BOX3, strict=True).convex
    assert check_first_order(lambda x: -torch.log(x), 0.05, 10.0, strict=True).convex
    for f, lo, hi in (CONVEX["affine"], CONVEX["norm 1"]):
        assert check_definition(f, lo, hi).convex
        assert not check_definition(f, lo, hi, strict=True).convex
    assert not check_first_order(lambda x: 2 * x + 1, -1.0, 1.0, strict=True).convex


def test_reports_are_reproducible() -> None:
    a = check_definition(wavy_abs, -5.0, 5.0, seed=7)
    b = check_definition(wavy_abs, -5.0, 5.0, seed=7)
    c = check_definition(wavy_abs, -5.0, 5.0, seed=8)
    assert a.counterexample.x.item() == b.counterexample.x.item()
    assert a.counterexample.theta == b.counterexample.theta
    assert a.counterexample.x.item() != c.counterexample.x.item()


def test_hessian_eigenvalues_match_an_explicit_hessian() -> None:
    def f(x):
        return x[0] ** 2 * x[1] + torch.sin(x[0] * x[1]) + torch.exp(x[1])

    for point in ([0.3, -1.2], [1.5, 0.7], [-2.0, 0.1]):
        x0, x1 = point
        s, c = math.sin(x0 * x1), math.cos(x0 * x1)
        H = torch.tensor(
            [
                [2 * x1 - x1**2 * s, 2 * x0 + c - x0 * x1 * s],
                [2 * x0 + c - x0 * x1 * s, -(x0**2) * s + math.exp(x1)],
            ],
            dtype=F64,
        )
        got = hessian_eigenvalues(f, point)
        torch.testing.assert_close(got, torch.linalg.eigvalsh(H))
        assert bool((got[:-1] <= got[1:]).all())  # ascending


def test_hessian_eigenvalues_of_quadratics_are_those_of_A() -> None:
    for A in (A_PSD, A_INDEF):
        got = hessian_eigenvalues(quadratic(A), torch.ones(3, dtype=F64))
        torch.testing.assert_close(got, torch.linalg.eigvalsh(A))


def test_hessian_eigenvalues_scalar_and_control_flow() -> None:
    got = hessian_eigenvalues(lambda x: torch.exp(3 * x), 0.5)
    assert got.shape == (1,)
    assert got.item() == pytest.approx(9 * math.exp(1.5))

    def piecewise(x):  # data-dependent branch: torch.func cannot, autograd can
        return x**2 if x > 0 else x**4

    assert hessian_eigenvalues(piecewise, 1.0).item() == pytest.approx(2.0)
    assert hessian_eigenvalues(piecewise, -1.0).item() == pytest.approx(12.0)
    assert check_second_order(piecewise, -1.0, 1.0, n=10).convex


def test_evaluate_batch_batched_unbatched_and_misleading() -> None:
    X = torch.arange(9, dtype=F64).reshape(3, 3)
    expected = (X**2).sum(1)
    torch.testing.assert_close(evaluate_batch(lambda x: (x**2).sum(-1), X), expected)
    torch.testing.assert_close(evaluate_batch(lambda x: x.dot(x), X), expected)
    # f(X) has the right shape (3,) but sums over the batch, not the point
    torch.testing.assert_close(evaluate_batch(lambda x: (x**2).sum(0), X), expected)
    # not vmappable (.item()): the loop
    torch.testing.assert_close(
        evaluate_batch(lambda x: torch.tensor((x**2).sum().item(), dtype=F64), X),
        expected,
    )


def test_unbatched_objective_gives_the_same_report() -> None:
    A = A_INDEF
    batched = check_definition(quadratic(A), *BOX3, n=300)
    plain = check_definition(lambda x: 0.5 * x @ A @ x + x @ B_VEC + 3.0, *BOX3, n=300)
    assert batched.n_violations == plain.n_violations > 0
    assert batched.counterexample.gap == pytest.approx(plain.counterexample.gap)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((torch.exp, 1.0, 0.0), {}, ValueError, "low must be <= high"),
        ((torch.exp, [0, 0], [1, 1, 1]), {}, ValueError, "same length"),
        ((torch.exp, [[0.0]], [[1.0]]), {}, ValueError, "low must be a number"),
        ((torch.exp, 0.0, "a"), {}, TypeError, "high must be"),
        ((torch.exp, 0.0, math.inf), {}, ValueError, "high must be finite"),
        (("exp", 0.0, 1.0), {}, TypeError, "f must be callable"),
        ((torch.exp, 0.0, 1.0), {"n": 0}, ValueError, "n must be >= 1"),
        ((torch.exp, 0.0, 1.0), {"seed": 1.5}, TypeError, "seed must be an int"),
        ((lambda x: torch.stack([x, x]), 0.0, 1.0), {}, ValueError, "scalar"),
        ((lambda x: x.detach().numpy(), 0.0, 1.0), {}, TypeError, "torch tensor"),
        ((torch.log, -1.0, 1.0), {}, ValueError, "domain of f"),
        ((torch.exp, 0.0, 1.0), {"atol": -1.0}, ValueError, "atol must be >= 0"),
        ((torch.exp, 0.0, 1.0), {"atol": math.nan}, ValueError, "atol must be finite"),
    ],
)
def test_bad_input(args, kwargs, error, match) -> None:
    for check in (check_definition, check_first_order, check_second_order):
        with pytest.raises(error, match=match):
            check(*args, **kwargs)


def test_strict_must_be_a_bool() -> None:
    for check in (check_definition, check_first_order):
        with pytest.raises(TypeError, match="strict must be True or False"):
            check(torch.exp, 0.0, 1.0, strict="no")


def _nan_derivatives(x: torch.Tensor) -> torch.Tensor:
    """-x^2 for x < 0: finite and concave there, but torch.where sends the
    NaN gradient of sqrt(x < 0) into the gradient and the Hessian."""
    return torch.where(x < 0, -(x**2), torch.sqrt(x))


def test_derivatives_that_are_not_finite_are_an_error_not_a_pass() -> None:
    assert not check_definition(_nan_derivatives, -1.0, -0.1).convex
    with pytest.raises(ValueError, match="the gradient of f is not finite"):
        check_first_order(_nan_derivatives, -1.0, -0.1)
    with pytest.raises(ValueError, match="the Hessian of f is not finite"):
        check_second_order(_nan_derivatives, -1.0, -0.1)
    with pytest.raises(ValueError, match="the Hessian of f is not finite"):
        hessian_eigenvalues(_nan_derivatives, -0.5)


def test_hessian_eigenvalues_bad_input() -> None:
    with pytest.raises(TypeError, match="f must be callable"):
        hessian_eigenvalues(3.0, 1.0)
    with pytest.raises(ValueError, match="scalar"):
        hessian_eigenvalues(lambda x: x * 2, [1.0, 2.0])


# -- Jensen --------------------------------------------------------------------


def test_jensen_values_and_failure_for_concave() -> None:
    r = jensen(torch.exp, [0.0, 1.0, 2.0])
    assert r.lhs == pytest.approx(math.e)
    assert r.rhs == pytest.approx((1 + math.e + math.e**2) / 3)
    assert r.holds and r.gap > 0
    concave = jensen(torch.log, [1.0, 4.0, 9.0], [0.2, 0.3, 0.5])
    assert concave.rhs < concave.lhs and not concave.holds
    assert concave.lhs == pytest.approx(math.log(0.2 + 1.2 + 4.5))


def test_jensen_random_points_in_the_plane() -> None:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 2, generator=g, dtype=F64)
    w = torch.rand(50, generator=g, dtype=F64)
    w = w / w.sum()
    assert jensen(norm(2), X, w).holds
    assert jensen(lambda x: x.dot(x), X, w).holds
    assert not jensen(lambda x: -x.dot(x), X, w).holds


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ([0.5, 0.6], "weights must sum to 1"),
        ([1.5, -0.5], "weights must be nonnegative"),
        ([1.0], r"weights must have shape \(2,\)"),
        ([0.5, math.nan], "weights must be finite"),
    ],
)
def test_jensen_bad_weights(weights, match) -> None:
    with pytest.raises(ValueError, match=match):
        jensen(torch.exp, [0.0, 1.0], weights)


def test_jensen_bad_atol() -> None:
    with pytest.raises(ValueError, match="atol must be >= 0"):
        jensen(torch.exp, [0.0, 1.0], atol=-1.0)


def test_jensen_bad_samples() -> None:
    with pytest.raises(ValueError, match="samples must have shape"):
        jensen(torch.exp, [])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-5, 5, allow_nan=False), st.floats(0.0, 10.0, allow_nan=False)
        ),
        min_size=1,
        max_size=12,
    ).filter(lambda pairs: sum(w for _, w in pairs) > 1e-3),
    st.floats(-2, 2, allow_nan=False),
)
def test_jensen_holds_for_exp_on_random_weights(pairs, a) -> None:
    xs = [x for x, _ in pairs]
    total = sum(w for _, w in pairs)
    ws = [w / total for _, w in pairs]
    ws[-1] = 1.0 - sum(ws[:-1])
    if ws[-1] < 0:  # rounding
        ws[-1] = 0.0
    r = jensen(lambda x: torch.exp(a * x), xs, ws, atol=1e-9 * math.exp(abs(a) * 5))
    assert r.holds
    assert r.rhs - r.lhs >= -1e-9 * math.exp(abs(a) * 5)


# -- Sets ----------------------------------------------------------------------

CONVEX_SETS = {
    "R^3": whole_space(3),
    "orthant": nonnegative_orthant(4),
    "ball 1": norm_ball(1, dim=3),
    "ball 2": norm_ball(2, center=[1.0, -2.0], radius=0.5),
    "ball inf": norm_ball(math.inf, center=[0.0, 3.0, 1.0], radius=2.0),
    "ball 3": norm_ball(3, dim=2),
    "affine": affine_set([[1.0, 1.0, 0.0], [0.0, 1.0, -1.0]], [1.0, 2.0]),
    "polyhedron": polyhedron([[1.0, 1.0], [-1.0, 0.5], [0.0, -1.0]], [1.0, 1.0, 1.0]),
    "intersection": intersection(
        norm_ball(2, radius=1.5), polyhedron([[1.0, 1.0]], [0.5])
    ),
    "psd cone": psd_cone(3),
}


@pytest.mark.parametrize("name", CONVEX_SETS)
def test_convex_sets(name: str) -> None:
    report = check_convex_set(CONVEX_SETS[name], n=1000)
    assert report.convex and report.counterexample is None
    assert report.test == "set" and report.n_checked == 1000


@pytest.mark.parametrize(
    "S",
    [
        union(norm_ball(2, center=[-2.0, 0.0]), norm_ball(2, center=[2.0, 0.0])),
        norm_ball(0.5),  # the "ball" of a quasi-norm
    ],
    ids=["union of disjoint balls", "p=0.5 ball"],
)
def test_nonconvex_sets(S: SampledSet) -> None:
    report = check_convex_set(S, n=1000)
    assert not report.convex and report.n_violations > 0
    ce = report.counterexample
    pts = torch.stack([ce.x, ce.y, ce.point])
    assert S.contains(pts).tolist() == [True, True, False]
    # a set check keeps the first violation it finds, and says so
    assert "first: Counterexample" in repr(report) and "worst" not in repr(report)


def test_set_members_and_samples() -> None:
    g = torch.Generator().manual_seed(0)
    ball = norm_ball(1, center=[1.0, 1.0], radius=2.0)
    assert ball(
        torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 1.0], [3.0, 1.5]])
    ).tolist() == [
        True,
        True,
        True,
        False,
    ]
    assert bool(
        (torch.linalg.vector_norm(ball.sample(500, g) - 1, ord=1, dim=-1) <= 2).all()
    )
    cone = psd_cone(2)
    mats = torch.tensor([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [2.0, 1.0]],
                         [[1.0, 1.0], [0.0, 1.0]]], dtype=F64)  # fmt: skip
    assert cone(mats).tolist() == [True, False, False]
    samples = cone.sample(200, g)
    torch.testing.assert_close(samples, samples.mT)
    lam = torch.linalg.eigvalsh(samples)
    assert bool((lam >= -1e-12).all()) and float(lam[:, 0].abs().min()) < 1e-10
    aff = affine_set([[1.0, 1.0, 0.0]], [1.0])
    pts = aff.sample(100, g)
    torch.testing.assert_close(pts.sum(-1) - pts[:, 2], torch.ones(100, dtype=F64))
    assert aff(pts).all() and not aff(pts + 0.1).any()
    orth = nonnegative_orthant(2)
    assert orth(torch.tensor([[0.0, 1.0], [-1e-3, 1.0]])).tolist() == [True, False]


def test_set_errors() -> None:
    with pytest.raises(ValueError, match=r"affine set .* is empty"):
        affine_set([[1.0, 1.0], [1.0, 1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        polyhedron([[1.0, 0.0], [0.0, 1.0]], [1.0])
    with pytest.raises(ValueError, match="could not sample"):
        check_convex_set(polyhedron([[1.0, 0.0], [-1.0, 0.0]], [-1.0, -1.0]), n=10)
    with pytest.raises(ValueError, match="p must be > 0"):
        norm_ball(0)
    with pytest.raises(TypeError, match="sample is required"):
        check_convex_set(lambda X: X[:, 0] > 0)
    with pytest.raises(TypeError, match="contains must be callable"):
        check_convex_set(1, lambda m, g: torch.zeros(m, 2))
    with pytest.raises(ValueError, match="sample returned points that contains"):
        check_convex_set(norm_ball(2).contains, lambda m, g: torch.full((m, 2), 5.0))
    with pytest.raises(ValueError, match="must return a bool tensor"):
        check_convex_set(lambda X: True, norm_ball(2).sample)
    with pytest.raises(TypeError, match="intersection takes one or more"):
        intersection()
