r"""
Multistart: the global minimum of a non-convex function
=======================================================

:math:`f(x) = x \cos 4x + 2|x|` has local minima on both sides of its global
minimizer :math:`x^\star = 0`: since :math:`x \cos 4x \ge -|x|`,
:math:`f(x) \ge |x| \ge 0 = f(0)`. Gradient descent from one start ends in
the local minimum whose basin holds the start. Running it from 201 starts
at once, as one batched computation, and keeping the best final point finds
the global minimizer.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# 201 starts in one batch
# -----------------------
# :func:`numopt.multistart` advances every start with the same vectorized
# update (no Python loop over the starts) and returns every final point
# (``xs``, ``funs``) and the best one (``x``, ``fun``). The step is 0.001,
# as in the lecture.
import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import COLORS, plot_objective_1d, subplots
from numopt.problems import get_problem

problem = get_problem("wavy_abs")
starts = torch.linspace(-5, 5, 201, dtype=torch.float64)
res = numopt.multistart(
    problem.f, starts, lr=0.001, max_iter=2000, record_path=True
)
print(res)
print(
    f"best start: x0 = {starts[res.best_index].item():.2f}, "
    f"ends at x = {res.x.item():.2e}"
)

# %%
# Where the starts end
# --------------------
# Each final point is matched to a known minimizer of the problem registry
# (the local ones in :math:`[-5, 5]` and the global one) within 0.01. Every
# local minimizer collects a basin's worth of starts; only
# those starting in the basin of 0 find the global minimum. They stop near
# 0 rather than at it: 0 is a kink of :math:`f`, where a fixed step keeps
# hopping across and the gradient never becomes small. The starts closest
# to 5 leave the interval, for the next local minimizer near 5.49.
known = torch.tensor(
    [m[0] for m in (*problem.local_minimizers, *problem.minimizers)],
    dtype=torch.float64,
)
distance, nearest = (res.xs[:, None] - known[None, :]).abs().min(dim=1)
# the starts that end at each minimizer, from left to right
basins = {
    j: (nearest == j) & (distance < 0.01) for j in known.argsort().tolist()
}
for j, basin in basins.items():
    m, fm = known[j].item(), problem.f(known[j]).item()
    print(f"minimizer {m:8.4f}, f = {fm:7.4f}: {int(basin.sum()):3d} starts")
elsewhere = res.xs[distance >= 0.01]
places = sorted({round(v, 4) for v in elsewhere.tolist()})
print(f"elsewhere: {len(elsewhere)} starts, at {places}")

# %%
# Which starts did not converge
# -----------------------------
# A start counts as converged when its gradient norm falls below ``tol``
# (``1e-6`` by default). The starts near 0 never do, because of the kink.
# The others that fail all sit in the valley of the local minimizer with
# the smallest curvature :math:`f''`: with the step 0.001 their distance to
# the minimizer shrinks by only :math:`1 - 0.001 f''` per iteration, and
# after 2000 iterations their gradient is still just above ``tol``.
second = torch.func.grad(torch.func.grad(problem.f))
for j, basin in basins.items():
    m = known[j].item()
    failed = basin & ~res.success
    where = "a kink" if m == 0 else f"f'' = {second(known[j]).item():4.1f}"
    n_failed, n_basin = int(failed.sum()), int(basin.sum())
    line = f"near {m:7.4f} ({where}): {n_failed:2d} of {n_basin:2d} failed"
    if failed.any():
        line += f", largest gradient {res.grad_norms[failed].max():.1e}"
    print(line)

# %%
# The final points on the graph
# -----------------------------
# Triangles mark the final points of all starts; they collect at the bottoms
# of the valleys. The path drawn is the best start's.
ax = plot_objective_1d(
    problem.f, res.paths[:, res.best_index], bounds=(-5.5, 5.5), x_true=0.0
)
ax.plot(
    res.xs,
    res.funs,
    "v",
    color=COLORS[3],
    ms=7,
    mec="black",
    mew=0.5,
    label=f"final points of {len(starts)} starts",
    zorder=6,
)
ax.legend(loc="upper center", fontsize="small", framealpha=0.9)
ax.set_title(r"$f(x) = x\cos 4x + 2|x|$: multistart gradient descent")

# %%
# Basins of attraction
# --------------------
# The final point against the start: a staircase whose flat steps are the
# basins of the local minimizers (dotted lines). The basin of the global
# minimizer 0 is the step around 0.
fig, ax = subplots()
ax.plot(starts, res.xs, "o", ms=3, color=COLORS[0], label="final point")
for m in known.tolist():
    ax.axhline(m, color="0.5", ls=":", lw=1)
ax.axhline(
    0.0,
    color=COLORS[2],
    ls="--",
    lw=1.5,
    label=r"global minimizer $x^\star = 0$",
)
ax.set_xlabel("start $x_0$")
ax.set_ylabel("final point")
ax.grid(True, alpha=0.3)
ax.legend(fontsize="small")
plt.show()
