r"""
Step size: too small, about right, too large
============================================

Gradient descent on :math:`f(x) = x^2` from :math:`x_0 = 4` with four step
sizes. Since :math:`f'(x) = 2x`, one step multiplies the iterate by
:math:`1 - 2\alpha`: a small :math:`\alpha` crawls, a moderate one converges
fast, one just below :math:`1 = 2/f''` overshoots back and forth but still
converges, and one above it diverges, even on this simplest of convex
functions.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# Four runs of 30 steps
# ---------------------
# The objective is written with torch operations;
# :func:`numopt.gradient_descent` gets the derivative from autograd. For
# each step size the script prints the factor :math:`1 - 2\alpha` and the
# ratio :math:`x_{k+1}/x_k` the run actually shows.
import matplotlib.pyplot as plt

import numopt
from numopt.plotting import plot_convergence, plot_objective_1d, subplots


def f(x):
    return x**2


steps = {
    "too small": 0.02,
    "about right": 0.3,
    "overshooting": 0.9,
    "too large": 1.1,
}
runs = {
    name: numopt.gradient_descent(f, 4.0, lr=lr, max_iter=30)
    for name, lr in steps.items()
}
print(f"{'':>12}  alpha  1 - 2 alpha  x_2/x_1        x_30  status")
for name, res in runs.items():
    lr = steps[name]
    ratio = (res.path[2] / res.path[1]).item()
    print(
        f"{name:>12}  {lr:5.2f}  {1 - 2 * lr:11.2f}  {ratio:7.2f}  "
        f"{res.x.item():10.3e}  {res.status.name}"
    )

# %%
# The iterates on the graph of :math:`f`
# --------------------------------------
# Squares mark the start, stars the last iterate shown. The overshooting run
# jumps across the minimizer at every step; the last panel shows only the
# first five steps of the diverging run, which leave the plot soon after.
fig, axes = subplots(2, 2, figsize=(9, 6), sharex=True, sharey=True)
for ax, (name, res) in zip(axes.flat, runs.items(), strict=True):
    path = res.path[:6] if name == "too large" else res.path
    plot_objective_1d(
        f,
        path,
        ax=ax,
        bounds=(-10, 10),
        x_true=0.0,
        title=rf"{name}: $\alpha = {steps[name]}$",
    )
    ax.set_ylim(0, 100)

# %%
# The error on a logarithmic scale
# --------------------------------
# A straight line on this plot is geometric convergence (or divergence): its
# slope is :math:`\log_{10}|1 - 2\alpha|` per step. The fastest rate belongs
# to the step in the middle of the stable range :math:`0 < \alpha < 1`, where
# the factor is smallest; :math:`\alpha = 1/2` would land on the minimizer in
# one step.
ax = plot_convergence(
    list(runs.values()),
    x_true=0.0,
    labels=[rf"{name}, $\alpha = {steps[name]}$" for name in runs],
)
ax.set_title(r"$|x_k - x^\star|$ for $f(x) = x^2$")
plt.show()

# sphinx_gallery_thumbnail_number = 2
