r"""
Conditioning: why gradient descent zig-zags
===========================================

The condition number of a symmetric positive definite matrix is the ratio of
its largest to its smallest eigenvalue, :math:`\kappa = \lambda_{\max} /
\lambda_{\min}`. For gradient descent the matrix that matters is the Hessian
of the objective. This example runs gradient descent on three quadratics
:math:`f(x) = \tfrac12 x^T A x` whose Hessians :math:`A` have condition
numbers 1, 10 and 50, with the best fixed step for each, and measures how the
number of iterations grows with :math:`\kappa`.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# Three quadratics
# ----------------
# Each :math:`A = R\,\mathrm{diag}(1, \kappa)\,R^T` is a rotation of a diagonal
# matrix, so that the valley is not aligned with the axes. The condition
# number is computed from the Hessian's eigenvalues
# (:func:`numopt.convexity.hessian_eigenvalues`), not taken from the recipe.
import math

import matplotlib.pyplot as plt
import torch

import numopt
from numopt.convexity import hessian_eigenvalues
from numopt.plotting import plot_contour_path, plot_convergence, subplots


def quadratic(kappa, degrees=30):
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    R = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    A = R @ torch.diag(torch.tensor([1.0, kappa], dtype=torch.float64)) @ R.T
    a, b, d = A[0, 0].item(), A[0, 1].item(), A[1, 1].item()

    def f(x):
        return 0.5 * (
            a * x[..., 0] ** 2
            + 2 * b * x[..., 0] * x[..., 1]
            + d * x[..., 1] ** 2
        )

    return f


problems = {kappa: quadratic(kappa) for kappa in (1.0, 10.0, 50.0)}
x0 = [-2.0, 1.6]

# %%
# Gradient descent with the best fixed step
# -----------------------------------------
# With eigenvalues :math:`\mu \le L`, the fixed step :math:`\alpha = 2/(\mu +
# L)` shrinks the error by at least the factor
# :math:`(\kappa - 1)/(\kappa + 1)` per iteration, and no fixed step does
# better: a longer one overshoots along the steep direction, a shorter one
# crawls along the flat one. The iterations needed grow about linearly
# with :math:`\kappa`.
runs, rates = {}, {}
for kappa, f in problems.items():
    mu, L = hessian_eigenvalues(f, [0.0, 0.0]).tolist()
    rates[kappa] = (L / mu - 1) / (L / mu + 1)
    runs[kappa] = numopt.gradient_descent(
        f, x0, lr=2 / (mu + L), tol=1e-8, max_iter=5000
    )
    print(
        f"kappa = L/mu = {L:5.1f}/{mu:.1f} = {L / mu:5.1f}: "
        f"rate {rates[kappa]:.3f}, "
        f"{runs[kappa].nit:4d} iterations to |grad f| <= 1e-8"
    )

# %%
# The paths
# ---------
# With :math:`\kappa = 1` the contours are circles, the gradient points at
# the minimizer and one step suffices. As :math:`\kappa` grows the contours
# stretch into a narrow valley; the gradient points across it, not along it,
# and the iterates zig-zag from wall to wall. (Each panel shows at most the
# first 30 iterations.)
fig, axes = subplots(1, 3, figsize=(11, 3.9))
for ax, (kappa, res) in zip(axes, runs.items(), strict=True):
    plot_contour_path(
        problems[kappa],
        res.path[:31],
        ax=ax,
        bounds=((-2.5, 2.5), (-2.5, 2.5)),
        x_true=[0.0, 0.0],
        levels=20,
    )
    ax.get_legend().remove()
    ax.set_aspect("equal")
    ax.set_title(rf"$\kappa = {kappa:g}$: {res.nit} iterations")

# %%
# Convergence against theory
# --------------------------
# The error :math:`\|x_k - x^\star\|` follows the prediction
# :math:`\bigl((\kappa - 1)/(\kappa + 1)\bigr)^k \|x_0 - x^\star\|` (black
# dotted lines) exactly: with this step both eigen-components of the error
# shrink by that factor at every iteration, the flat one from the same side,
# the steep one changing sign (the zig-zag).
ax = plot_convergence(
    [runs[k] for k in (10.0, 50.0)],
    x_true=[0.0, 0.0],
    labels=[rf"$\kappa = {k:g}$" for k in (10.0, 50.0)],
)
for kappa in (10.0, 50.0):
    k = torch.arange(runs[kappa].nit + 1, dtype=torch.float64)
    predicted = rates[kappa] ** k * math.hypot(*x0)
    ax.plot(
        k,
        predicted,
        color="black",
        ls=":",
        lw=1.2,
        label=rf"$((\kappa-1)/(\kappa+1))^k\,\|x_0\|$, $\kappa = {kappa:g}$",
    )
ax.legend(fontsize="small")
plt.show()
