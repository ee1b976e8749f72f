"""newton: one step on quadratics, quadratic rate, scipy agreement, saddle points."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.optimize
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numopt.problems import PROBLEMS, booth, himmelblau, rosenbrock
from numopt.result import Status
from numopt.solvers.newton import newton


def saddle(x: torch.Tensor) -> torch.Tensor:
    """x^2 - y^2 + y^4/4: saddle at the origin, minima (0, ±sqrt 2) of value -1."""
    return x[..., 0] ** 2 - x[..., 1] ** 2 + x[..., 1] ** 4 / 4


def hessian_eigenvalues(f, x: torch.Tensor) -> torch.Tensor:
    return torch.linalg.eigvalsh(torch.func.hessian(f)(x))


@st.composite
def pd_quadratics(draw):
    """A random positive definite Q (eigenvalues in [0.5, 10]), c and x0."""
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    gen = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    eig = 0.5 + 9.5 * torch.rand(n, generator=gen, dtype=torch.float64)
    Q = q @ torch.diag(eig) @ q.T
    c = 10 * torch.randn(n, generator=gen, dtype=torch.float64)
    x0 = 10 * torch.randn(n, generator=gen, dtype=torch.float64)
    return (Q + Q.T) / 2, c, x0


@settings(max_examples=20, deadline=None)
@given(pd_quadratics(), st.booleans())
def test_quadratic_in_one_step(qp, line_search: bool) -> None:
    Q, c, x0 = qp
    assume(torch.linalg.vector_norm(Q @ x0 + c) > 1e-3)
    res = newton(
        lambda x: 0.5 * x @ Q @ x + c @ x,
        x0,
        line_search=line_search,
        fallback=line_search,
    )
    x_star = torch.linalg.solve(Q, -c)
    assert res.success and res.nit == 1
    torch.testing.assert_close(res.x, x_star, rtol=0, atol=1e-12)
    assert res.extra["fallbacks"] == 0 and res.extra["step_lengths"] == [1.0]


def test_rosenbrock_from_the_classic_start() -> None:
    res = newton(rosenbrock, [-1.2, 1.0], tol=1e-10)
    assert res.success and res.status is Status.CONVERGED
    assert torch.allclose(res.x, torch.ones(2, dtype=torch.float64), rtol=0, atol=1e-8)
    assert res.extra["fallbacks"] == 0
    # damped Newton with descent directions never increases f
    assert bool((res.values[1:] <= res.values[:-1]).all())
    # every accepted step satisfies Armijo's condition with c1 = 1e-4
    assert len(res.extra["step_lengths"]) == res.nit
    assert min(res.extra["step_lengths"]) < 1  # the line search did damp some steps


def test_quadratic_convergence_near_the_rosenbrock_minimizer() -> None:
    res = newton(rosenbrock, [-1.2, 1.0], tol=0, max_iter=40)
    err = torch.linalg.vector_norm(res.path - 1.0, dim=1).tolist()
    # the last iterations inside the ball of radius 0.05 around (1, 1), while
    # the error is above the rounding floor: e_{k+1} <= C e_k^2 with C = 50
    pairs = [(a, b) for a, b in itertools.pairwise(err) if 1e-12 < a < 0.05]
    assert len(pairs) >= 3
    for a, b in pairs:
        assert b <= 50 * a**2, (a, b)
    assert err[-1] <= 1e-15


def test_scalar_start_is_a_1x1_problem() -> None:
    res = newton(lambda x: (x - 3) ** 2 + 1, 0.0)
    assert res.x.shape == () and res.nit == 1 and res.x.item() == pytest.approx(3)
    x0 = torch.tensor(0.5, dtype=torch.float32)
    res = newton(lambda x: torch.cosh(x - 1), x0, tol=1e-4)  # float32: f has 7 digits
    assert res.success and res.x.dtype == torch.float32
    assert res.x.item() == pytest.approx(1.0, abs=1e-4)


def _scipy_solution(f, x0: tuple[float, float]) -> np.ndarray:
    def fun(z):
        return f(torch.tensor(z)).item()

    def jac(z):
        return torch.func.grad(f)(torch.tensor(z)).numpy()

    def hess(z):
        return torch.func.hessian(f)(torch.tensor(z)).numpy()

    sol = scipy.optimize.minimize(
        fun,
        np.array(x0),
        jac=jac,
        hess=hess,
        method="trust-exact",
        options={"gtol": 1e-10},
    )
    assert sol.success
    return sol.x


@pytest.mark.parametrize(
    ("f", "x0"),
    [
        (booth, (0.0, 0.0)),
        (booth, (-4.0, 4.0)),
        (himmelblau, (4.0, 4.0)),
        (himmelblau, (-4.0, 4.0)),
        (himmelblau, (-4.0, -4.0)),
        (himmelblau, (4.0, -4.0)),
    ],
)
def test_agrees_with_scipy_trust_exact(f, x0) -> None:
    res = newton(f, list(x0), tol=1e-10)
    expected = _scipy_solution(f, x0)
    assert res.success
    np.testing.assert_allclose(res.x.numpy(), expected, atol=1e-7)
    # and both found a listed minimizer
    minimizers = np.array(PROBLEMS[f.__name__].minimizers)
    assert np.min(np.linalg.norm(minimizers - expected, axis=1)) < 1e-6


def test_fallback_at_an_indefinite_hessian() -> None:
    # at (0, 0) Himmelblau's Hessian is diag(-42, -26): negative definite
    res = newton(himmelblau, [0.0, 0.0])
    assert res.success and res.fun < 1e-16
    assert isinstance(res.extra["fallbacks"], int) and res.extra["fallbacks"] > 0
    assert res.extra["min_eigenvalues"][0] == pytest.approx(-42)
    assert res.extra["directions"][0] == "modified"
    kinds = res.extra["directions"]
    assert res.extra["fallbacks"] == sum(k != "newton" for k in kinds)
    # an indefinite Hessian was met exactly where a fallback was taken
    for lam, kind in zip(res.extra["min_eigenvalues"], kinds, strict=True):
        assert (lam <= 0) == (kind != "newton")


def test_pure_newton_converges_to_the_saddle_point() -> None:
    start = [1.0, 0.5]
    pure = newton(saddle, start, line_search=False, fallback=False)
    assert pure.success and pure.nit <= 6
    assert torch.allclose(pure.x, torch.zeros(2, dtype=torch.float64), atol=1e-12)
    eig = hessian_eigenvalues(saddle, pure.x)
    print("Hessian eigenvalues at pure Newton's limit:", eig.tolist())
    assert eig[0] < 0 < eig[1]  # a saddle point, not a minimum
    torch.testing.assert_close(eig, torch.tensor([-2.0, 2.0], dtype=torch.float64))
    assert pure.extra["fallbacks"] == 0
    assert all(lam < 0 for lam in pure.extra["min_eigenvalues"])
    assert pure.nfev == pure.nit + 1  # no line search trials
    # the safeguarded method from the same start finds a minimizer (0, ±sqrt 2)
    safe = newton(saddle, start)
    assert safe.success and safe.extra["fallbacks"] > 0
    torch.testing.assert_close(
        safe.x.abs(),
        torch.tensor([0.0, 2**0.5], dtype=torch.float64),
        atol=1e-9,
        rtol=0,
    )
    eig = hessian_eigenvalues(saddle, safe.x)
    assert bool((eig > 0).all())
    assert safe.fun == pytest.approx(-1.0, abs=1e-14)


def test_uphill_newton_direction_fails_the_line_search_without_fallback() -> None:
    f = lambda x: x**4 / 4 - x**2 / 2  # noqa: E731  (f'' < 0 near 0)
    res = newton(f, 0.1, fallback=False)
    assert res.status is Status.LINESEARCH_FAILED and not res.success
    assert res.nit == 0 and res.x.item() == 0.1
    res = newton(f, 0.1)
    assert res.success and abs(res.x.item()) == pytest.approx(1.0)


def test_singular_hessian_in_pure_newton_is_reported() -> None:
    res = newton(
        lambda x: x[0] ** 2 + x[1], [1.0, 1.0], line_search=False, fallback=False
    )
    assert res.status is Status.DIVERGED
    assert res.x.tolist() == [1.0, 1.0] and bool(torch.isfinite(res.x).all())


def test_device_and_dtype_are_kept(device: torch.device, dtype: torch.dtype) -> None:
    x0 = torch.tensor([-1.2, 1.0], device=device, dtype=dtype)
    res = newton(rosenbrock, x0, tol=1e-4)
    assert res.success and res.x.device == x0.device and res.x.dtype == dtype
    assert res.path.shape == (res.nit + 1, 2)
    ones = torch.ones(2, device=device, dtype=dtype)
    assert torch.allclose(res.x, ones, atol=1e-3)


def test_contract_invariants_and_bad_input() -> None:
    res = newton(booth, [0.0, 0.0], max_iter=0)
    assert res.status is Status.MAXITER and res.nit == 0 and res.method == "newton"
    res = newton(himmelblau, [0.0, 0.0], max_iter=3, tol=0)
    assert res.nit == 3 and res.status is Status.MAXITER
    assert res.fun == pytest.approx(himmelblau(res.x).item())
    assert res.nfev >= res.nit + 1 and res.extra["nhev"] == 3
    with pytest.raises(TypeError, match="f must be callable"):
        newton(3, [0.0])
    with pytest.raises(ValueError, match="max_iter"):
        newton(booth, [0.0, 0.0], max_iter=-1)
    with pytest.raises(ValueError, match="tol"):
        newton(booth, [0.0, 0.0], tol=-1.0)
    with pytest.raises(ValueError, match="x0"):
        newton(booth, [float("nan"), 0.0])
