r"""
Coordinate descent: one coordinate at a time
============================================

Coordinate descent changes one variable per iteration, here cyclically
:math:`x_1, x_2, x_1, \dots`, so its path is a staircase of moves parallel to
the axes. With an exact minimization along each coordinate it needs no step
size; with a fixed coordinate step it does. On a smooth convex function it
converges; on a non-smooth one it can stop far from the minimizer.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# A smooth convex quadratic
# -------------------------
# :math:`f(x) = x_1^2 + x_1 x_2 + x_2^2` has its minimizer at the origin.
# :func:`numopt.coordinate_descent` with ``rule="exact"`` minimizes :math:`f`
# along each coordinate; ``rule="step"`` takes a gradient step of size
# ``lr`` on it instead, which needs a good ``lr`` like gradient descent does:
# 0.3 converges, 1.1 diverges (the coordinate curvature is 2, so the limit
# is :math:`2/2 = 1`).
import matplotlib.pyplot as plt

import numopt
from numopt.plotting import plot_contour_path


def f(x):
    return x[..., 0] ** 2 + x[..., 0] * x[..., 1] + x[..., 1] ** 2


x0 = [2.0, -2.5]
runs = {
    "exact": numopt.coordinate_descent(f, x0, rule="exact", tol=1e-8),
    "step 0.3": numopt.coordinate_descent(
        f, x0, rule="step", lr=0.3, tol=1e-8
    ),
    "step 1.1": numopt.coordinate_descent(
        f, x0, rule="step", lr=1.1, max_iter=40
    ),
}
gd = numopt.gradient_descent(f, x0, lr=0.3, tol=1e-8)
for name, res in runs.items():
    print(
        f"coordinate descent, {name:>8}: {res.nit:3d} updates, "
        f"f(x) = {res.fun:9.3g}, {res.status.name}"
    )
print(
    f"gradient descent, lr 0.3:       {gd.nit:3d} updates, "
    f"f(x) = {gd.fun:9.3g}"
)

# %%
# The staircase
# -------------
# Coordinate descent moves parallel to the axes and reaches the minimizer in
# about as many updates as gradient descent needs (which changes both
# coordinates at once).
ax = plot_contour_path(
    f,
    [runs["exact"], gd],
    bounds=((-3, 3), (-3, 3)),
    labels=["coordinate descent (exact)", "gradient descent"],
    x_true=[0.0, 0.0],
)
ax.set_aspect("equal")
ax.set_title(r"$f(x) = x_1^2 + x_1 x_2 + x_2^2$")

# %%
# A non-smooth function
# ---------------------
# :math:`h(x) = |x_1 - x_2| + 0.1\,(x_1 + x_2 - 2)^2` is convex with minimizer
# :math:`(1, 1)`, but has a kink along the diagonal :math:`x_1 = x_2`. From
# :math:`(3, 2)` the first update lands on the diagonal at :math:`(2, 2)`.
# There, moving either coordinate alone increases :math:`h`: the kink costs
# more than the quadratic gains. The run stops, after a full sweep without
# progress, at a point that is not a minimizer.


def h(x):
    return (x[..., 0] - x[..., 1]).abs() + 0.1 * (
        x[..., 0] + x[..., 1] - 2
    ) ** 2


stuck = numopt.coordinate_descent(h, [3.0, 2.0], rule="exact", tol=1e-8)
print(
    f"stopped at {[round(v, 6) for v in stuck.x.tolist()]} "
    f"with h = {stuck.fun:.3f} ({stuck.status.name})"
)
print("the minimum is h(1, 1) = 0")

# %%
# The stall
# ---------
# The kink is the diagonal, where the contours of :math:`h` have corners.
# Coordinate descent stops on it at :math:`(2, 2)`, although :math:`h`
# decreases along the diagonal towards :math:`(1, 1)`: that direction is not
# a coordinate direction.
ax = plot_contour_path(
    h,
    stuck,
    bounds=((0, 4), (0, 4)),
    labels=["coordinate descent (exact)"],
    x_true=[1.0, 1.0],
)
ax.set_aspect("equal")
ax.set_title(r"$h(x) = |x_1 - x_2| + 0.1\,(x_1 + x_2 - 2)^2$")
plt.show()
