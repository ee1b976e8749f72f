r"""
Newton's method versus gradient descent
=======================================

Newton's method corrects the gradient step by the local second derivative:
it solves :math:`\nabla^2 f(x_k)\, d_k = -\nabla f(x_k)` and steps along
:math:`d_k`. On Rosenbrock's banana-shaped valley it reaches the minimizer
:math:`(1, 1)` in a couple of dozen iterations, where gradient descent is
still crawling along the valley floor after 2000. Near a saddle point,
though, the pure Newton step is attracted to the saddle; the safeguarded
method notices the indefinite Hessian and escapes.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# Rosenbrock's function
# ---------------------
# :math:`f(x) = (1 - x_1)^2 + 100 (x_2 - x_1^2)^2` from the classic start
# :math:`(-1.2, 1)`. :func:`numopt.newton` computes the Hessian with
# ``torch.func`` and damps its steps by Armijo backtracking. Gradient
# descent with a fixed step is stable near the minimizer only if the step is
# below :math:`2 / \lambda_{\max}`, the largest eigenvalue of the Hessian
# there: the steep walls of the valley allow only small steps. We take half
# of that bound.
import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import plot_contour_path, plot_convergence, subplots
from numopt.problems import get_problem

problem = get_problem("rosenbrock")
hessian_at_min = torch.func.hessian(problem.f)(
    torch.ones(2, dtype=torch.float64)
)
lam_max = torch.linalg.eigvalsh(hessian_at_min).max().item()
lr = round(1 / lam_max, 4)
print(f"lambda_max = {lam_max:.1f}: stable steps alpha < {2 / lam_max:.5f}")
newton = numopt.newton(problem.f, problem.x0)
gd = numopt.gradient_descent(problem.f, problem.x0, lr=lr, max_iter=2000)
for res in (newton, gd):
    print(
        f"{res.method:>6}: {res.nit:4d} iterations, "
        f"x = ({res.x[0].item():.6f}, {res.x[1].item():.6f}), "
        f"{res.status.name}"
    )

# %%
# Quadratic convergence
# ---------------------
# Close to the minimizer each Newton step roughly squares the error: the
# number of correct digits doubles.
errors = (newton.path - 1.0).norm(dim=1)
for k in range(newton.nit - 4, newton.nit + 1):
    print(f"k = {k:2d}: |x_k - x*| = {errors[k].item():.3e}")

# %%
# The paths in the valley
# -----------------------
# Both methods first descend into the curved valley; gradient descent then
# follows its floor in tiny steps, while Newton's steps bend with it.
ax = plot_contour_path(
    problem.f,
    [newton, gd],
    bounds=((-1.5, 1.5), (-0.5, 1.5)),
    labels=["Newton", rf"gradient descent, $\alpha = {lr}$"],
    log_levels=True,
    x_true=problem.minimizers,
)
ax.set_title("Rosenbrock's function")

# %%
# Error against iteration
# -----------------------
# The iteration axis is linear up to 10 and logarithmic beyond, so that both
# runs fit on one plot: Newton's error drops off a cliff, gradient descent's
# barely moves.
ax = plot_convergence(
    [newton, gd],
    x_true=problem.minimizers,
    labels=["Newton", "gradient descent"],
)
ax.set_xlim(0, gd.nit)
ax.set_xscale("symlog", linthresh=10)

# %%
# Near a saddle point
# -------------------
# :math:`g(x) = x_1^2 - x_2^2 + x_2^4/4` has a saddle point at the origin
# (Hessian eigenvalues 2 and -2) and minimizers :math:`(0, \pm\sqrt 2)`.
# Pure Newton (no line search, no fallback) solves :math:`\nabla g = 0` and
# goes to the saddle, which is as stationary as a minimizer. With the
# safeguards on, the first Hessian is indefinite, so the solver shifts it
# until it is positive definite (a *modified* Newton direction) and descends
# to a minimizer.


def g(x):
    return x[..., 0] ** 2 - x[..., 1] ** 2 + x[..., 1] ** 4 / 4


pure = numopt.newton(g, [1.0, 0.5], line_search=False, fallback=False)
safe = numopt.newton(g, [1.0, 0.5])
print(f"pure Newton:        x = {[round(v, 6) for v in pure.x.tolist()]}")
print(f"safeguarded Newton: x = {[round(v, 6) for v in safe.x.tolist()]}")
print(f"  its directions: {safe.extra['directions']}")
fig, ax = subplots(figsize=(7, 4))
plot_contour_path(
    g,
    [pure, safe],
    ax=ax,
    bounds=((-1.5, 1.5), (-2.0, 2.0)),
    labels=["pure Newton", "safeguarded Newton"],
    x_true=[[0.0, 2**0.5], [0.0, -(2**0.5)]],
)
ax.plot(
    0, 0, "o", ms=9, mfc="none", mec="black", mew=1.5, label="saddle point"
)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
ax.set_aspect("equal")
plt.show()
