r"""
Momentum and Nesterov's acceleration
====================================

Momentum keeps a running velocity, :math:`v_{k+1} = \beta v_k - \alpha \nabla
f(x_k)`, :math:`x_{k+1} = x_k + v_{k+1}`: along a narrow valley the gradients
agree and the steps build up, across it they alternate and cancel. Nesterov's
variant evaluates the gradient at the look-ahead point :math:`x_k + \beta
v_k`. On a quadratic with condition number :math:`\kappa = 100` both need
about :math:`\sqrt\kappa = 10` times fewer iterations than gradient descent.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# An ill-conditioned quadratic
# ----------------------------
# :math:`f(x) = \tfrac12 x^T A x` with eigenvalues :math:`\mu = 1` and
# :math:`L = 100`, rotated by 30 degrees so that the valley is not aligned
# with an axis.
import math

import matplotlib.pyplot as plt
import torch

import numopt
from numopt.convexity import hessian_eigenvalues
from numopt.plotting import plot_contour_path, plot_convergence

c, s = math.cos(math.radians(30)), math.sin(math.radians(30))
R = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
A = R @ torch.diag(torch.tensor([1.0, 100.0], dtype=torch.float64)) @ R.T


def f(x):
    return 0.5 * (
        A[0, 0] * x[..., 0] ** 2
        + 2 * A[0, 1] * x[..., 0] * x[..., 1]
        + A[1, 1] * x[..., 1] ** 2
    )


mu, L = hessian_eigenvalues(f, [0.0, 0.0]).tolist()
kappa = L / mu
print(
    f"mu = {mu:.3g}, L = {L:.3g}, kappa = {kappa:.3g}, "
    f"sqrt(kappa) = {kappa**0.5:.3g}"
)

# %%
# Three methods with the same step
# --------------------------------
# All three take the step :math:`\alpha = 1/L`; heavy ball (Polyak's
# momentum, :func:`numopt.momentum`) and Nesterov (:func:`numopt.nesterov`)
# take the momentum :math:`\beta = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`, the
# textbook choice for Nesterov's method. Nesterov's method evaluates the
# gradient twice per update, at the look-ahead point for the step and at the
# new iterate for the stopping test; ``nfev`` counts both.
x0 = [-2.0, 1.6]
beta = (kappa**0.5 - 1) / (kappa**0.5 + 1)
runs = {
    "gradient descent": numopt.gradient_descent(
        f, x0, lr=1 / L, tol=1e-8, max_iter=5000
    ),
    "heavy ball": numopt.momentum(
        f, x0, lr=1 / L, beta=beta, tol=1e-8, max_iter=5000
    ),
    "Nesterov": numopt.nesterov(
        f, x0, lr=1 / L, beta=beta, tol=1e-8, max_iter=5000
    ),
}
print(f"beta = {beta:.4f}")
for name, res in runs.items():
    print(f"{name:>16}: {res.nit:4d} iterations, nfev = {res.nfev:4d}")

# %%
# The first 40 iterations
# -----------------------
# Gradient descent with :math:`\alpha = 1/L` removes the steep component at
# once and then creeps along the valley floor; after 40 iterations it has
# covered about a third of the way along it (the factor
# :math:`(1 - \mu/L)^{40} = 0.99^{40} \approx 0.67` remains). The velocity
# carries the momentum methods along the valley much faster. Heavy ball
# overshoots and swings across the valley; Nesterov's look-ahead gradient
# damps the swings.
ax = plot_contour_path(
    f,
    [res.path[:41] for res in runs.values()],
    labels=list(runs),
    bounds=((-2.5, 2.5), (-2.5, 2.5)),
    x_true=[0.0, 0.0],
    levels=25,
)
ax.set_aspect("equal")
ax.set_title("the first 40 iterations")

# %%
# Convergence
# -----------
# Gradient descent's error shrinks by about :math:`1 - 1/\kappa` per step,
# the accelerated methods' by about :math:`1 - 1/\sqrt\kappa`: about ten
# times fewer iterations here. The error of heavy ball is not monotone, as the
# swings in its path show.
ax = plot_convergence(
    list(runs.values()), labels=list(runs), x_true=[0.0, 0.0]
)
ax.set_title(rf"$\kappa = {kappa:g}$")
plt.show()
