"""Timing harness: warm-up, repeats, median; device-aware; progress on stderr."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def sync(device: torch.device | str) -> None:
    """Wait for queued GPU work so that wall-clock time includes it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def timed_once(
    fn: Callable[[], Any], *, device: torch.device | str = "cpu"
) -> tuple[Any, float]:
    """``fn()`` and the seconds it took, once (a first call that compiles)."""
    t0 = time.perf_counter()
    out = fn()
    sync(device)
    return out, time.perf_counter() - t0


def measure(
    fn: Callable[[], Any],
    *,
    device: torch.device | str = "cpu",
    repeats: int = 7,
    warmup: int = 2,
    label: str = "",
) -> dict[str, float]:
    """Median, min and interquartile range of ``repeats`` timed calls of ``fn``."""
    stats = compare({label: fn}, device=device, repeats=repeats, warmup=warmup)
    return stats[label]


def compare(
    fns: dict[str, Callable[[], Any]],
    *,
    device: torch.device | str = "cpu",
    repeats: int = 7,
    warmup: int = 2,
) -> dict[str, dict[str, float]]:
    """Time several contenders in interleaved rounds (A B C, B C A, ...).

    On a shared or throttled machine the speed drifts over seconds; timing
    the contenders round by round, each round in a rotated order, lets every
    one of them see the same drift, so their ratios stay honest.
    """
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    sync(device)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = time.perf_counter()
            fns[name]()
            sync(device)
            times[name].append(time.perf_counter() - t0)
    out = {}
    for name in names:
        ts = times[name]
        q = statistics.quantiles(ts, n=4) if len(ts) > 1 else [ts[0]] * 3
        out[name] = {
            "median_s": statistics.median(ts),
            "min_s": min(ts),
            "iqr_s": q[2] - q[0],
        }
        progress(f"  {name:<48s} median {out[name]['median_s'] * 1e3:10.3f} ms")
    return out


def progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "hostname_kind": platform.machine(),
        "cpu": cpu,
        "cpu_count": str(os.cpu_count()),
        "torch_threads": str(torch.get_num_threads()),
        "gpu": gpu or "none",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def peak_rss_mib(code: str) -> float:
    """Peak resident memory of a fresh Python process running ``code`` (MiB)."""
    script = code + (
        "\nimport resource, sys\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stdout)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def save(name: str, payload: dict[str, Any], *, merge: bool = False) -> Path:
    """Write ``results/<name>.json`` and return its path.

    With ``merge``, groups that this run did not measure are kept from the
    file already there, each with the date it was measured (``measured``).
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    if merge and path.exists():
        old = json.loads(path.read_text())
        for group, value in old.items():
            if isinstance(value, dict) and group != "machine":
                value.setdefault("measured", old["machine"]["date"])
                payload.setdefault(group, value)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
