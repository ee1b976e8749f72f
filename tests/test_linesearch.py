"""Line searches (Armijo backtracking, exact) and steepest descent built on them."""

from __future__ import annotations

import itertools
import math

import pytest
import scipy.optimize
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numopt import Status, minimize
from numopt.problems import PROBLEMS, booth, himmelblau, rosenbrock
from numopt.solvers import backtracking, exact_line_search, steepest_descent

F64 = torch.float64
C1 = 1e-4


def pd_quadratic(eigs: list[float], seed: int):
    """``f(x) = x^T A x / 2 - b^T x`` with spectrum ``eigs``; returns f, A, b."""
    gen = torch.Generator().manual_seed(seed)
    n = len(eigs)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    a = q @ torch.diag(torch.tensor(eigs, dtype=F64)) @ q.T
    b = torch.randn(n, generator=gen, dtype=F64)
    return (lambda x: 0.5 * x @ a @ x - b @ x), a, b


def grad(f, x: torch.Tensor) -> torch.Tensor:
    return torch.func.grad(f)(x)


def armijo_holds(f, x, alpha: float, d, c1: float = C1) -> bool:
    return f(x + alpha * d).item() <= f(x).item() + c1 * alpha * (grad(f, x) @ d).item()


# ----------------------------------------------------------------- backtracking


