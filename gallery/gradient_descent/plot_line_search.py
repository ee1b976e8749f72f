r"""
Line search: exact steps versus Armijo backtracking
===================================================

Steepest descent chooses every step by a line search along
:math:`d_k = -\nabla f(x_k)`, instead of fixing it in advance. On the
quadratic :math:`f(x) = \tfrac12 (x_1^2 + 10 x_2^2)` from :math:`(10, 1)` this
example compares the exact line search, which minimizes
:math:`\varphi(\alpha) = f(x_k + \alpha d_k)`, with Armijo backtracking, which
halves a trial step until :math:`f` decreases enough, and with a fixed step
:math:`\alpha = 1/L = 0.1`.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# Three runs
# ----------
# :func:`numopt.steepest_descent` records the accepted steps in
# ``result.extra["steps"]``; ``nfev`` counts every evaluation of :math:`f`,
# those of the line search included.
import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import plot_contour_path, plot_convergence, subplots


def f(x):
    return 0.5 * (x[..., 0] ** 2 + 10 * x[..., 1] ** 2)


x0 = [10.0, 1.0]
runs = {
    "exact line search": numopt.steepest_descent(
        f, x0, line_search="exact", tol=1e-8
    ),
    "Armijo backtracking": numopt.steepest_descent(
        f, x0, line_search="backtracking", tol=1e-8
    ),
    "fixed step 0.1": numopt.gradient_descent(f, x0, lr=0.1, tol=1e-8),
}
for name, res in runs.items():
    print(
        f"{name:>20}: {res.nit:3d} iterations, "
        f"{res.nfev:4d} evaluations of f, "
        f"f(x) = {res.fun:.2e}"
    )

# %%
# The exact step on a quadratic
# -----------------------------
# For :math:`f(x) = \tfrac12 x^T A x` the minimizer of :math:`\varphi` is
# :math:`\alpha^\star = g^T g / g^T A g` with :math:`g = \nabla f(x_k)`. At
# :math:`(10, 1)`, :math:`g = (10, 10)` and
# :math:`\alpha^\star = 200/1100 = 0.1818\ldots`. Because
# :math:`\varphi'(\alpha^\star) = -\nabla f(x_{k+1})^T g = 0`, each new
# direction is orthogonal to the previous one: the path zig-zags at right
# angles.
exact = runs["exact line search"]
print(
    f"first exact step: {exact.extra['steps'][0]:.6f}  "
    f"(200/1100 = {200 / 1100:.6f})"
)
moves = torch.diff(exact.path, dim=0)
cosines = torch.nn.functional.cosine_similarity(moves[1:], moves[:-1], dim=1)
print(
    f"largest |cos| between successive moves: {cosines.abs().max().item():.1e}"
)

# %%
# From this start, which is the worst one for steepest descent, every exact
# step reduces :math:`f` by the same factor
# :math:`\bigl((\kappa - 1)/(\kappa + 1)\bigr)^2 = (9/11)^2`, where
# :math:`\kappa = 10` is the condition number of :math:`A`.
ratios = exact.values[1:] / exact.values[:-1]
print(
    f"f(x_k+1)/f(x_k): min {ratios.min().item():.4f}, "
    f"max {ratios.max().item():.4f}, "
    f"(9/11)^2 = {(9 / 11) ** 2:.4f}"
)

# %%
# The paths
# ---------
# The exact search zig-zags at right angles. Backtracking accepts the first
# of :math:`1, \tfrac12, \tfrac14, \dots` that decreases :math:`f` enough:
# its steps vary, and some overshoot the valley floor. The fixed step
# :math:`1/L` removes the steep :math:`x_2` component in its first step
# (:math:`1 - 0.1 \cdot 10 = 0`) and then creeps along the valley, shrinking
# :math:`x_1` by the factor 0.9 per step.
fig, ax = subplots(figsize=(10, 3.4))
plot_contour_path(
    f,
    list(runs.values()),
    ax=ax,
    labels=list(runs),
    bounds=((-1, 11), (-2, 2)),
    x_true=[0.0, 0.0],
)
ax.set_aspect("equal")

# %%
# Progress and cost
# -----------------
# Left: :math:`f(x_k)` against the iteration; right: the step each line
# search accepted. Here the exact search is not the fastest: its steps repeat
# the same worst-case pattern, while the irregular Armijo steps break it, so
# backtracking needs fewer iterations and far fewer evaluations of
# :math:`f`: the best step for one iteration is not the best for the run.
# Both searches need fewer iterations than the fixed step, which in turn is
# the cheapest in evaluations; but it needs the curvature bound :math:`L`,
# which a line search finds out by itself.
fig, (left, right) = subplots(1, 2, figsize=(10, 3.8))
plot_convergence(
    list(runs.values()), ax=left, labels=list(runs), quantity="fun", f_min=0.0
)
for name, marker in (("exact line search", "o"), ("Armijo backtracking", "s")):
    right.plot(
        runs[name].extra["steps"],
        marker,
        ls="-",
        lw=0.8,
        ms=4,
        mfc="none",
        label=name,
    )
right.axhline(0.1, color="0.3", ls=":", label=r"fixed step $1/L = 0.1$")
right.set_xlabel("iteration $k$")
right.set_ylabel(r"accepted step $\alpha_k$")
right.legend(fontsize="small")
right.grid(True, alpha=0.3)
plt.show()
