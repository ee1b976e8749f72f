r"""
Checking convexity numerically
==============================

A function is convex when every chord lies on or above its graph:
:math:`f(\theta x + (1-\theta) y) \le \theta f(x) + (1-\theta) f(y)` for all
:math:`x, y` and :math:`\theta \in [0, 1]`. Sampling many pairs and weights
cannot prove convexity, but one violation disproves it.
``numopt.convexity`` tests the definition and the first- and second-order
conditions this way. Here they are applied to the lecture's two examples,
:math:`|x| + (x - 5)^2` (convex) and :math:`x \cos 4x + 2|x|` (not convex),
and to two smooth functions, :math:`x^4` and Rosenbrock's.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# The definition
# --------------
# :func:`numopt.convexity.check_definition` samples 2000 pairs and weights in
# a box and reports the worst case. No violation on the convex function;
# hundreds on the non-convex one, the worst by more than 7.
import matplotlib.pyplot as plt

from numopt.convexity import (
    check_definition,
    check_first_order,
    check_second_order,
)
from numopt.plotting import plot_chord, plot_tangent, subplots
from numopt.problems import abs_quadratic, rosenbrock, wavy_abs

convex = check_definition(abs_quadratic, -5.0, 10.0)
wavy = check_definition(wavy_abs, -5.0, 5.0)
print(convex)
print(wavy)

# %%
# Chords
# ------
# Left: a chord of the convex function lies above the graph (green). Right:
# the worst chord found for the non-convex one; between its ends the graph
# rises above it (hatched), which the definition forbids.
worst = wavy.counterexample
fig, (left, right) = subplots(1, 2, figsize=(11, 3.8))
plot_chord(abs_quadratic, -2.0, 8.0, ax=left)
left.set_title(r"$|x| + (x - 5)^2$: convex")
plot_chord(wavy_abs, worst.x.item(), worst.y.item(), ax=right)
right.set_title(r"$x \cos 4x + 2|x|$: the worst chord found")

# %%
# The first-order condition
# -------------------------
# A differentiable convex function lies above each of its tangents:
# :math:`f(y) \ge f(x) + f'(x)(y - x)`.
# :func:`numopt.convexity.check_first_order` samples pairs :math:`x, y`; on
# the non-convex function many tangents cut through the graph.
print(check_first_order(abs_quadratic, 0.5, 10.0))
print(check_first_order(wavy_abs, -5.0, 5.0))
fig, (left, right) = subplots(1, 2, figsize=(11, 3.8))
plot_tangent(abs_quadratic, 7.0, ax=left, bounds=(0.5, 10.0))
left.set_title(r"$|x| + (x - 5)^2$: tangent at 7")
plot_tangent(wavy_abs, 2.0, ax=right, bounds=(-1.0, 5.0))
right.set_title(r"$x \cos 4x + 2|x|$: tangent at 2")

# %%
# The second-order condition
# --------------------------
# A twice differentiable function on an open convex set is convex exactly
# when its Hessian is positive semidefinite everywhere (in 1-D:
# :math:`f''(x) \ge 0`, not :math:`> 0`).
# :func:`numopt.convexity.check_second_order` looks for the smallest
# Hessian eigenvalue at random points. For :math:`x^4` it is never negative,
# though it comes close to 0 near :math:`x = 0`, where :math:`f''(0) = 0`;
# yet :math:`x^4` is *strictly* convex (its derivative :math:`4x^3` is
# strictly increasing), and the strict version of the sampled definition
# finds no violation: a positive definite Hessian is sufficient for strict
# convexity, not necessary. Rosenbrock's function fails the test.
print(check_second_order(lambda x: x**4, -2.0, 2.0))
print(check_definition(lambda x: x**4, -2.0, 2.0, strict=True))
print(check_second_order(rosenbrock, [-2.0, -1.0], [2.0, 3.0]))
plt.show()
