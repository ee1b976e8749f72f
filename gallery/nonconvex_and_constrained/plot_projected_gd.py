r"""
Constraints: projection or a change of variables
================================================

Two ways to minimize :math:`f(x) = \tfrac12 (x - c)^T A (x - c)` over a
constraint set in the plane. *Projected gradient descent* follows each
gradient step by the projection back onto the set. For the unit circle
:math:`\|x\|_2 = 1` the lecture's *reparametrization* writes
:math:`x = (\cos\theta, \sin\theta)` and minimizes
:math:`g(\theta) = f(\cos\theta, \sin\theta)` without constraints. The unit
disk is convex and its minimizer here is the interior point :math:`c`; the
circle is not convex, and :math:`g` has two local minima.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# The objective
# -------------
# :math:`A = \begin{pmatrix} 2 & 1 \\ 1 & 3 \end{pmatrix}` and
# :math:`c = (0.3, 0.2)`, inside the unit disk.
import math

import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import (
    COLORS,
    plot_contour_path,
    plot_objective_1d,
    subplots,
)

A = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
c = torch.tensor([0.3, 0.2], dtype=torch.float64)


def f(x):
    d0, d1 = x[..., 0] - c[0], x[..., 1] - c[1]
    return 0.5 * (A[0, 0] * d0**2 + 2 * A[0, 1] * d0 * d1 + A[1, 1] * d1**2)


# %%
# Three runs from the same start
# ------------------------------
# :func:`numopt.projected_gradient_descent` takes the projection as an
# argument: :func:`numopt.project_ball` for the disk,
# :func:`numopt.project_circle` (:math:`x / \|x\|`) for the circle.
# :func:`numopt.minimize_on_circle` runs gradient descent on :math:`\theta`.
# On the disk the minimizer is :math:`c`, where :math:`\nabla f = 0`; on the
# circle :math:`\nabla f \ne 0` at the solution, it is only perpendicular to
# the circle, so the projected method measures convergence by the *gradient
# mapping* instead.
x0 = torch.tensor([-1.2, 1.2], dtype=torch.float64)
disk = numopt.projected_gradient_descent(
    f, x0, project=numopt.project_ball, lr=0.1, tol=1e-8
)
circle = numopt.projected_gradient_descent(
    f, x0, project=numopt.project_circle, lr=0.1, tol=1e-8
)
theta = numopt.minimize_on_circle(
    f, math.atan2(x0[1], x0[0]), lr=0.1, tol=1e-8
)
for name, res in (
    ("disk, projected", disk),
    ("circle, projected", circle),
    ("circle, angle", theta),
):
    print(
        f"{name:>18}: x = ({res.x[0].item():8.5f}, {res.x[1].item():8.5f}), "
        f"f = {res.fun:.5f}, {res.nit} iterations"
    )

# %%
# A local minimum on the circle
# -----------------------------
# Both circle methods agree, but evaluating :math:`g` on a fine grid of
# angles shows that they found the higher of its two local minima. A second
# start on the other side of the circle finds the global one: on a
# non-convex set, as for a non-convex function, the start matters.
angles = torch.linspace(-math.pi, math.pi, 100_001, dtype=torch.float64)
values = f(torch.stack((angles.cos(), angles.sin()), dim=-1))
best = values.argmin()
print(
    f"grid minimum of g: theta = {angles[best].item():.4f}, "
    f"g = {values[best].item():.5f}"
)
theta2 = numopt.minimize_on_circle(f, -1.0, lr=0.1, tol=1e-8)
print(
    f"from theta0 = -1: theta = {theta2.extra['theta']:.4f}, "
    f"g = {theta2.fun:.5f}"
)

# %%
# The paths in the plane
# ----------------------
# The first projection puts the start on the disk (or circle); the disk's
# path then heads for :math:`c`, the circle's paths slide along the circle.
ax = plot_contour_path(
    f,
    [disk, circle, theta],
    bounds=((-1.5, 1.5), (-1.5, 1.5)),
    labels=["disk, projected", "circle, projected", r"circle, angle $\theta$"],
    levels=25,
)
t = torch.linspace(0, 2 * math.pi, 400)
ax.plot(t.cos(), t.sin(), color="black", lw=1.2)
ax.plot(*c.tolist(), "P", ms=11, color=COLORS[4], mec="black", label="$c$")
ax.plot(
    x0[0], x0[1], "o", ms=6, color="black", label="start before projection"
)
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
ax.set_aspect("equal")


# %%
# The reparametrized problem
# --------------------------
# :math:`g(\theta)` over one turn, with the iterates of both angle runs: two
# valleys, and each run descends into the one it starts in.
def g(angle):
    return f(torch.stack((torch.cos(angle), torch.sin(angle)), dim=-1))


fig, axes = subplots(1, 2, figsize=(10, 3.6), sharey=True)
for ax, res in zip(axes, (theta, theta2), strict=True):
    start = res.extra["theta_path"][0].item()
    plot_objective_1d(
        g,
        res.extra["theta_path"],
        ax=ax,
        bounds=(-math.pi, math.pi),
        title=rf"$g(\theta)$ from $\theta_0 = {start:.2f}$",
        name="g",
        var=r"\theta",
    )
plt.show()
