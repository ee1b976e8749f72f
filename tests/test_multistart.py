"""multistart: batched runs match single-start runs, per-start stopping, bad input."""

from __future__ import annotations

import importlib

import pytest
import torch

from numopt.problems import PROBLEMS, himmelblau, wavy_abs
from numopt.solvers import _compiled
from numopt.solvers.gradient import gradient_descent
from numopt.solvers.momentum import momentum
from numopt.solvers.multistart import MultistartResult, multistart

# the module (numopt.solvers.multistart is also the name of the function)
multistart_module = importlib.import_module("numopt.solvers.multistart")

f64 = torch.float64


def grid(low: float, high: float, n: int, device="cpu") -> torch.Tensor:
    axis = torch.linspace(low, high, n, dtype=f64, device=device)
    return torch.cartesian_prod(axis, axis)


def test_wavy_abs_from_ten_thousand_starts_finds_the_global_minimizer() -> None:
    gen = torch.Generator().manual_seed(0)
    starts = torch.empty(10_000, dtype=f64).uniform_(-5, 5, generator=gen)
    res = multistart(wavy_abs, starts, lr=0.001, max_iter=300)
    assert isinstance(res, MultistartResult)
    assert abs(res.x.item()) < 0.01 and res.fun < 0.01
    assert res.xs.shape == (10_000,) and res.funs.shape == (10_000,)
    assert res.best_index == int(res.funs.argmin()) and res.x == res.xs[res.best_index]
    assert res.fun == res.funs.min().item() == pytest.approx(wavy_abs(res.x).item())
    torch.testing.assert_close(res.funs, wavy_abs(res.xs), rtol=0, atol=0)
    assert res.paths is None and res.nit == 300 and res.nfev == 302
    # starts far from 0 end in local minima, never below the global minimum 0
    assert bool((res.funs >= 0).all()) and bool(res.success.any())
    # converged starts inside [-5, 5] sit at the listed local minimizers
    local = torch.tensor(PROBLEMS["wavy_abs"].local_minimizers, dtype=f64)
    done = res.xs[res.success & (res.xs.abs() <= 5)]
    assert done.numel() > 1000
    assert bool(((done[:, None] - local.T).abs().min(dim=1).values < 1e-6).all())


@pytest.mark.parametrize(
    ("f", "starts", "lr"),
    [
        (wavy_abs, torch.linspace(-4.9, 4.7, 20, dtype=f64), 0.01),
        (himmelblau, grid(-4.5, 4.5, 5)[:20], 0.01),
    ],
    ids=["wavy_abs", "himmelblau"],
)
@pytest.mark.parametrize("schedule", ["constant", "1/t"])
def test_gd_matches_a_loop_of_gradient_descent(f, starts, lr, schedule) -> None:
    res = multistart(f, starts, lr=lr, max_iter=60, tol=0, schedule=schedule)
    for b, x0 in enumerate(starts):
        ref = gradient_descent(f, x0, lr=lr, max_iter=60, tol=0, schedule=schedule)
        torch.testing.assert_close(res.xs[b], ref.x, rtol=0, atol=1e-10)
        assert res.funs[b].item() == pytest.approx(ref.fun, abs=1e-10)
        assert res.nits[b].item() == ref.nit == 60
    assert res.nit == 60 and not bool(res.success.any())  # tol = 0


def test_momentum_and_per_start_stopping_match_single_start_runs() -> None:
    starts = grid(-4.0, 4.0, 4)
    res = multistart(
        himmelblau, starts, "momentum", lr=0.005, beta=0.8, max_iter=400, tol=1e-4
    )
    for b, x0 in enumerate(starts):
        ref = momentum(himmelblau, x0, lr=0.005, beta=0.8, max_iter=400, tol=1e-4)
        torch.testing.assert_close(res.xs[b], ref.x, rtol=0, atol=1e-10)
        # the start is frozen exactly when the single-start solver stops
        assert res.nits[b].item() == ref.nit and bool(res.success[b]) == ref.success
    assert bool(res.success.all()) and res.nit == int(res.nits.max()) < 400
    assert len(set(res.nits.tolist())) > 1  # the starts stopped at different times


def test_himmelblau_grid_finds_all_four_minimizers() -> None:
    res = multistart(himmelblau, grid(-5.0, 5.0, 8), lr=0.01, max_iter=2000, tol=1e-8)
    assert bool(res.success.all()) and res.fun < 1e-15
    for minimizer in PROBLEMS["himmelblau"].minimizers:
        dist = torch.linalg.vector_norm(
            res.xs - torch.tensor(minimizer, dtype=f64), dim=1
        )
        assert dist.min() < 1e-7, minimizer
    assert bool((res.funs < 1e-15).all())


