"""Run the benchmarks, print a table of ratios with their targets, write JSON.

Usage::

    python benchmarks/run.py [--only overhead,multistart,scipy,build]
                             [--device cpu|cuda] [--quick] [--name NAME]
                             [--no-compile]

Results go to ``benchmarks/results/<NAME>.json`` (default: ``cpu`` or
``gpu``), which the site's Performance page renders. Every ratio compares two
measurements taken in the same run on the same machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

# torch.compile keeps compiled kernels on disk across processes; a fresh cache
# for every run makes the reported compile times those a first run sees.
os.environ.setdefault(
    "TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="numopt-bench-inductor-")
)

sys.path.insert(0, str(Path(__file__).resolve().parent))

import targets
from harness import machine, progress, save
from targets import loop_speedup_met, multistart_floor_met, overhead_met

GROUPS = ("overhead", "multistart", "scipy", "build")


def _table(results: dict) -> str:
    out = []
    if "overhead" in results:
        out.append("Solver overhead per iteration (gradient_descent)")
        out.append(
            f"{'n':>9} {'numopt/floor':>13} {'numopt/SGD':>11} {'eager':>7} "
            f"{'compiled/floor':>15} {'compiled/SGD':>13} {'compiled':>9}   "
            f"targets: <={targets.OVERHEAD_OVER_FLOOR}, <1"
        )
        for r in results["overhead"]["rows"]:
            verdict = {None: "-", True: "ok", False: "MISSED"}
            comp = [
                f"{r[k]:.3f}" if k in r else "-"
                for k in ("compiled_over_floor", "compiled_over_sgd")
            ]
            out.append(
                f"{r['n']:>9} {r['numopt_over_floor']:>13.3f} "
                f"{r['numopt_over_sgd']:>11.3f} {verdict[overhead_met(r)]:>7} "
                f"{comp[0]:>15} {comp[1]:>13} "
                f"{verdict[overhead_met(r, 'compiled')]:>9}"
            )
        mem = results["overhead"].get("peak_rss_mib")
        if mem:
            out.append(
                "peak RSS at n=1e6, 100 iterations: "
                + ", ".join(f"{k}: {v:.0f} MiB" for k, v in mem.items())
            )
    if "multistart" in results:
        out.append("\nMultistart (per problem and number of starts)")
        out.append(
            f"{'problem':>11} {'starts':>8} {'vs loop':>9} {'vs scipy':>9} "
            f"{'ms/floor':>9} {'compiled':>9}   targets: "
            f">={targets.SPEEDUP_VS_LOOP}x at 1e4 (cpu), "
            f"<={targets.MULTISTART_OVER_FLOOR} (best of the two)"
        )
        for r in results["multistart"]["rows"]:
            loop = f"{r['speedup_vs_loop']:.0f}x" if "speedup_vs_loop" in r else "-"
            sp = f"{r['speedup_vs_scipy']:.0f}x" if "speedup_vs_scipy" in r else "-"
            compiled = r.get("compiled_over_floor")
            ok = multistart_floor_met(r) and loop_speedup_met(r) is not False
            out.append(
                f"{r['problem']:>11} {r['starts']:>8} {loop:>9} {sp:>9} "
                f"{r['multistart_over_floor']:>9.2f} "
                f"{'-' if compiled is None else f'{compiled:.2f}':>9}"
                f"   {'ok' if ok else 'MISSED'}"
            )
        g = results["multistart"]["global_minimum_check"]
        out.append(
            f"global minimum of wavy_abs from 1e4 starts: x = {g['best_x']:.4g} "
            f"({'ok' if g['ok'] else 'MISSED'})"
        )
    if "scipy" in results:
        out.append("\nAgainst scipy.optimize (same tolerance)")
        for r in results["scipy"]["rows"]:
            a, b = r["numopt"], r["scipy"]
            out.append(
                f"{r['problem']:>28} {r['method']:>18}: nit {a['nit']:>6} vs "
                f"{b['nit']:>6}, nfev {a['nfev']:>6} vs {b['nfev']:>6}, "
                f"time {a['time_s'] * 1e3:8.2f} vs {b['time_s'] * 1e3:8.2f} ms "
                f"({r['scipy_method']})"
            )
    if "build" in results:
        b = results["build"]
        out.append("\nBuild time")
        out.append(
            f"bare execution {b['bare_execution_s']:.1f} s, clean build "
            f"{b['clean_build_s']:.1f} s: ratio {b['clean_over_bare']:.2f} "
            f"(target <= {targets.BUILD_OVER_BARE}: "
            f"{'ok' if targets.build_met(b) else 'MISSED'})"
        )
        if "bare_one_process_per_page_s" in b:
            out.append(
                "bare execution with one process per page (as the site runs them) "
                f"{b['bare_one_process_per_page_s']:.1f} s: clean build / that "
                f"{b['clean_over_bare_per_page']:.2f}"
            )
        out.append(
            f"rebuild, no change: {b['rebuild_no_change_s']:.1f} s as `nox -s docs` "
            f"(clean output), {b['incremental_no_change_s']:.1f} s incremental "
            "(target < 10 s)"
        )
        out.append(
            f"after a prose edit: executed {b['executed_after_prose_edit'] or 'nothing'}"
        )
        out.append(
            f"after a code edit of {b['edited_chapter']}: executed "
            f"{b['executed_after_code_edit'] or 'nothing'}"
        )
        for what in ("comment", "code"):
            if f"executed_after_numopt_{what}_edit" in b:
                out.append(
                    f"after a {what} edit of {b['edited_module']}: executed "
                    f"{b[f'executed_after_numopt_{what}_edit'] or 'nothing'} and "
                    f"{b[f'examples_run_after_numopt_{what}_edit']} gallery example(s)"
                )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(GROUPS))
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes")
    parser.add_argument("--name", default=None, help="results file name (no .json)")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="overhead, multistart: skip the torch.compile contenders "
        "(compiling takes minutes)",
    )
    args = parser.parse_args(argv)
    groups = [g for g in args.only.split(",") if g]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s) {sorted(unknown)}; choose from {GROUPS}")
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            parser.error("--device cuda: torch sees no CUDA device")
    here = machine()
    results = {"machine": here, "device": args.device, "quick": args.quick}
    for group in groups:
        progress(f"== {group} ==")
        module = __import__(f"bench_{group}")
        compiles = group in ("overhead", "multistart")
        kwargs = {"compile": not args.no_compile} if compiles else {}
        results[group] = module.run(device=args.device, quick=args.quick, **kwargs)
        results[group]["measured"] = here["date"]
    name = args.name or ("gpu" if args.device == "cuda" else "cpu")
    path = save(name, results, merge=set(groups) != set(GROUPS))
    print(_table(results))
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
