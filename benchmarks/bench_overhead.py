"""Solver overhead: numopt.gradient_descent per iteration against the floor.

The floor is the same update written by hand in torch (autograd gradient,
``x - lr * g``), with no stopping test and no bookkeeping; the peer is the
loop a PyTorch user writes with ``torch.optim.SGD``; and
``gradient_descent(..., compile=True)`` runs each update as one compiled call
(its one-off compile time is reported apart: the timed calls reuse the
compiled code). All of them run the same number of iterations on
``f(x) = sum((x - 1)^2)`` from the same start.
"""

from __future__ import annotations

import statistics

import targets
import torch
from harness import compare, peak_rss_mib, progress, timed_once

import numopt
from numopt.solvers._driver import AHEAD_DEVICES

SIZES = (1, 10**2, 10**4, 10**6)
LR = 0.1


def f(x: torch.Tensor) -> torch.Tensor:
    return ((x - 1) ** 2).sum()


def floor_loop(x0: torch.Tensor, iters: int) -> torch.Tensor:
    x = x0.clone()
    for _ in range(iters):
        x.requires_grad_(True)
        (g,) = torch.autograd.grad(f(x), x)
        x = x.detach() - LR * g
    return x


def sgd_loop(x0: torch.Tensor, iters: int) -> torch.Tensor:
    x = x0.clone().requires_grad_(True)
    opt = torch.optim.SGD([x], lr=LR)
    for _ in range(iters):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    return x.detach()


def numopt_loop(x0: torch.Tensor, iters: int, compile: bool = False) -> torch.Tensor:
    res = numopt.gradient_descent(
        f, x0, lr=LR, max_iter=iters, tol=0, record_path=False, compile=compile
    )
    return res.x


def run(device: str = "cpu", quick: bool = False, compile: bool = True) -> dict:
    rows = []
    for n in SIZES:
        iters = 50 if n >= 10**6 else 200
        x0 = torch.zeros(n, dtype=torch.float64, device=device)
        ref = floor_loop(x0, iters)
        assert torch.allclose(numopt_loop(x0, iters), ref)  # same arithmetic
        progress(f"overhead n={n:>7d} ({iters} iterations, {device})")
        contenders = {
            "floor": lambda: floor_loop(x0, iters),
            "numopt": lambda: numopt_loop(x0, iters),
            "torch.optim.SGD": lambda: sgd_loop(x0, iters),
        }
        if compile:

            def run_compiled() -> torch.Tensor:
                return numopt_loop(x0, iters, compile=True)

            compiled, t_first = timed_once(run_compiled, device=device)  # compiles
            assert torch.allclose(compiled, ref)
            contenders["numopt(compile=True)"] = run_compiled
        stats = compare(contenders, device=device, repeats=5 if quick else 21)
        t = {name: s["median_s"] / iters for name, s in stats.items()}
        row = {
            "n": n,
            "iterations": iters,
            "per_iter_s": t,
            "numopt_over_floor": t["numopt"] / t["floor"],
            "numopt_over_sgd": t["numopt"] / t["torch.optim.SGD"],
        }
        if compile:
            t_comp = t["numopt(compile=True)"]
            row["compiled_over_floor"] = t_comp / t["floor"]
            row["compiled_over_sgd"] = t_comp / t["torch.optim.SGD"]
            row["compile_once_s"] = max(t_first - t_comp * iters, 0.0)
        rows.append(row)
    memory = {}
    if device == "cpu":
        base = (
            "import torch, numopt\n"
            "x0 = torch.zeros(10**6, dtype=torch.float64)\n"
            "f = lambda x: ((x - 1) ** 2).sum()\n"
        )
        for record in (False, True):
            code = base + (
                f"numopt.gradient_descent(f, x0, lr={LR}, max_iter=100, tol=0, "
                f"record_path={record})"
            )
            # the peak moves by a hundred MiB from process to process
            # (allocator and thread timing): the median of three
            peaks = [peak_rss_mib(code) for _ in range(3)]
            memory[f"record_path={record}"] = statistics.median(peaks)
            progress(
                f"  peak RSS, n=1e6, 100 iterations, record_path={record}: "
                f"{memory[f'record_path={record}']:.0f} MiB (median of "
                + ", ".join(f"{p:.0f}" for p in peaks)
                + ")"
            )
    return {
        "rows": rows,
        "peak_rss_mib": memory,
        # whether the solver queued each update before reading the last one's
        # numbers (see numopt.solvers._driver.run): on a GPU since this flag
        "looks_ahead": torch.device(device).type in AHEAD_DEVICES,
        "targets": {
            "numopt_over_floor": f"<= {targets.OVERHEAD_OVER_FLOOR}",
            "numopt_over_sgd": "< 1",
            "compiled_over_floor": f"<= {targets.OVERHEAD_OVER_FLOOR}",
            "compiled_over_sgd": "< 1",
        },
    }
