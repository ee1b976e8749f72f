"""The driver's look-ahead (on a GPU, update k + 1 is queued before the
numbers of update k are read): the same run as the one that reads each update
first, on every path that can stop a run.

On a CPU the driver does not look ahead, so these tests switch it on there
(``AHEAD_DEVICES``); on a GPU they compare it with the run it replaces.
"""

from __future__ import annotations

import math

import pytest
import torch

from numopt import Status
from numopt.solvers import (
    _driver,
    coordinate_descent,
    gradient_descent,
    momentum,
    nesterov,
    preconditioned,
)

F64 = torch.float64


def quadratic(x: torch.Tensor) -> torch.Tensor:
    return ((x - 1) ** 2).sum()


def log_barrier(x: torch.Tensor) -> torch.Tensor:
    return (-torch.log(x) + x).sum()  # NaN once an update overshoots to x < 0


def saturating(x: torch.Tensor) -> torch.Tensor:
    # f and ∇f stay finite where x overflows: only the iterate shows it
    return -1e150 * torch.atan(x).sum()


#: id -> (solver, f, x0, options)
CASES = {
    "gd-converges": (gradient_descent, quadratic, [0.0, 2.0, 5.0], dict(lr=0.1)),
    "gd-one-step": (gradient_descent, quadratic, [0.0], dict(lr=0.5)),
    "gd-converges-at-max-iter": (
        gradient_descent,
        quadratic,
        [0.0],
        dict(lr=0.5, max_iter=1),
    ),
    "gd-at-the-minimizer": (gradient_descent, quadratic, [1.0, 1.0], dict()),
    "gd-maxiter-0": (gradient_descent, quadratic, [0.0, 2.0], dict(max_iter=0)),
    "gd-maxiter-1": (gradient_descent, quadratic, [0.0, 2.0], dict(max_iter=1)),
    "gd-maxiter-2": (gradient_descent, quadratic, [0.0, 2.0], dict(max_iter=2)),
    "gd-1/t": (gradient_descent, quadratic, [3.0], dict(lr=0.9, schedule="1/t")),
    "gd-diverges": (gradient_descent, quadratic, [0.0, 2.0], dict(lr=1.5)),
    "gd-nan": (gradient_descent, log_barrier, [3.0], dict(lr=5.0)),
    "gd-iterate-overflows": (
        gradient_descent,
        saturating,
        [0.0, 0.0],
        dict(lr=1e160, max_iter=10),
    ),
    "gd-float32": (
        gradient_descent,
        quadratic,
        torch.tensor([0.0, 4.0]),
        dict(lr=0.2, tol=1e-5),
    ),
    "momentum": (momentum, quadratic, [0.0, 2.0, 5.0], dict(lr=0.1, beta=0.5)),
    "momentum-nan": (momentum, log_barrier, [3.0], dict(lr=1.0, beta=0.9)),
    "momentum-iterate-overflows": (
        momentum,
        saturating,
        [0.0, 0.0],
        dict(lr=1e160, beta=0.5, max_iter=10),
    ),
    "momentum-maxiter": (
        momentum,
        quadratic,
        [0.0, 2.0],
        dict(lr=0.01, beta=0.9, max_iter=7),
    ),
    "nesterov": (nesterov, quadratic, [0.0, 2.0, 5.0], dict(lr=0.1, beta=0.5)),
    "nesterov-auto": (nesterov, quadratic, [0.0, 7.0], dict(lr=0.1, beta="auto")),
    "nesterov-nan": (nesterov, log_barrier, [0.5], dict(lr=1.5, beta=0.9)),
    "preconditioned": (preconditioned, quadratic, [0.0, 2.0, 5.0], dict(lr=0.3)),
    "preconditioned-P": (
        preconditioned,
        quadratic,
        [0.0, 2.0],
        dict(P=[0.5, 0.25], lr=0.9, max_iter=30),
    ),
    "preconditioned-diverges": (
        preconditioned,
        quadratic,
        [0.0, 2.0],
        dict(P=[1.0, 1.0], lr=1.5),
    ),
    "coordinate-step": (
        coordinate_descent,
        quadratic,
        [0.0, 2.0, 5.0],
        dict(rule="step", lr=0.4),
    ),
    "coordinate-exact": (  # its line search reads f: no look-ahead
        coordinate_descent,
        quadratic,
        [0.0, 2.0, 5.0],
        dict(rule="exact"),
    ),
}


def calls_per_update(solver, options: dict) -> int:
    """Calls of f for an update made ahead (0: the solver does not look ahead)."""
    if solver is nesterov:
        return 2  # the gradient at the look-ahead point, then f at the new x
    if solver is coordinate_descent and options.get("rule") == "exact":
        return 0
    return 1