def test_paths_and_check_every_do_not_change_the_answer() -> None:
    starts = grid(-3.0, 3.0, 3)
    a = multistart(
        himmelblau, starts, lr=0.01, max_iter=500, tol=1e-3, record_path=True
    )
    b = multistart(himmelblau, starts, lr=0.01, max_iter=500, tol=1e-3, check_every=1)
    assert a.paths.shape == (a.nit + 1, 9, 2)
    assert torch.equal(a.paths[0], starts) and torch.equal(a.paths[-1], a.xs)
    assert torch.equal(a.xs, b.xs) and torch.equal(a.nits, b.nits) and a.nit == b.nit
    ref = gradient_descent(himmelblau, starts[4], lr=0.01, max_iter=500, tol=1e-3)
    torch.testing.assert_close(a.paths[: ref.nit + 1, 4], ref.path, rtol=0, atol=1e-12)


def test_divergent_starts_are_frozen_at_their_last_finite_point() -> None:
    def f(x):
        return x**4 / 4 + x**2 / 2

    starts = torch.tensor([0.5, -1.0, 100.0, -1e3], dtype=f64)
    res = multistart(f, starts, lr=0.1, max_iter=500, tol=1e-8)
    assert res.success.tolist() == [True, True, False, False]
    assert res.diverged.tolist() == [False, False, True, True]
    assert bool(torch.isfinite(res.xs).all()) and bool(torch.isfinite(res.funs).all())
    for b in (2, 3):  # the last finite iterate of the single-start solver
        ref = gradient_descent(f, starts[b], lr=0.1, max_iter=500, tol=1e-8)
        assert not ref.success and res.xs[b].item() == ref.x.item()
        assert res.nits[b].item() == ref.nit
    assert res.best_index in (0, 1) and abs(res.x.item()) < 1e-8


def test_same_answers_on_every_device(device: torch.device) -> None:
    starts = grid(-5.0, 5.0, 6)
    cpu = multistart(himmelblau, starts, "momentum", lr=0.005, max_iter=300, tol=1e-6)
    res = multistart(
        himmelblau, starts.to(device), "momentum", lr=0.005, max_iter=300, tol=1e-6
    )
    assert res.xs.device == starts.to(device).device and res.x.device == res.xs.device
    torch.testing.assert_close(res.xs.cpu(), cpu.xs, rtol=0, atol=1e-9)
    assert (
        torch.equal(res.success.cpu(), cpu.success) and res.best_index == cpu.best_index
    )


@pytest.mark.parametrize(
    ("method", "kw"),
    [
        ("gd", dict(schedule=lambda k: 0.012 * 0.995**k, max_iter=27, tol=1e-3)),
        ("momentum", dict(lr=0.005, beta=0.8, max_iter=78, tol=1e-2)),
    ],
    ids=["gd-callable-schedule", "momentum"],
)
def test_compiled_iterations_match_the_eager_ones(method, kw, device) -> None:
    # chunks of 8 iterations: the last one is padded, and starts stop at
    # different times inside chunks
    if device.type == "cuda":
        pytest.importorskip("triton", reason="torch.compile needs Triton on a GPU")
    starts = grid(-4.0, 4.0, 4).to(device)
    kw = dict(kw, check_every=8)
    eager = multistart(himmelblau, starts, method, record_path=True, **kw)
    comp = multistart(himmelblau, starts, method, record_path=True, compile=True, **kw)
    torch.testing.assert_close(comp.xs, eager.xs, rtol=0, atol=1e-10)
    torch.testing.assert_close(comp.paths, eager.paths, rtol=0, atol=1e-10)
    assert torch.equal(comp.nits, eager.nits) and len(set(eager.nits.tolist())) > 1
    assert torch.equal(comp.success, eager.success) and comp.nit == eager.nit
    assert comp.nfev == eager.nfev and comp.best_index == eager.best_index
    assert bool(eager.success.any()) and not bool(eager.success.all())
    # the compiled chunk is kept for the next call with the same f and shape
    again = multistart(himmelblau, starts, method, record_path=True, compile=True, **kw)
    assert torch.equal(again.xs, comp.xs)
    chunks = _compiled._COMPILED[id(himmelblau)]
    assert sum(key[2] == tuple(starts.shape) for key in chunks) <= 2