@given(
    eigs=st.lists(st.floats(0.01, 1000.0), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
    a0=st.floats(1e-3, 100.0),
    c1=st.sampled_from([1e-4, 0.3, 0.9]),
)
@settings(max_examples=25, deadline=None)
def test_backtracking_returns_the_first_armijo_step(eigs, seed, a0, c1) -> None:
    f, _, _ = pd_quadratic(eigs, seed)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(len(eigs), generator=gen, dtype=F64)
    g = grad(f, x)
    d = (
        -torch.rand(len(eigs), generator=gen, dtype=F64).add(0.1) * g
    )  # scaled -g: descent
    alpha = backtracking(f, x, f(x), g, d, a0=a0, c1=c1)
    assert alpha is not None and 0 < alpha <= a0
    assert armijo_holds(f, x, alpha, d, c1)
    k = round(math.log(a0 / alpha, 2))
    assert alpha == pytest.approx(a0 * 0.5**k, rel=1e-12)  # on the grid a0 rho^k
    if alpha < a0:  # the previous trial failed
        assert not armijo_holds(f, x, 2 * alpha, d, c1)


def test_backtracking_accepts_a0_when_it_is_good_and_halves_otherwise() -> None:
    x, f = torch.tensor([1.0], dtype=F64), lambda x: (x**2).sum()
    g = 2 * x
    assert backtracking(f, x, 1.0, g, -g, a0=0.25) == 0.25
    # a0 = 1 overshoots to x = -1 (no decrease); 0.5 lands on the minimizer
    assert backtracking(f, x, 1.0, g, -g) == 0.5
    assert backtracking(f, x, 1.0, g, -g, a0=1.0, rho=0.1) == pytest.approx(0.1)


def test_backtracking_fails_when_no_step_decreases_f() -> None:
    # a gradient that lies: x = 0 is the minimizer of x^2, so no step decreases f
    x = torch.zeros(1, dtype=F64)
    g = torch.ones(1, dtype=F64)
    assert backtracking(lambda x: (x**2).sum(), x, 0.0, g, -g) is None
    assert exact_line_search(lambda x: (x**2).sum(), x, 0.0, g, -g) is None


def test_line_search_counts_evaluations_on_an_objective() -> None:
    from numopt._objective import Objective

    calls = []
    objective = Objective(lambda x: (calls.append(1), (x**2).sum())[1])
    x = torch.tensor([1.0], dtype=F64)
    backtracking(objective, x, 1.0, 2 * x, -2 * x, a0=1.0)  # trials 1, 0.5
    assert objective.nfev == len(calls) == 2


# ------------------------------------------------------------------ exact search


@given(
    eigs=st.lists(st.floats(0.01, 1000.0), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
    a0=st.floats(1e-4, 1e4),
)
@settings(max_examples=25, deadline=None)
def test_exact_step_on_a_quadratic_is_the_closed_form(eigs, seed, a0) -> None:
    f, a, b = pd_quadratic(eigs, seed)
    x = torch.zeros(len(eigs), dtype=F64)
    g = a @ x - b
    alpha = exact_line_search(f, x, f(x), g, -g, a0=a0)
    assert alpha == pytest.approx((g @ g / (g @ a @ g)).item(), rel=1e-6)


def lse(x: torch.Tensor) -> torch.Tensor:
    """A smooth, strictly convex, non-quadratic test function."""
    w = torch.tensor([[1.0, 2.0], [-1.5, 0.5], [0.3, -2.0]], dtype=x.dtype)
    return torch.logsumexp(w @ x, 0) + 0.1 * (x**2).sum()


@pytest.mark.parametrize(
    ("f", "x"),
    [
        (lse, (1.0, -2.0)),
        (lse, (-3.0, 0.5)),
        (himmelblau, (0.0, 0.0)),
        (booth, (0.0, 0.0)),
        (rosenbrock, (-1.2, 1.0)),
    ],
)
def test_exact_search_matches_scipy_minimize_scalar(f, x) -> None:
    x = torch.tensor(x, dtype=F64)
    g = grad(f, x)
    d = -g
    alpha = exact_line_search(f, x, f(x), g, d)
    phi = lambda a: f(x + a * d).item()  # noqa: E731
    # scipy's bounded Brent on [0, 2 alpha]; the grid shows phi is unimodal there
    grid = torch.linspace(0, 2 * alpha, 401, dtype=F64)
    values = torch.tensor([phi(a) for a in grid.tolist()])
    assert (torch.diff(torch.sign(torch.diff(values))) != 0).sum() == 1
    ref = scipy.optimize.minimize_scalar(
        phi, bounds=(0, 2 * alpha), method="bounded", options={"xatol": 1e-12}
    )
    assert alpha == pytest.approx(ref.x, rel=1e-6)
    assert phi(alpha) <= ref.fun + 1e-12 * abs(ref.fun)


def test_exact_search_stays_inside_the_domain() -> None:
    # phi(a) = -log(3 - 2a) + (3 - 2a) ... is NaN for a > 1.5; the search treats it as +inf
    f = lambda x: (-torch.log(x) + x).sum()  # noqa: E731
    x = torch.tensor([3.0], dtype=F64)
    g = grad(f, x)
    alpha = exact_line_search(f, x, f(x), g, -g, a0=100.0)
    assert (x - alpha * g).item() == pytest.approx(1.0, rel=1e-7)


# ----------------------------------------------------------- steepest descent


def test_exact_steepest_descent_zigzags_at_right_angles() -> None:
    kappa = 10.0
    a = torch.diag(torch.tensor([1.0, kappa], dtype=F64))
    f = lambda x: 0.5 * x @ a @ x  # noqa: E731
    res = steepest_descent(f, [kappa, 1.0], line_search="exact", max_iter=30, tol=1e-10)
    grads = res.path @ a  # the gradient A x_k at every iterate
    for g0, g1 in itertools.pairwise(grads[:-1]):
        assert abs(g0 @ g1) <= 1e-7 * g0.norm() * g1.norm()  # d_{k+1} ⟂ d_k
    for k, step in enumerate(res.extra["steps"]):
        g = grads[k]
        assert step == pytest.approx((g @ g / (g @ a @ g)).item(), rel=1e-7)
    # Nocedal & Wright thm 3.3: f(x_{k+1}) <= ((kappa-1)/(kappa+1))^2 f(x_k);
    # from x0 = (kappa, 1) the bound holds with equality
    ratios = res.values[1:] / res.values[:-1]
    bound = ((kappa - 1) / (kappa + 1)) ** 2
    assert (ratios <= bound * (1 + 1e-6)).all()
    assert ratios[:10].tolist() == pytest.approx([bound] * 10, rel=1e-6)


@pytest.mark.parametrize("f", [rosenbrock, himmelblau, booth])
def test_every_backtracking_step_satisfies_armijo(f) -> None:
    x0 = torch.tensor([-1.2, 1.0], dtype=F64)
    res = steepest_descent(f, x0, line_search="backtracking", max_iter=150, tol=1e-9)
    steps = res.extra["steps"]
    assert len(steps) == res.nit > 0 and res.extra["line_search"] == "backtracking"
    for k, alpha in enumerate(steps):
        x = res.path[k]
        d = -grad(f, x)
        torch.testing.assert_close(res.path[k + 1], x + alpha * d)
        assert armijo_holds(f, x, alpha, d)
        assert math.log2(1 / alpha) == round(math.log2(1 / alpha))  # a0 = 1, rho = 1/2
    assert (res.values[1:] < res.values[:-1]).all()


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
@given(
    eigs=st.lists(st.floats(0.01, 100.0), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=15, deadline=None)
def test_steepest_descent_never_increases_f(line_search, eigs, seed) -> None:
    f, _, b = pd_quadratic(eigs, seed)
    res = steepest_descent(f, b, line_search=line_search, max_iter=15, tol=1e-10)
    assert (res.values[1:] <= res.values[:-1]).all()
    assert res.status is not Status.DIVERGED


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
def test_line_search_keeps_iterates_inside_the_domain(line_search: str) -> None:
    # gradient descent with lr=5 jumps to x < 0 where log is NaN; a line search does not
    res = steepest_descent(
        lambda x: -torch.log(x) + x, 3.0, line_search=line_search, lr=5.0, tol=1e-7
    )
    assert res.success and res.x.item() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
def test_stops_when_the_decrease_is_below_rounding(line_search: str) -> None:
    # in float32, f = 100 + O(|x - 1|^2) stops changing once |x - 1| ~ 1e-3: with
    # tol = 0 the run must end with LINESEARCH_FAILED, not loop or return NaN
    w = torch.tensor([1.0, 10.0])
    res = steepest_descent(
        lambda x: (w * (x - 1) ** 2).sum() + 100,
        [3.0, -2.0],
        line_search=line_search,
        dtype=torch.float32,
        tol=0.0,
        max_iter=1000,
    )
    assert res.status is Status.LINESEARCH_FAILED and not res.success
    assert "line search" in res.message and res.nit < 1000
    assert torch.isfinite(res.x).all() and math.isfinite(res.fun)
    assert len(res.extra["steps"]) == res.nit
    torch.testing.assert_close(res.x, torch.ones(2), atol=1e-2, rtol=0)


def test_unbounded_below_ends_without_nan() -> None:
    for f in (lambda x: -(x**2), lambda x: 3 * x):
        res = steepest_descent(f, 1.0, max_iter=20)
        assert not res.success and res.status is not Status.CONVERGED
        assert math.isfinite(res.fun) and bool(torch.isfinite(res.x))
        assert torch.isfinite(res.values).all()


def test_nfev_counts_line_search_evaluations() -> None:
    calls = []

    def f(x: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return PROBLEMS["matyas"].f(x)

    res = steepest_descent(f, [5.0, -3.0], max_iter=20)
    assert res.nfev == len(calls) > 2 * (res.nit + 1)


def test_minimize_steepest_and_defaults() -> None:
    res = minimize(PROBLEMS["booth"].f, [0.0, 0.0], method="steepest", tol=1e-9)
    assert res.success and res.extra["line_search"] == "exact"
    torch.testing.assert_close(res.x, torch.tensor([1.0, 3.0], dtype=F64))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"line_search": "wolfe"},
            ValueError,
            "unknown line_search 'wolfe'.*'exact', 'backtracking'",
        ),
        ({"lr": 0.0}, ValueError, "lr must be > 0"),
        ({"c1": 1.0}, ValueError, r"c1 must be in \(0, 1\)"),
        ({"c1": -0.1}, ValueError, "c1 must be > 0"),
        ({"rho": 1.5}, ValueError, r"rho must be in \(0, 1\)"),
        ({"max_iter": -2}, ValueError, "max_iter must be >= 0"),
        ({"tol": float("inf")}, ValueError, "tol must be finite"),
        ({"callback": 1}, TypeError, "callback must be callable"),
    ],
)
def test_bad_input_names_the_argument(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        steepest_descent(PROBLEMS["booth"].f, [0.0, 0.0], **kwargs)


def test_helpers_reject_an_ascent_direction_and_bad_options() -> None:
    x = torch.tensor([1.0], dtype=F64)
    f, g = (lambda x: (x**2).sum()), 2 * x
    for search in (backtracking, exact_line_search):
        with pytest.raises(ValueError, match="d must be a descent direction"):
            search(f, x, 1.0, g, g)
        with pytest.raises(ValueError, match="a0 must be > 0"):
            search(f, x, 1.0, g, -g, a0=0.0)
    with pytest.raises(ValueError, match="xtol must be > 0"):
        exact_line_search(f, x, 1.0, g, -g, xtol=-1.0)
    with pytest.raises(ValueError, match=r"rho must be in \(0, 1\)"):
        backtracking(f, x, 1.0, g, -g, rho=1.0)
