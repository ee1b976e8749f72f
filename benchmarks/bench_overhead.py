"""Solver overhead: numopt.gradient_descent per iteration against the floor.

The floor is the same update written by hand in torch (autograd gradient,
``x - lr * g``), with no stopping test and no bookkeeping; the peer is the
loop a PyTorch user writes with ``torch.optim.SGD``. All three run the same
number of iterations on ``f(x) = sum((x - 1)^2)`` from the same start.
"""

from __future__ import annotations

import targets
import torch
from harness import compare, peak_rss_mib, progress

import numopt

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


def numopt_loop(x0: torch.Tensor, iters: int) -> torch.Tensor:
    res = numopt.gradient_descent(
        f, x0, lr=LR, max_iter=iters, tol=0, record_path=False
    )
    return res.x


def run(device: str = "cpu", quick: bool = False) -> dict:
    rows = []
    for n in SIZES:
        iters = 50 if n >= 10**6 else 200
        x0 = torch.zeros(n, dtype=torch.float64, device=device)
        ref = floor_loop(x0, iters)
        assert torch.allclose(numopt_loop(x0, iters), ref)  # same arithmetic
        progress(f"overhead n={n:>7d} ({iters} iterations, {device})")
        stats = compare(
            {
                name: (lambda fn=fn: fn(x0, iters))
                for name, fn in (
                    ("floor", floor_loop),
                    ("numopt", numopt_loop),
                    ("torch.optim.SGD", sgd_loop),
                )
            },
            device=device,
            repeats=5 if quick else 21,
        )
        t = {name: s["median_s"] / iters for name, s in stats.items()}
        rows.append(
            {
                "n": n,
                "iterations": iters,
                "per_iter_s": t,
                "numopt_over_floor": t["numopt"] / t["floor"],
                "numopt_over_sgd": t["numopt"] / t["torch.optim.SGD"],
            }
        )
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
            memory[f"record_path={record}"] = peak_rss_mib(code)
            progress(
                f"  peak RSS, n=1e6, 100 iterations, record_path={record}: "
                f"{memory[f'record_path={record}']:.0f} MiB"
            )
    return {
        "rows": rows,
        "peak_rss_mib": memory,
        "targets": {
            "numopt_over_floor": f"<= {targets.OVERHEAD_OVER_FLOOR}",
            "numopt_over_sgd": "< 1",
        },
    }
