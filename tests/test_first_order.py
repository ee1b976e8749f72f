"""First-order solvers beyond plain GD: momentum, Nesterov, preconditioned and
coordinate descent, plus the methods x problems x dtypes matrix for every
first-order method (steepest descent included) and the rates from theory."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import pytest
import scipy.optimize
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from numopt import Status, minimize
from numopt.problems import PROBLEMS, rosenbrock
from numopt.solvers import (
    coordinate_descent,
    gradient_descent,
    momentum,
    nesterov,
    preconditioned,
    steepest_descent,
)

F64 = torch.float64


def quadratic(eigs: list[float], seed: int = 0, dtype: torch.dtype = F64):
    """``f(x) = x^T A x / 2`` with ``A = Q diag(eigs) Q^T`` for a random rotation Q."""
    gen = torch.Generator().manual_seed(seed)
    n = len(eigs)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    a64 = q @ torch.diag(torch.tensor(eigs, dtype=F64)) @ q.T
    a = a64.to(dtype)

    def f(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x @ a.to(device=x.device, dtype=x.dtype) @ x

    return f, a64, q


# ---------------------------------------------------------------- the matrix

#: method label -> (solver, options shared by every problem)
METHODS: dict[str, tuple[Callable, dict]] = {
    "steepest-exact": (steepest_descent, {"line_search": "exact"}),
    "steepest-backtracking": (steepest_descent, {"line_search": "backtracking"}),
    "coordinate-exact": (coordinate_descent, {"rule": "exact"}),
    "coordinate-step": (coordinate_descent, {"rule": "step"}),
    "momentum": (momentum, {}),
    "nesterov": (nesterov, {}),
    "preconditioned": (preconditioned, {}),
}

#: per problem: lr and beta for momentum and Nesterov (lr about 1/L along the
#: path), the step of coordinate-step (about 1/max_i H_ii) and of preconditioned
#: (below 2/lambda_max(P H)), and mu, the smallest Hessian eigenvalue at the
#: minimizer (so that ||x - x*|| <= ||grad|| / mu to first order)
ILL = quadratic([1.0, 10.0, 100.0], seed=1)[0]  # kappa = 100
SETTINGS = {
    "booth": {"lr": 0.05, "beta": 0.5, "coord_lr": 0.1, "precond_lr": 1.0, "mu": 2.0},
    "matyas": {"lr": 0.5, "beta": 0.8, "coord_lr": 1.5, "precond_lr": 1.0, "mu": 0.04},
    "himmelblau": {
        "lr": 0.01,
        "beta": 0.5,
        "coord_lr": 0.01,
        "precond_lr": 1.0,
        "mu": 25.0,
    },
    "abs_quadratic": {
        "lr": 0.25,
        "beta": 0.5,
        "coord_lr": 0.25,
        "precond_lr": 1.0,
        "mu": 2.0,
    },
    "rosenbrock": {
        "lr": 1e-3,
        "beta": 0.95,
        "coord_lr": 2e-3,
        "precond_lr": 1.0,
        "mu": 0.39,
    },
    "ill_quadratic": {
        "lr": 0.01,
        "beta": 0.8,
        "coord_lr": 0.015,
        "precond_lr": 0.5,
        "mu": 1.0,
    },
}
ILL_X0 = (1.0, -1.0, 2.0)
SLOW = {  # (problem, method) pairs that take seconds: run with NUMOPT_SLOW=1
    ("rosenbrock", m)
    for m in (
        "steepest-exact",
        "steepest-backtracking",
        "coordinate-exact",
        "coordinate-step",
        "preconditioned",
    )
}
# Problem and method pairs that are no test: the method does not apply there.
NOT_APPLICABLE = {
    ("himmelblau", "preconditioned"): "Jacobi needs a positive Hessian diagonal; at "
    "himmelblau's x0 = (0, 0) it is (-42, -26) (see test_jacobi_needs_positive_diagonal)",
}


def problem(name: str, dtype: torch.dtype):
    """(f, x0, minimizers, fmin) for a registry problem or the ill-conditioned quadratic."""
    if name == "ill_quadratic":
        x0 = torch.tensor(ILL_X0, dtype=dtype)
        return ILL, x0, [(0.0,) * 3], 0.0
    p = PROBLEMS[name]
    return p.f, p.start(dtype), list(p.minimizers), p.fmin


def options_for(method: str, name: str) -> dict:
    """The method's options with the problem's step settings."""
    s = SETTINGS[name]
    options = dict(METHODS[method][1])
    if method in ("momentum", "nesterov"):
        options |= {"lr": s["lr"], "beta": s["beta"]}
    elif method == "coordinate-step":
        options |= {"lr": s["coord_lr"]}
    elif method == "preconditioned":
        options |= {"lr": s["precond_lr"]}
    return options


def solve(method: str, name: str, x0: torch.Tensor, f: Callable, **kwargs):
    return METHODS[method][0](f, x0, **(options_for(method, name) | kwargs))


def matrix_params() -> list:
    return list(_matrix_params())


def _matrix_params():
    for name in SETTINGS:
        for method in METHODS:
            marks = []
            if (name, method) in SLOW:
                marks.append(pytest.mark.slow)
                marks.append(
                    pytest.mark.skipif(
                        not os.environ.get("NUMOPT_SLOW"),
                        reason="2,500 to 12,000 iterations along Rosenbrock's curved "
                        "valley (seconds each); set NUMOPT_SLOW=1 to run",
                    )
                )
            if (name, method) in NOT_APPLICABLE:  # the method does not apply
                continue
            yield pytest.param(name, method, marks=marks, id=f"{name}-{method}")


@pytest.mark.parametrize(("name", "method"), matrix_params())
def test_reaches_the_known_minimizer(
    name: str, method: str, dtype: torch.dtype
) -> None:
    f, x0, minimizers, fmin = problem(name, dtype)
    tol = 1e-7 if dtype == F64 else 1e-3
    if name in ("rosenbrock", "ill_quadratic"):  # slow linear rates: keep it quick
        tol = max(tol, 1e-4 if name == "rosenbrock" else 1e-6)
    res = solve(method, name, x0, f, tol=tol, max_iter=30_000)
    assert res.success, (res.status, res.nit, res.grad_norm)
    assert res.x.dtype == dtype and res.grad_norm <= tol
    x = res.x.double().reshape(-1)
    err = min(
        torch.linalg.vector_norm(x - torch.tensor(m, dtype=F64)).item()
        for m in minimizers
    )
    # ||x - x*|| <= ||grad|| / mu near a strict minimizer (2x for curvature changes)
    assert err <= 2 * tol / SETTINGS[name]["mu"] + 1e-5
    assert res.fun == pytest.approx(fmin, abs=10 * tol)


@pytest.mark.parametrize(
    ("name", "method"),
    [(n, m) for n in SETTINGS for m in METHODS if (n, m) not in NOT_APPLICABLE],
)
def test_result_invariants(
    name: str, method: str, dtype: torch.dtype, device: torch.device
) -> None:
    f, x0, _, _ = problem(name, dtype)
    x0 = x0.to(device)
    res = solve(method, name, x0, f, tol=0.0, max_iter=25)
    assert res.nit <= 25 and res.method == minimize_name(method)
    assert res.path.shape == (res.nit + 1, *x0.shape)
    assert res.values.shape == (res.nit + 1,)
    assert torch.equal(res.path[0], x0) and torch.equal(res.path[-1], res.x)
    assert res.x.dtype == dtype and not res.x.requires_grad
    assert res.x.device == res.path.device == res.values.device == x0.device
    assert torch.isfinite(res.path).all() and torch.isfinite(res.values).all()
    rel = 1e-12 if dtype == F64 else 1e-5
    assert res.fun == pytest.approx(f(res.x).item(), rel=rel, abs=rel)
    recomputed = torch.stack([f(x) for x in res.path])
    torch.testing.assert_close(res.values, recomputed, rtol=rel, atol=rel)
    if method.startswith("steepest") or method == "coordinate-exact":
        assert (res.values[1:] <= res.values[:-1]).all(), "line search increased f"
    if method.startswith(("steepest", "coordinate")):
        assert len(res.extra["steps"]) == res.nit


def minimize_name(method: str) -> str:
    return {"steepest": "steepest", "coordinate": "coordinate"}.get(
        method.split("-")[0], method
    )


@pytest.mark.parametrize("method", list(METHODS))
def test_minimize_dispatches_to_the_solver(method: str) -> None:
    f, x0, _, _ = problem("booth", F64)
    direct = solve(method, "booth", x0, f, max_iter=15)
    options = options_for(method, "booth")
    via = minimize(f, x0, method=minimize_name(method), max_iter=15, **options)
    assert via.method == direct.method == minimize_name(method)
    assert torch.equal(via.path, direct.path) and via.nfev == direct.nfev


@pytest.mark.parametrize("method", list(METHODS))
def test_device_and_dtype_are_kept(
    method: str, device: torch.device, dtype: torch.dtype
) -> None:
    f, _, _ = quadratic([1.0, 4.0], seed=3)
    x0 = torch.tensor([1.0, -2.0], device=device, dtype=dtype)
    res = solve(method, "booth", x0, f, max_iter=10, tol=0.0)
    assert res.x.device == x0.device and res.path.device == x0.device
    assert res.values.device == x0.device
    assert res.x.dtype == res.path.dtype == dtype and res.nit == 10
    assert res.fun < f(x0).item()


@pytest.mark.parametrize("method", list(METHODS))
def test_callback_stops_and_max_iter_zero(method: str) -> None:
    f, x0, _, _ = problem("booth", F64)
    seen: list[int] = []
    res = solve(
        method, "booth", x0, f, callback=lambda k, x, fun: seen.append(k) or k == 4
    )
    assert res.status is Status.CALLBACK and not res.success
    assert res.nit == 4 and seen == [1, 2, 3, 4]
    res = solve(method, "booth", x0, f, max_iter=0)
    assert res.nit == 0 and res.status is Status.MAXITER and res.fun == f(x0).item()
    assert res.path.shape == (1, 2)
    res = solve(method, "booth", x0, f, max_iter=1, tol=0.0)
    assert res.nit == 1 and res.fun < f(x0).item()


# --------------------------------------------------------------- scipy agrees


@pytest.mark.parametrize("name", ["booth", "matyas"])
@pytest.mark.parametrize(
    "method", ["steepest-exact", "momentum", "nesterov", "coordinate-exact"]
)
def test_agrees_with_scipy_bfgs(name: str, method: str) -> None:
    p = PROBLEMS[name]
    ref = scipy.optimize.minimize(
        lambda z: p.f(torch.tensor(z)).item(),
        p.x0,
        method="BFGS",
        options={"gtol": 1e-10},
    )
    res = solve(method, name, p.start(), p.f, tol=1e-9, max_iter=10_000)
    assert res.success
    torch.testing.assert_close(res.x, torch.tensor(ref.x), atol=1e-6, rtol=0)
    assert res.fun == pytest.approx(ref.fun, abs=1e-10)


# ---------------------------------------------------------- rates from theory

KAPPAS = [10, 100, 1000]
EPS = 1e-3


def iterations_to_shrink(
    solver: Callable, kappa: float, eps: float = EPS, **options
) -> int:
    """Updates until ||x_k|| <= eps ||x_0|| on x^T A x / 2 with spectrum [1, kappa]."""
    f, _, q = quadratic([1.0, math.sqrt(kappa), float(kappa)], seed=7)
    x0 = q @ torch.ones(3, dtype=F64)  # equal weight on every eigenvector
    target = eps * torch.linalg.vector_norm(x0).item()

    def small(k: int, x: torch.Tensor, fun: float) -> bool:
        return torch.linalg.vector_norm(x).item() <= target

    res = solver(
        f, x0, tol=0.0, max_iter=100_000, callback=small, record_path=False, **options
    )
    assert res.status is Status.CALLBACK
    return res.nit


@pytest.fixture(scope="module")
def gd_counts() -> dict[int, int]:
    return {
        kappa: iterations_to_shrink(gradient_descent, kappa, lr=1 / kappa)
        for kappa in KAPPAS
    }


@pytest.mark.parametrize("kappa", KAPPAS)
def test_gd_needs_order_kappa_iterations(kappa: int, gd_counts: dict[int, int]) -> None:
    # ||x_k|| <= (1 - 1/kappa)^k ||x_0|| <= exp(-k/kappa) ||x_0||: the textbook bound;
    # the component on the eigenvalue 1 decays exactly like (1 - 1/kappa)^k, so with
    # weight 1/sqrt(3) on it at least ln(1/(sqrt(3) eps)) / -ln(1 - 1/kappa) are needed.
    bound = math.ceil(kappa * math.log(1 / EPS))
    lower = math.log(1 / (math.sqrt(3) * EPS)) / -math.log(1 - 1 / kappa)
    assert lower - 1 <= gd_counts[kappa] <= bound
    assert gd_counts[kappa] >= 0.5 * bound


@pytest.mark.parametrize("kappa", KAPPAS)
def test_nesterov_needs_order_sqrt_kappa_iterations(
    kappa: int, gd_counts: dict[int, int]
) -> None:
    beta = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    k = iterations_to_shrink(nesterov, kappa, lr=1 / kappa, beta=beta)
    # Nesterov (2004, thm 2.2.3): f(x_k) - f* <= (1 - 1/sqrt(kappa))^k (L + mu)/2 ||x_0||^2,
    # so ||x_k|| <= sqrt(kappa + 1) (1 - 1/sqrt(kappa))^(k/2) ||x_0||, giving
    # k <= 2 sqrt(kappa) ln(sqrt(kappa + 1) / eps); that is below 3 sqrt(kappa) ln(1/eps).
    theorem = 2 * math.sqrt(kappa) * math.log(math.sqrt(kappa + 1) / EPS)
    assert k <= theorem + 1
    assert k <= 3 * math.sqrt(kappa) * math.log(1 / EPS)
    if kappa == 1000:
        assert 10 * k < gd_counts[kappa]


def test_heavy_ball_with_polyak_parameters_is_also_accelerated(
    gd_counts: dict[int, int],
) -> None:
    kappa = 1000  # Polyak: lr = 4/(sqrt(L)+sqrt(mu))^2, beta = ((sqrt k - 1)/(sqrt k + 1))^2
    lr = 4 / (math.sqrt(kappa) + 1) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    k = iterations_to_shrink(momentum, kappa, lr=lr, beta=beta)
    assert 10 * k < gd_counts[kappa]


# ------------------------------------------------------------- update rules


def test_momentum_follows_the_heavy_ball_recurrence() -> None:
    lr, beta = 0.1, 0.7
    res = momentum(lambda x: (x - 3) ** 2, 0.0, lr=lr, beta=beta, max_iter=6, tol=0)
    xs, v = [0.0], 0.0
    for _ in range(6):
        v = beta * v - lr * 2 * (xs[-1] - 3)
        xs.append(xs[-1] + v)
    assert res.path.tolist() == pytest.approx(xs, abs=1e-12)
    assert res.nfev == res.nit + 1


@pytest.mark.parametrize("beta", [0.6, "auto"])
def test_nesterov_takes_the_gradient_at_the_look_ahead_point(beta) -> None:
    lr = 0.1
    grad = lambda x: 4 * x**3 - 3  # noqa: E731  f = x^4 - 3x
    res = nesterov(lambda x: x**4 - 3 * x, 0.5, lr=lr, beta=beta, max_iter=6, tol=0)
    xs = [0.5]
    for k in range(6):
        b = beta if beta != "auto" else k / (k + 3)
        v = xs[-1] - xs[-2] if k else 0.0
        y = xs[-1] + b * v
        xs.append(y - lr * grad(y))
    assert res.path.tolist() == pytest.approx(xs, abs=1e-12)
    assert res.nfev == 2 * res.nit + 1  # look-ahead gradients are counted


def test_zero_momentum_is_gradient_descent() -> None:
    f, x0, _, _ = problem("himmelblau", F64)
    gd = gradient_descent(f, x0, lr=0.01, max_iter=30)
    for solver in (momentum, nesterov):
        res = solver(f, x0, lr=0.01, beta=0.0, max_iter=30)
        torch.testing.assert_close(res.path, gd.path, rtol=0, atol=1e-12)


def test_momentum_damps_the_zigzag_of_gd() -> None:
    f, _, _ = quadratic([1.0, 100.0], seed=2)
    x0 = torch.tensor([1.0, 1.0], dtype=F64)
    gd = gradient_descent(f, x0, lr=0.01, max_iter=2000, tol=1e-8)
    hb = momentum(f, x0, lr=0.01, beta=0.8, max_iter=2000, tol=1e-8)
    assert hb.success and gd.success and hb.nit < gd.nit / 2


# ------------------------------------------------------------ preconditioned


def test_jacobi_makes_a_diagonal_quadratic_one_step() -> None:
    weights = torch.tensor([1.0, 30.0, 1000.0], dtype=F64)
    res = preconditioned(
        lambda x: 0.5 * (weights * (x - 1) ** 2).sum(), [5.0, -2.0, 3.0]
    )
    assert res.success and res.nit == 1
    torch.testing.assert_close(res.x, torch.ones(3, dtype=F64))
    # as for newton: nfev counts f with its gradient, the Hessian goes apart
    assert res.nfev == res.nit + 1 and res.extra["nhev"] == 1


def test_preconditioner_matrix_inverse_hessian_is_newton() -> None:
    f, a, _ = quadratic([1.0, 50.0, 400.0], seed=4)
    res = preconditioned(f, [1.0, 2.0, 3.0], P=torch.linalg.inv(a), max_iter=5)
    assert res.success and res.nit == 1 and res.extra["nhev"] == 0
    torch.testing.assert_close(res.x, torch.zeros(3, dtype=F64), atol=1e-12, rtol=0)


def test_preconditioned_update_rule_with_a_vector_and_a_scalar_start() -> None:
    f, a, _ = quadratic([2.0, 5.0], seed=5)
    x0 = torch.tensor([1.0, -1.0], dtype=F64)
    p = torch.tensor([0.1, 0.3], dtype=F64)
    res = preconditioned(f, x0, lr=0.5, P=p, max_iter=1, tol=0)
    torch.testing.assert_close(res.x, x0 - 0.5 * p * (a @ x0))
    res = preconditioned(lambda x: 4 * (x - 1) ** 2, 0.0, lr=0.5, max_iter=1)  # P = 1/8
    assert res.x.shape == () and res.x.item() == pytest.approx(0.5)
    res = preconditioned(lambda x: 4 * (x - 1) ** 2, 0.0, P=[0.125])
    assert res.success and res.nit == 1 and res.x.item() == pytest.approx(1.0)


def test_jacobi_needs_positive_diagonal() -> None:
    with pytest.raises(ValueError, match="positive Hessian diagonal"):
        preconditioned(PROBLEMS["himmelblau"].f, [0.0, 0.0])


@given(
    eigs=st.lists(st.floats(0.05, 500.0), min_size=1, max_size=5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=25, deadline=None)
def test_exact_preconditioner_solves_random_quadratics_in_one_step(
    eigs: list[float], seed: int
) -> None:
    f, a, q = quadratic(eigs, seed=seed)
    b = q.sum(dim=1)
    res = preconditioned(
        lambda x: f(x) - b @ x, torch.zeros(len(eigs), dtype=F64), P=torch.linalg.inv(a)
    )
    torch.testing.assert_close(res.x, torch.linalg.solve(a, b), rtol=1e-8, atol=1e-8)
    assert res.nit <= 2


@given(
    eigs=st.lists(st.floats(1.0, 10.0), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
    beta=st.floats(0.0, 0.95),
)
@settings(max_examples=15, deadline=None)
def test_nesterov_with_step_one_over_L_converges_on_random_pd_quadratics(
    eigs: list[float], seed: int, beta: float
) -> None:
    # any constant beta in [0, 1) with lr = 1/L converges on a PD quadratic
    f, _, _ = quadratic(eigs, seed=seed)
    x0 = torch.ones(len(eigs), dtype=F64)
    res = nesterov(f, x0, lr=1 / max(eigs), beta=beta, max_iter=2_000, tol=1e-6)
    assert res.success


# ----------------------------------------------------------- coordinate rule


def test_one_iteration_changes_one_coordinate_cyclically() -> None:
    for rule in ("exact", "step"):
        res = coordinate_descent(
            PROBLEMS["booth"].f, [0.0, 0.0], rule=rule, lr=0.05, max_iter=6, tol=0
        )
        moved = (res.path[1:] != res.path[:-1]).to(torch.int64)
        assert moved.tolist() == [[1, 0], [0, 1]] * 3


def test_coordinate_step_rule_is_a_partial_gradient_step() -> None:
    f, a, _ = quadratic([1.0, 3.0], seed=6)
    x0 = torch.tensor([1.0, 2.0], dtype=F64)
    res = coordinate_descent(f, x0, rule="step", lr=0.2, max_iter=2, tol=0)
    x1 = x0.clone()
    x1[0] -= 0.2 * (a @ x0)[0]
    x2 = x1.clone()
    x2[1] -= 0.2 * (a @ x1)[1]
    torch.testing.assert_close(res.path, torch.stack([x0, x1, x2]))
    assert res.extra["steps"] == [0.2, 0.2] and res.extra["rule"] == "step"


def test_exact_coordinate_step_solves_for_the_coordinate() -> None:
    f, a, _ = quadratic([1.0, 3.0, 9.0], seed=8)
    x0 = torch.tensor([1.0, 2.0, -1.0], dtype=F64)
    res = coordinate_descent(f, x0, rule="exact", max_iter=3, tol=0)
    x = x0.clone()
    for i in range(3):  # a_ii x_i = -sum_{j != i} a_ij x_j
        x[i] = -(a[i] @ x - a[i, i] * x[i]) / a[i, i]
        torch.testing.assert_close(res.path[i + 1], x, rtol=1e-7, atol=1e-7)


@given(
    eigs=st.lists(st.floats(0.1, 100.0), min_size=2, max_size=5),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=15, deadline=None)
def test_exact_coordinate_descent_never_increases_f(
    eigs: list[float], seed: int
) -> None:
    f, _, q = quadratic(eigs, seed=seed)
    res = coordinate_descent(f, q[:, 0] + 1, rule="exact", max_iter=20, tol=1e-10)
    assert (res.values[1:] <= res.values[:-1]).all()
    assert res.status in (Status.CONVERGED, Status.MAXITER)


# ------------------------------------------------------------ compile=True


@pytest.mark.parametrize(
    ("solver", "kw"),
    [
        (momentum, dict(lr=1e-3, beta=0.9, max_iter=300)),
        (momentum, dict(lr=1e-3, beta=0.9, max_iter=5000, tol=1e-4)),
        (nesterov, dict(lr=1e-3, beta=0.9, max_iter=300)),
        (nesterov, dict(lr=1e-3, beta="auto", max_iter=300)),
        (momentum, dict(lr=0.1, beta=0.9, max_iter=100)),  # diverges
    ],
    ids=["momentum", "momentum-converges", "nesterov", "nesterov-auto", "diverges"],
)
def test_compiled_updates_match_the_eager_ones(solver, kw, device) -> None:
    if device.type == "cuda":
        pytest.importorskip("triton", reason="torch.compile needs Triton on a GPU")
    x0 = torch.tensor([-1.2, 1.0], dtype=F64, device=device)
    eager = solver(rosenbrock, x0, **kw)
    # compiled once for other numbers: new ones (beta="auto" changes beta_k
    # every update) need no recompilation
    solver(rosenbrock, x0, lr=1e-4, beta=0.5, max_iter=2, compile=True)
    with torch._dynamo.config.patch(error_on_recompile=True):
        comp = solver(rosenbrock, x0, compile=True, **kw)
    torch.testing.assert_close(comp.path, eager.path, rtol=0, atol=1e-12)
    torch.testing.assert_close(comp.values, eager.values, rtol=1e-12, atol=0)
    assert (comp.nit, comp.nfev, comp.status) == (eager.nit, eager.nfev, eager.status)
    assert comp.x.grad_fn is None and comp.x.device == x0.device


def test_minimize_passes_compile_on_to_momentum_and_nesterov() -> None:
    for method in ("momentum", "nesterov"):
        res = minimize(
            lambda x: ((x - 2) ** 2).sum(), [0.0, 0.0], method, lr=0.1, compile=True
        )
        assert res.success and res.x.tolist() == pytest.approx([2.0, 2.0])


# ----------------------------------------------------- divergence, bad input


def test_momentum_divergence_returns_the_last_finite_iterate() -> None:
    # heavy ball on L x^2 / 2 is stable iff lr L < 2 (1 + beta); here lr L = 5 > 3.8
    res = momentum(lambda x: x**2, 1.0, lr=2.5, beta=0.9, max_iter=100_000)
    assert res.status is Status.DIVERGED and "Diverged" in res.message
    assert math.isfinite(res.fun) and torch.isfinite(res.path).all()


@pytest.mark.parametrize(
    ("solver", "x0", "lr", "nit"), [(momentum, 3.0, 1.0, 2), (nesterov, 0.5, 1.5, 12)]
)
def test_objective_turning_nan_mid_run(solver, x0: float, lr: float, nit: int) -> None:
    # -log(x) + x is finite for x > 0; momentum overshoots to x < 0 after `nit` updates
    res = solver(lambda x: -torch.log(x) + x, x0, lr=lr, beta=0.9, max_iter=50)
    assert res.status is Status.DIVERGED and not res.success
    assert res.nit == nit and res.x.item() > 0 and math.isfinite(res.fun)
    assert torch.isfinite(res.values).all() and torch.equal(res.path[-1], res.x)


@pytest.mark.parametrize(
    ("solver", "kwargs", "error", "match"),
    [
        (momentum, {"lr": 0.1, "beta": 1.0}, ValueError, r"beta must be in \[0, 1\)"),
        (momentum, {"lr": 0.1, "beta": -0.1}, ValueError, "beta must be >= 0"),
        (momentum, {"lr": 0.0}, ValueError, "lr must be > 0"),
        (momentum, {}, TypeError, "lr"),
        (nesterov, {"lr": 0.1, "beta": 1.5}, ValueError, r"beta must be in \[0, 1\)"),
        (
            nesterov,
            {"lr": 0.1, "beta": "fast"},
            ValueError,
            "beta must be .* or 'auto'",
        ),
        (
            nesterov,
            {"lr": 0.1, "beta": float("nan")},
            ValueError,
            "beta must be finite",
        ),
        (nesterov, {"lr": -1.0}, ValueError, "lr must be > 0"),
        (
            preconditioned,
            {"P": [1.0, 2.0, 3.0]},
            ValueError,
            r"P must have shape \(2,\)",
        ),
        (preconditioned, {"P": torch.eye(3)}, ValueError, r"P must have shape"),
        (preconditioned, {"P": [1.0, -2.0]}, ValueError, "P must be positive definite"),
        (
            preconditioned,
            {"P": [[1.0, 0.0], [0.0, -1.0]]},
            ValueError,
            "P must be positive",
        ),
        (preconditioned, {"P": [1.0, float("nan")]}, ValueError, "P must be finite"),
        (preconditioned, {"P": "diag"}, TypeError, "P must be"),
        (preconditioned, {"lr": 0.0}, ValueError, "lr must be > 0"),
        (
            preconditioned,
            {"x0": torch.ones(2, 2)},
            ValueError,
            "x0 must be a scalar or a 1-D",
        ),
        (
            coordinate_descent,
            {"rule": "random"},
            ValueError,
            "unknown rule 'random'.*'exact', 'step'",
        ),
        (coordinate_descent, {"lr": -0.1}, ValueError, "lr must be > 0"),
        (coordinate_descent, {"max_iter": -1}, ValueError, "max_iter must be >= 0"),
        (momentum, {"lr": 0.1, "f": 3}, TypeError, "f must be callable"),
        (
            nesterov,
            {"lr": 0.1, "x0": [float("nan"), 1.0]},
            ValueError,
            "x0 must be finite",
        ),
        (coordinate_descent, {"tol": -1.0}, ValueError, "tol must be >= 0"),
        (momentum, {"lr": 0.1, "compile": "yes"}, TypeError, "compile must be True"),
        (nesterov, {"lr": 0.1, "compile": 1}, TypeError, "compile must be True"),
    ],
)
def test_bad_input_names_the_argument(
    solver, kwargs: dict, error: type, match: str
) -> None:
    args = {"f": PROBLEMS["booth"].f, "x0": [0.0, 0.0]} | kwargs
    f, x0 = args.pop("f"), args.pop("x0")
    with pytest.raises(error, match=match):
        solver(f, x0, **args)


def test_minimize_names_every_first_order_method() -> None:
    with pytest.raises(ValueError, match=r"'momentum'.*'nesterov'.*'preconditioned'"):
        minimize(PROBLEMS["booth"].f, [0.0, 0.0], method="adam")
