r"""
Gradient descent on a 1-D convex function
=========================================

Gradient descent on :math:`f(x) = |x| + (x - 5)^2` from two starts, 0 and 10,
with step size :math:`\alpha = 0.05`. The function is convex, so both runs
reach the same global minimizer :math:`x^\star = 4.5`, and the error shrinks
by the factor :math:`1 - 2\alpha = 0.9` per step.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# The objective and the solver
# ----------------------------
# :func:`numopt.gradient_descent` takes any function built from torch
# operations; the derivative comes from autograd.
import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import plot_objective_1d, subplots
from numopt.problems import abs_quadratic

results = {
    x0: numopt.gradient_descent(abs_quadratic, x0, lr=0.05, max_iter=150)
    for x0 in (0.0, 10.0)
}
for x0, res in results.items():
    print(
        f"start {x0:4.1f}: x = {res.x.item():.6f}, "
        f"f(x) = {res.fun:.6f}, {res.nit} steps"
    )

# %%
# Both runs on the graph of :math:`f`
# -----------------------------------
# Squares mark the starts, stars the final iterates, the dashed line the
# exact minimizer.
fig, axes = subplots(1, 2, figsize=(9, 3.6), sharey=True)
for ax, (x0, res) in zip(axes, results.items(), strict=True):
    plot_objective_1d(
        abs_quadratic,
        res,
        ax=ax,
        bounds=(0, 10),
        x_true=4.5,
        title=f"start $x_0 = {x0:g}$",
    )
    ax.set_ylim(0, 30)

# %%
# The error shrinks geometrically
# -------------------------------
# For :math:`x > 0` the update is :math:`x_{k+1} - 4.5 = 0.9\,(x_k - 4.5)`.
# From 10 the error is :math:`5.5 \cdot 0.9^k`. From 0 the first step differs:
# 0 is the kink of :math:`|x|`, where autograd takes the derivative of
# :math:`|x|` to be 0, so :math:`x_1 = 0.5` and the error is
# :math:`4 \cdot 0.9^{k-1}` from then on.
k = torch.arange(151, dtype=torch.float64)
theory = {0.0: 4.0 * 0.9 ** (k - 1), 10.0: 5.5 * 0.9**k}
fig, ax = subplots()
for (x0, res), marker in zip(results.items(), ("o", "s"), strict=True):
    ax.semilogy(
        (res.path - 4.5).abs(), marker, ms=3, mfc="none", label=f"start {x0:g}"
    )
    ax.semilogy(
        k[1:],
        theory[x0][1:],
        "k--" if x0 == 0 else "k:",
        lw=1,
        label=f"theory, start {x0:g}",
    )
ax.set_xlabel("iteration $k$")
ax.set_ylabel(r"$|x_k - x^\star|$")
ax.legend()
ax.grid(True, alpha=0.3)
plt.show()
