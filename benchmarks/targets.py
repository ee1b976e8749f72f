"""The targets of the benchmarks, in one place.

``run.py`` prints them against a run and the site's Performance page shows
them against the committed results; both ask these functions.
"""

from __future__ import annotations

#: gradient_descent per iteration: within this factor of the hand-written loop
OVERHEAD_OVER_FLOOR = 1.2
#: multistart: best of eager and compiled within this factor of the floor
MULTISTART_OVER_FLOOR = 1.5
#: multistart against one Python loop per start, at 10**4 starts
SPEEDUP_VS_LOOP = 1000
#: multistart at 10**6 starts: the GPU against the CPU beside it
GPU_OVER_CPU = 10
#: a clean build against bare execution of the same code
BUILD_OVER_BARE = 1.3


def overhead_met(row: dict, run: str = "numopt") -> bool | None:
    """Within the factor of the floor, and faster than the torch.optim loop.

    ``run`` is ``"numopt"`` (the eager solver) or ``"compiled"``
    (``compile=True``); None when the row has no such run.
    """
    if f"{run}_over_floor" not in row:
        return None
    return (
        row[f"{run}_over_floor"] <= OVERHEAD_OVER_FLOOR and row[f"{run}_over_sgd"] < 1
    )


def multistart_best(row: dict) -> float:
    """The better of the eager and the compiled ratio to the floor."""
    return min(
        row["multistart_over_floor"], row.get("compiled_over_floor", float("inf"))
    )


def multistart_floor_met(row: dict) -> bool:
    """Checked from 10**4 starts on (below, fixed costs dominate)."""
    return row["starts"] < 10**4 or multistart_best(row) <= MULTISTART_OVER_FLOOR


def loop_speedup_met(row: dict) -> bool | None:
    """At 10**4 starts, where the per-start loop was timed; None elsewhere."""
    if row["starts"] != 10**4 or "speedup_vs_loop" not in row:
        return None
    return row["speedup_vs_loop"] >= SPEEDUP_VS_LOOP


def gpu_speedup_met(ratio: float) -> bool:
    return ratio >= GPU_OVER_CPU


def build_met(build: dict) -> bool:
    return build["clean_over_bare"] <= BUILD_OVER_BARE