def run_both(solver, f, x0, device: torch.device, monkeypatch, **options):
    """The run that reads each update first, the run that looks ahead, and how
    many times each called ``f``."""
    if not isinstance(x0, torch.Tensor):
        x0 = torch.tensor(x0, dtype=F64)
    x0 = x0.to(device)
    calls = [0]

    def counted(x: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return f(x)

    results = []
    for devices in ((), (device.type,)):
        monkeypatch.setattr(_driver, "AHEAD_DEVICES", devices)
        calls[0] = 0
        results.append((solver(counted, x0, **options), calls[0]))
    return results


def assert_same_run(a, b) -> None:
    assert (a.status, a.nit, a.nfev) == (b.status, b.nit, b.nfev)
    assert torch.equal(a.x, b.x) and torch.equal(a.path, b.path)
    assert torch.equal(a.values, b.values) and a.fun == b.fun
    assert a.extra == b.extra  # coordinate descent's steps, Hessian counts
    # the norm may be summed in another order, in the dtype of the gradient
    eps = torch.finfo(a.x.dtype).eps
    assert a.grad_norm == pytest.approx(b.grad_norm, rel=4 * eps, abs=0)


@pytest.mark.parametrize("case", list(CASES))
def test_looking_ahead_takes_the_same_steps(case: str, device, monkeypatch) -> None:
    solver, f, x0, options = CASES[case]
    (first, first_calls), (ahead, ahead_calls) = run_both(
        solver, f, x0, device, monkeypatch, **options
    )
    assert_same_run(ahead, first)
    # f was called once more for the update queued past the end of the run
    # (twice for Nesterov's, which also takes a look-ahead gradient); none
    # is queued at the top of the loop (convergence at x0) or past max_iter
    if ahead.status is Status.CONVERGED:
        queued = 0 < ahead.nit < options.get("max_iter", 1000)
    elif ahead.status is Status.DIVERGED:
        queued = ahead.nit + 1 < options.get("max_iter", 1000)
    else:
        queued = False
    assert ahead_calls - first_calls == calls_per_update(solver, options) * queued


def test_a_run_that_stops_early_queued_one_update_in_vain(device, monkeypatch) -> None:
    # proves the look-ahead is on in these tests: f is called once more
    (first, first_calls), (ahead, ahead_calls) = run_both(
        gradient_descent, quadratic, [0.0], device, monkeypatch, lr=0.5
    )
    assert first.status is Status.CONVERGED and first.nit == 1
    assert (first_calls, ahead_calls) == (2, 3) and ahead.nfev == first.nfev == 2


def test_no_look_ahead_with_a_callback(device, monkeypatch) -> None:
    seen: list[int] = []
    (first, first_calls), (ahead, ahead_calls) = run_both(
        gradient_descent,
        quadratic,
        [0.0],
        device,
        monkeypatch,
        lr=0.5,
        callback=lambda k, x, fx: seen.append(k),
    )
    assert_same_run(ahead, first)
    assert ahead_calls == first_calls == 2 and seen == [1, 1]


def test_an_error_of_an_update_that_is_never_due_is_not_raised(
    device, monkeypatch
) -> None:
    def schedule(k: int) -> float:
        if k > 0:
            raise RuntimeError(f"no step for k = {k}")
        return 0.5

    # one step reaches the minimizer: the step for k = 1 is never due
    (first, _), (ahead, _) = run_both(
        gradient_descent, quadratic, [0.0], device, monkeypatch, schedule=schedule
    )
    assert_same_run(ahead, first)
    assert ahead.status is Status.CONVERGED


@pytest.mark.parametrize("ahead", [False, True])
def test_an_error_of_an_update_that_is_due_is_raised(
    ahead: bool, device, monkeypatch
) -> None:
    def schedule(k: int) -> float:
        if k >= 3:
            raise RuntimeError(f"no step for k = {k}")
        return 0.1

    monkeypatch.setattr(_driver, "AHEAD_DEVICES", (device.type,) if ahead else ())
    x0 = torch.zeros(2, dtype=F64, device=device)
    with pytest.raises(RuntimeError, match="no step for k = 3"):
        gradient_descent(quadratic, x0, schedule=schedule)


@pytest.mark.parametrize("solver", [gradient_descent, momentum, nesterov])
def test_looking_ahead_with_compiled_updates(solver, device, monkeypatch) -> None:
    if device.type == "cuda":
        pytest.importorskip("triton", reason="torch.compile needs Triton on a GPU")
    (first, _), (ahead, _) = run_both(
        solver, quadratic, [0.0, 2.0, 5.0], device, monkeypatch, lr=0.1, compile=True
    )
    assert_same_run(ahead, first)
    assert first.status is Status.CONVERGED and math.isfinite(first.fun)


def test_no_look_ahead_above_the_size_limit(device, monkeypatch) -> None:
    monkeypatch.setattr(_driver, "AHEAD_MAX_NUMEL", 2)
    for x0, extra_calls in (([0.0, 0.0], 1), ([0.0, 0.0, 0.0], 0)):
        (first, first_calls), (ahead, ahead_calls) = run_both(
            gradient_descent, quadratic, x0, device, monkeypatch, lr=0.5
        )
        assert_same_run(ahead, first)
        assert ahead_calls - first_calls == extra_calls