@pytest.mark.parametrize("columns_up_to", [1, 16], ids=["rows", "columns"])
def test_compiled_chunk_rows_and_columns_agree(columns_up_to, monkeypatch) -> None:
    # a compiled chunk carries points of a few coordinates as separate columns
    # and wider ones as rows: both are the eager iteration, divergence included
    monkeypatch.setattr(multistart_module, "COLUMNS_UP_TO", columns_up_to)

    def f(x):  # 3 coordinates; diverges from far away (quartic, big steps)
        return (x**4).sum(-1) / 4 + (x[..., 0] - x[..., 1] * x[..., 2]) ** 2

    starts = torch.tensor(
        [[0.5, -0.3, 0.2], [1.0, 1.0, -1.0], [40.0, 1.0, 0.0], [0.1, 0.0, 0.0]],
        dtype=f64,
    )
    kw = dict(method="momentum", lr=0.05, beta=0.5, max_iter=40, tol=1e-4)
    eager = multistart(f, starts, record_path=True, check_every=8, **kw)
    comp = multistart(f, starts, record_path=True, check_every=8, compile=True, **kw)
    assert eager.diverged.tolist() == [False, False, True, False]
    assert torch.equal(comp.diverged, eager.diverged)
    assert torch.equal(comp.nits, eager.nits) and comp.nfev == eager.nfev
    torch.testing.assert_close(comp.xs, eager.xs, rtol=0, atol=1e-12)
    torch.testing.assert_close(comp.paths, eager.paths, rtol=0, atol=1e-12)


def test_compiled_iterations_freeze_divergent_starts() -> None:
    def f(x):
        return x**4 / 4 + x**2 / 2

    starts = torch.tensor([0.5, -1.0, 100.0, -1e3], dtype=f64)
    kw = dict(lr=0.1, max_iter=50, tol=1e-8, check_every=4)
    eager = multistart(f, starts, **kw)
    comp = multistart(f, starts, compile=True, **kw)
    assert comp.diverged.tolist() == [False, False, True, True]
    assert torch.equal(comp.xs, eager.xs) and torch.equal(comp.nits, eager.nits)
    assert bool(torch.isfinite(comp.funs).all())


def test_compiled_results_are_detached_when_f_reads_a_tensor_that_requires_grad():
    # torch.func's gradient would otherwise leave the results on autograd's
    # tape, linked to w (and every chunk kept alive by the next)
    w = torch.tensor(2.0, dtype=f64, requires_grad=True)
    starts = torch.linspace(-1, 1, 8, dtype=f64)
    kw = dict(lr=0.1, max_iter=40, check_every=8)
    eager = multistart(lambda x: (w * x - 1) ** 2, starts, **kw)
    comp = multistart(lambda x: (w * x - 1) ** 2, starts, compile=True, **kw)
    assert not comp.xs.requires_grad and comp.xs.grad_fn is None
    assert not comp.x.requires_grad
    torch.testing.assert_close(comp.xs, eager.xs, rtol=0, atol=1e-12)


def test_compile_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="compile must be True or False"):
        multistart(wavy_abs, [0.5], compile="yes")


def test_dtype_and_list_starts() -> None:
    res = multistart(wavy_abs, [-0.5, 0.5, 2.0], lr=0.01, max_iter=10)
    assert res.xs.dtype == f64
    res = multistart(wavy_abs, [-0.5, 0.5], lr=0.01, max_iter=10, dtype=torch.float32)
    assert res.xs.dtype == torch.float32 and res.funs.dtype == torch.float32
    res = multistart(wavy_abs, torch.tensor([1, 2]), lr=0.01, max_iter=0)
    assert res.xs.dtype == f64 and res.nit == 0 and res.xs.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"f": 3}, TypeError, "f must be callable"),
        ({"f": lambda x: x.sum()}, ValueError, "f must map the batch"),
        ({"f": lambda x: x[..., 0]}, ValueError, "f must map the batch"),
        ({"f": lambda x: 1.0}, TypeError, "f must return a torch tensor"),
        ({"starts": torch.zeros(2, 2, 2)}, ValueError, "starts must have shape"),
        ({"starts": torch.zeros(0)}, ValueError, "starts must have shape"),
        ({"starts": [0.0, float("inf")]}, ValueError, "starts must be finite"),
        ({"starts": "abc"}, TypeError, "starts must be"),
        ({"method": "newton"}, ValueError, "unknown method 'newton'"),
        ({"lr": 0.0}, ValueError, "lr must be > 0"),
        ({"max_iter": -1}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"beta": 1.0}, ValueError, "beta"),
        ({"schedule": "cosine"}, ValueError, "unknown schedule"),
        ({"check_every": 0}, ValueError, "check_every must be >= 1"),
        ({"f": lambda x: torch.log(x)}, ValueError, "not finite at some start"),
    ],
)
def test_bad_input(kwargs, error, match) -> None:
    args = {"f": wavy_abs, "starts": torch.tensor([-1.0, 1.0], dtype=f64)} | kwargs
    f, starts = args.pop("f"), args.pop("starts")
    with pytest.raises(error, match=match):
        multistart(f, starts, **args)


def test_repr_names_the_best_start() -> None:
    res = multistart(wavy_abs, [-0.5, 0.3], lr=0.01, max_iter=5)
    text = repr(res)
    assert (
        text.startswith("MultistartResult(")
        and "best_index" in text
        and "starts: 2" in text
    )
