"""gradient_descent and minimize(method="gd"): the contract, rates and bad input."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import numopt
from numopt import Status, gradient_descent, minimize
from numopt.problems import abs_quadratic, rosenbrock
from numopt.solvers import _compiled


def quadratic(x: torch.Tensor) -> torch.Tensor:
    return (
        0.5 * (x**2 * torch.tensor([1.0, 10.0], dtype=x.dtype, device=x.device)).sum()
    )


def test_converges_to_the_lecture_minimizer() -> None:
    res = gradient_descent(abs_quadratic, 0.0, lr=0.05, max_iter=1000, tol=1e-10)
    assert res.success and res.status is Status.CONVERGED
    assert res.x.item() == pytest.approx(4.5, abs=1e-9)
    assert res.fun == pytest.approx(4.75, abs=1e-12)


def test_runs_the_same_under_no_grad() -> None:
    """Gradients come from autograd even when the caller turned it off."""
    x0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
    plain = gradient_descent(quadratic, x0, lr=0.05, max_iter=20, tol=0)
    with torch.no_grad():
        quiet = gradient_descent(quadratic, x0, lr=0.05, max_iter=20, tol=0)
    assert torch.equal(quiet.path, plain.path)
    assert quiet.nfev == plain.nfev == quiet.nit + 1 == 21


def test_gradients_stay_right_when_f_changes_its_output_dtype_or_device(
    device: torch.device,
) -> None:
    """f may return float32 one time and float64 the next, or its value on
    the CPU for an x on the GPU: the gradient is the one of x's dtype and
    device, every time."""
    from numopt._objective import Objective

    def f(x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return (x.float() ** 2).sum()
        if x[0] < -1.5:
            return (x.cpu() ** 4).sum()
        return (x**3).sum()

    objective = Objective(f)
    for values in ([1.0, 2.0], [-1.0, -2.0], [-2.0, 0.5], [3.0, 1.0]) * 3:
        x = torch.tensor(values, dtype=torch.float64, device=device)
        fx, g = objective.value_and_grad(x)
        if x.sum() > 0:
            expected, dtype = 2 * x, torch.float32
        elif x[0] < -1.5:
            expected, dtype = 4 * x**3, torch.float64
        else:
            expected, dtype = 3 * x**2, torch.float64
        assert fx.dtype == dtype and g.dtype == torch.float64 and g.device == x.device
        assert torch.allclose(g, expected)
    assert objective.nfev == 12


def test_result_invariants(device: torch.device, dtype: torch.dtype) -> None:
    x0 = torch.tensor([1.0, -2.0], device=device, dtype=dtype)
    res = gradient_descent(quadratic, x0, lr=0.05, max_iter=50, tol=0)
    assert res.x.device == x0.device and res.x.dtype == dtype
    assert res.x.shape == x0.shape
    assert res.path.shape == (res.nit + 1, 2)
    assert res.values.shape == (res.nit + 1,)
    assert res.nit <= 50 and res.nfev == res.nit + 1
    assert res.fun == pytest.approx(quadratic(res.x).item(), rel=1e-6)
    assert torch.equal(res.path[-1], res.x) and torch.equal(res.path[0], x0)
    assert res.grad_norm == pytest.approx(
        torch.linalg.vector_norm(
            res.x * torch.tensor([1.0, 10.0], device=device, dtype=dtype)
        ).item(),
        rel=1e-5,
    )
    assert not res.x.requires_grad


def test_float_start_is_float64_and_dtype_overrides() -> None:
    assert gradient_descent(abs_quadratic, 1, max_iter=1).x.dtype == torch.float64
    res = gradient_descent(abs_quadratic, 1.0, max_iter=1, dtype=torch.float32)
    assert res.x.dtype == torch.float32


def test_fixed_step_matches_the_update_rule() -> None:
    res = gradient_descent(lambda x: (x - 3) ** 2, 0.0, lr=0.1, max_iter=5, tol=0)
    expected = [0.0]
    for _ in range(5):
        expected.append(expected[-1] - 0.1 * 2 * (expected[-1] - 3))
    assert res.path.tolist() == pytest.approx(expected, abs=1e-12)


def test_one_over_t_schedule_and_callable_schedule() -> None:
    f = lambda x: x**2  # noqa: E731
    res = gradient_descent(f, 1.0, lr=0.25, schedule="1/t", max_iter=3, tol=0)
    # steps 0.25, 0.125, 0.0833: x_{k+1} = x_k (1 - 2 alpha_k)
    expected = 1.0 * (1 - 0.5) * (1 - 0.25) * (1 - 2 * 0.25 / 3)
    assert res.x.item() == pytest.approx(expected)
    res = gradient_descent(f, 1.0, schedule=lambda k: 0.1 * 0.5**k, max_iter=2, tol=0)
    assert res.x.item() == pytest.approx((1 - 0.2) * (1 - 0.1))


def test_minimize_dispatches_to_gd() -> None:
    a = minimize(abs_quadratic, 0.0, method="gd", lr=0.05, max_iter=20)
    b = gradient_descent(abs_quadratic, 0.0, lr=0.05, max_iter=20)
    assert torch.equal(a.path, b.path) and a.method == "gd"


def test_max_iter_zero_and_one() -> None:
    res = gradient_descent(abs_quadratic, 0.0, max_iter=0)
    assert res.nit == 0 and res.status is Status.MAXITER and res.path.shape == (1,)
    assert res.fun == 25.0
    res = gradient_descent(abs_quadratic, 0.0, max_iter=1, lr=0.05)
    assert res.nit == 1 and res.x.item() == pytest.approx(0.5)
    # already at the minimizer: converged without a step
    res = gradient_descent(abs_quadratic, 4.5, max_iter=0)
    assert res.success and res.nit == 0


def test_callback_can_stop_the_run() -> None:
    seen = []

    def callback(k: int, x: torch.Tensor, fun: float) -> bool:
        seen.append((k, fun))
        return k == 3

    res = gradient_descent(abs_quadratic, 0.0, lr=0.05, callback=callback)
    assert res.status is Status.CALLBACK and not res.success and res.nit == 3
    assert [k for k, _ in seen] == [1, 2, 3]
    assert seen[-1][1] == pytest.approx(res.fun)


def test_divergence_returns_last_finite_iterate() -> None:
    res = gradient_descent(lambda x: x**2, 1.0, lr=1.5, max_iter=100_000)
    assert not res.success and res.status is Status.DIVERGED
    assert "Diverged" in res.message
    assert math.isfinite(res.fun) and bool(torch.isfinite(res.x))
    assert torch.isfinite(res.path).all() and torch.isfinite(res.values).all()


def test_objective_turning_nan_mid_run() -> None:
    # log(x) is finite for x > 0; a large step jumps to x < 0 where it is NaN.
    res = gradient_descent(lambda x: -torch.log(x) + x, 3.0, lr=5.0, max_iter=50)
    assert res.status is Status.DIVERGED and not res.success
    assert res.x.item() == 3.0 and res.nit == 0 and math.isfinite(res.fun)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_iterate_overflowing_while_f_stays_finite_is_caught(dtype) -> None:
    # f saturates: at x = inf, f = -c pi/2 and f' = -c / inf = -0 are finite,
    # so only the iterate itself shows that the step overflowed
    big = torch.finfo(dtype).max
    c = math.sqrt(big) / 10  # ‖∇f‖ is still finite

    def f(x: torch.Tensor) -> torch.Tensor:
        return -c * torch.atan(x).sum()

    res = gradient_descent(
        f, torch.zeros(3, dtype=dtype), lr=10 * (big / c), max_iter=5
    )
    assert res.status is Status.DIVERGED and res.nit == 0
    assert bool(torch.isfinite(res.x).all()) and math.isfinite(res.fun)
    # a step that stays far from overflow is taken without any alarm
    ok = gradient_descent(f, torch.zeros(3, dtype=dtype), lr=1 / c, max_iter=5)
    assert ok.status is Status.MAXITER and ok.nit == 5


@pytest.mark.parametrize("n", [1, 3, 10_000])
def test_huge_but_finite_gradient_is_not_mistaken_for_divergence(n) -> None:
    # ‖∇f‖ = 1e200 sqrt(n) is finite although every square 1e400 overflows
    res = gradient_descent(
        lambda x: 1e200 * x.sum(),
        torch.zeros(n, dtype=torch.float64),
        lr=1e-210,
        max_iter=3,
    )
    assert res.status is Status.MAXITER and res.nit == 3
    assert res.grad_norm == pytest.approx(1e200 * math.sqrt(n))


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_grad_norm_of_a_one_element_x_is_the_absolute_derivative(shape) -> None:
    # f(x) = -5 x: the derivative is -5 everywhere, ‖∇f‖ = 5 (a norm, not -5)
    res = gradient_descent(
        lambda x: -5.0 * x.sum(), torch.zeros(shape), lr=0.1, max_iter=2
    )
    assert res.status is Status.MAXITER and res.grad_norm == 5.0
    # one step to x = 1 - 4 * 0.5 = -1, where sqrt and its derivative are NaN
    nan = gradient_descent(lambda x: x.sqrt().sum(), torch.ones(shape), lr=4.0)
    assert nan.status is Status.DIVERGED and nan.nit == 0
    assert nan.grad_norm == 0.5 and torch.equal(nan.x, torch.ones(shape))


def test_unbounded_below_diverges_or_stops_without_nan() -> None:
    res = gradient_descent(lambda x: -(x**2), 1.0, lr=0.5, max_iter=5000)
    assert not res.success
    assert math.isfinite(res.fun) and bool(torch.isfinite(res.x))


def test_kink_does_not_crash() -> None:
    res = gradient_descent(torch.abs, 0.0, max_iter=3)
    assert res.success and res.x.item() == 0.0  # autograd's subgradient at 0 is 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"f": 3.0}, TypeError, "f must be callable"),
        ({"lr": 0.0}, ValueError, "lr must be > 0"),
        ({"lr": -1.0}, ValueError, "lr must be > 0"),
        ({"lr": float("nan")}, ValueError, "lr must be finite"),
        ({"max_iter": -1}, ValueError, "max_iter must be >= 0"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an int"),
        ({"tol": -1e-3}, ValueError, "tol must be >= 0"),
        ({"x0": float("nan")}, ValueError, "x0 must be finite"),
        ({"x0": [1.0, float("inf")]}, ValueError, "x0 must be finite"),
        ({"x0": "abc"}, TypeError, "x0 must be"),
        ({"x0": torch.zeros(2, dtype=torch.complex64)}, TypeError, "x0 must be real"),
        ({"schedule": "cosine"}, ValueError, "unknown schedule 'cosine'"),
        ({"f": lambda x: torch.stack([x, x])}, ValueError, "f must return a scalar"),
        ({"f": lambda x: 1.0}, TypeError, "f must return a torch tensor"),
        ({"callback": "stop"}, TypeError, "callback must be callable"),
        ({"compile": 1}, TypeError, "compile must be True or False"),
        ({"x0": -1.0, "f": torch.log}, ValueError, r"f\(x0\)"),
    ],
)
def test_bad_input_names_the_argument(kwargs: dict, error: type, match: str) -> None:
    args = {"f": abs_quadratic, "x0": 1.0} | kwargs
    f, x0 = args.pop("f"), args.pop("x0")
    with pytest.raises(error, match=match):
        gradient_descent(f, x0, **args)


def test_minimize_rejects_unknown_method_and_bad_f() -> None:
    with pytest.raises(ValueError, match="unknown method 'bfgs'"):
        minimize(abs_quadratic, 0.0, method="bfgs")
    with pytest.raises(TypeError, match="f must be callable"):
        minimize(None, 0.0)


def test_schedule_returning_bad_step() -> None:
    with pytest.raises(ValueError, match=r"schedule\(0\) must return a step > 0"):
        gradient_descent(abs_quadratic, 0.0, schedule=lambda k: -1.0, max_iter=2)
    with pytest.raises(ValueError, match="must return a finite step, got nan"):
        gradient_descent(abs_quadratic, 0.0, schedule=lambda k: math.nan, max_iter=2)
    with pytest.raises(TypeError, match="must return a number, got str"):
        gradient_descent(abs_quadratic, 0.0, schedule=lambda k: "0.1", max_iter=2)


def test_schedule_may_return_a_tensor() -> None:
    as_tensor = gradient_descent(
        quadratic, torch.ones(2), schedule=lambda k: torch.tensor(0.1), max_iter=5
    )
    as_float = gradient_descent(quadratic, torch.ones(2), lr=0.1, max_iter=5)
    torch.testing.assert_close(as_tensor.path, as_float.path)


@pytest.mark.parametrize(
    ("answer", "stops"),
    [
        (True, True),
        (np.True_, True),
        (torch.tensor(True), True),
        (torch.tensor([True]), True),
        (False, False),
        (None, False),
        (torch.tensor([True, True]), False),  # not one answer
        (1, False),  # only bools stop the run
    ],
    ids=repr,
)
def test_callback_answers_that_stop_the_run(answer: object, stops: bool) -> None:
    res = gradient_descent(quadratic, torch.ones(2), lr=0.1, callback=lambda *a: answer)
    assert (res.status is Status.CALLBACK) is stops
    assert res.nit == 1 if stops else res.nit > 1


def test_finite_terms_whose_sum_overflows_are_not_divergence() -> None:
    # f(x0) = 4.4e307 and |f'(x0)| = 1.4e308 are finite; their sum is not
    big = gradient_descent(
        lambda x: 1.5e308 * torch.tanh(x).sum(), [0.3], lr=1e-320, max_iter=3
    )
    assert big.status is Status.MAXITER and math.isfinite(big.grad_norm)


def test_a_gradient_whose_squares_underflow_is_not_zero() -> None:
    # sum g_i^2 = 2e-600 underflows to 0, but the gradient is not 0
    tiny = gradient_descent(lambda x: 1e-300 * x.sum(), [1.0, 2.0], tol=0, max_iter=3)
    assert tiny.status is Status.MAXITER and tiny.nit == 3
    assert tiny.grad_norm == pytest.approx(math.sqrt(2) * 1e-300)
    flat = gradient_descent(lambda x: 0 * x.sum(), [1.0, 2.0], tol=0, max_iter=3)
    assert flat.status is Status.CONVERGED and flat.nit == 0 and flat.grad_norm == 0


@pytest.mark.parametrize(
    "kw",
    [
        dict(lr=1e-3, max_iter=300),
        dict(lr=2e-3, schedule="1/t", max_iter=50),
        dict(schedule=lambda k: 1.5e-3 * 0.99**k, max_iter=200, tol=1.0),
    ],
    ids=["constant", "1/t", "callable-converges"],
)
def test_compiled_updates_match_the_eager_ones(kw, device) -> None:
    if device.type == "cuda":
        pytest.importorskip("triton", reason="torch.compile needs Triton on a GPU")
    x0 = torch.tensor([-1.2, 1.0], dtype=torch.float64, device=device)
    eager = gradient_descent(rosenbrock, x0, **kw)
    # compiled once, for other steps: a new step (a schedule gives one every
    # iteration) needs no recompilation, as it goes in as a tensor
    gradient_descent(rosenbrock, x0, lr=1e-4, max_iter=2, compile=True)
    with torch._dynamo.config.patch(error_on_recompile=True):
        compiled = gradient_descent(rosenbrock, x0, compile=True, **kw)
    torch.testing.assert_close(compiled.path, eager.path, rtol=0, atol=1e-12)
    torch.testing.assert_close(compiled.values, eager.values, rtol=1e-12, atol=0)
    assert compiled.grad_norm == pytest.approx(eager.grad_norm, rel=1e-9)
    assert (compiled.nit, compiled.nfev, compiled.status) == (
        eager.nit,
        eager.nfev,
        eager.status,
    )
    assert compiled.x.device == x0.device and compiled.path.device == x0.device


def test_compiled_updates_stop_at_the_last_finite_iterate() -> None:
    # the step from 3 lands at x < 0, where -log x is NaN
    def f(x):
        return (-torch.log(x) + x).sum()

    nan = gradient_descent(f, [3.0], lr=5.0, max_iter=50, compile=True)
    assert nan.status is Status.DIVERGED and nan.nit == 0 and nan.x.tolist() == [3.0]
    # x -> -2x each step: x**2 overflows after 511 of them
    big = gradient_descent(lambda x: (x**2).sum(), [1.0], lr=1.5, max_iter=2000)
    comp = gradient_descent(
        lambda x: (x**2).sum(), [1.0], lr=1.5, max_iter=2000, compile=True
    )
    assert comp.status is big.status is Status.DIVERGED
    assert comp.nit == big.nit and torch.equal(comp.x, big.x)
    assert math.isfinite(comp.fun) and comp.nfev == big.nfev


def test_compiled_updates_follow_a_branch_on_a_tensor_value() -> None:
    # the step maps x to -x/2 where sum(x) > 0 and to -2x elsewhere: the
    # iterates cycle, and the branch taken flips at every update
    def f(x):
        if x.sum() > 0:
            return (x**2).sum()
        return 2 * (x**2).sum()

    eager = gradient_descent(f, [1.0, 0.5], lr=0.75, max_iter=20)
    comp = gradient_descent(f, [1.0, 0.5], lr=0.75, max_iter=20, compile=True)
    signs = torch.sign(eager.path.sum(dim=1))
    assert torch.equal(
        signs, torch.tensor([1.0, -1.0] * 10 + [1.0], dtype=torch.float64)
    )
    torch.testing.assert_close(comp.path, eager.path, rtol=0, atol=1e-12)
    assert comp.nit == eager.nit == 20


def test_compiled_results_are_detached_when_f_reads_a_tensor_that_requires_grad():
    w = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    kw = dict(lr=0.1, max_iter=30)
    eager = gradient_descent(lambda x: ((w * x - 1) ** 2).sum(), [0.0, 0.0], **kw)
    comp = gradient_descent(
        lambda x: ((w * x - 1) ** 2).sum(), [0.0, 0.0], compile=True, **kw
    )
    assert comp.x.grad_fn is None and not comp.path.requires_grad
    assert not comp.x.requires_grad
    torch.testing.assert_close(comp.path, eager.path, rtol=0, atol=1e-12)


def test_compiled_values_keep_the_precision_of_f() -> None:
    # f in float64 for float32 iterates: f(x0) = 1e300 is finite (no false
    # divergence) and keeps its digits; a one-element float32 gradient has
    # the norm |g| exactly, as in the eager run
    def f(x):
        return ((x.double() - 1 / 3) ** 2).sum() + 1e300

    eager = gradient_descent(f, torch.zeros(3), lr=0.1, max_iter=4)
    comp = gradient_descent(f, torch.zeros(3), lr=0.1, max_iter=4, compile=True)
    assert comp.status is eager.status is Status.MAXITER
    assert (comp.nit, comp.fun) == (eager.nit, eager.fun)

    def g(x):
        return ((x - 0.3) ** 2).sum()

    eager = gradient_descent(g, torch.zeros(1), lr=0.1, max_iter=7)
    comp = gradient_descent(g, torch.zeros(1), lr=0.1, max_iter=7, compile=True)
    assert comp.grad_norm == eager.grad_norm == abs(comp.path[-1, 0] - 0.3).item() * 2


class _Shifted:  # a callable and a method as objectives; not hashable (__eq__)
    def __init__(self, c: float) -> None:
        self.c = c

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Shifted) and other.c == self.c

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return ((x - self.c) ** 2).sum()

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * self(x)


def test_compiled_code_is_kept_for_methods_builtins_and_unhashable_objectives():
    kw = dict(lr=0.1, max_iter=5, compile=True)
    p = _Shifted(1.0)
    first = gradient_descent(p.loss, [0.0, 0.0], **kw)
    # p.loss is a new method object each time: the code compiled for it stays
    with torch._dynamo.config.patch(error_on_recompile=True):
        again = gradient_descent(p.loss, [0.0, 0.0], **kw)
    assert torch.equal(first.path, again.path)
    assert len(_compiled._COMPILED[id(p)]) == 1
    assert gradient_descent(p, [0.0, 0.0], lr=0.25, compile=True).success
    assert len(_compiled._COMPILED[id(p)]) == 2  # the call and the method
    res = gradient_descent(torch.sum, [0.0, 0.0], **kw)  # no weak references
    assert res.x.tolist() == pytest.approx([-0.5, -0.5])
    key = id(p)
    del p, first, again
    gc.collect()
    assert key not in _compiled._COMPILED  # gone with its objective


def test_minimize_passes_compile_on() -> None:
    res = minimize(
        lambda x: ((x - 2) ** 2).sum(), torch.zeros(3), lr=0.25, compile=True
    )
    assert res.success and torch.allclose(res.x, torch.full((3,), 2.0))


def test_record_path_false_keeps_no_path() -> None:
    res = gradient_descent(
        quadratic, torch.ones(2), record_path=False, max_iter=5, tol=0
    )
    assert res.path is None and res.values.shape == (6,)


@settings(max_examples=30, deadline=None)
@given(
    eigs=st.lists(st.floats(0.1, 100.0), min_size=1, max_size=6),
    seed=st.integers(0, 2**16),
)
def test_step_one_over_L_decreases_f_monotonically(
    eigs: list[float], seed: int
) -> None:
    gen = torch.Generator().manual_seed(seed)
    n = len(eigs)
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    a = q @ torch.diag(torch.tensor(eigs, dtype=torch.float64)) @ q.T
    x0 = torch.randn(n, generator=gen, dtype=torch.float64)
    res = gradient_descent(
        lambda x: 0.5 * x @ a @ x, x0, lr=1 / max(eigs), max_iter=50, tol=0
    )
    diffs = res.values[1:] - res.values[:-1]
    assert (diffs <= 1e-12 * res.values[0].abs().clamp(min=1)).all()


def test_public_api_names() -> None:
    for name in ("minimize", "gradient_descent", "OptimizeResult", "Status"):
        assert name in numopt.__all__ and hasattr(numopt, name)
