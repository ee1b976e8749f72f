r"""
Watching gradient descent move
==============================

An animation of gradient descent on Himmelblau's function
:math:`f(x) = (x_1^2 + x_2 - 11)^2 + (x_1 + x_2^2 - 7)^2`, which has four
global minimizers, all with :math:`f = 0`, around a local maximum near
:math:`(-0.27, -0.92)`. Which minimizer gradient descent reaches depends only
on where it starts: four nearby starts end in four different minimizers.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# One run, animated
# -----------------
# :func:`numopt.plotting.animate_path` draws the contours once and then the
# iterates one frame at a time; the title shows the iteration and
# :math:`f(x_k)`. Keeping the animation in a variable (``anim``) lets the
# gallery embed it; in a notebook, display it with
# ``IPython.display.HTML(anim.to_jshtml())``.
import matplotlib.pyplot as plt

import numopt
from numopt.plotting import animate_path, plot_contour_path, subplots
from numopt.problems import get_problem

problem = get_problem("himmelblau")
res = numopt.gradient_descent(problem.f, [0.0, 0.0], lr=0.005)
print(res)
# 20 small frames keep the page light
fig, _ = subplots(figsize=(6.4, 4.6), dpi=80)
anim = animate_path(
    problem.f, res, bounds=problem.bounds, fig=fig, max_frames=20, interval=250
)

# %%
# Four starts, four minimizers
# ----------------------------
# Starts a little apart, on different sides of the local maximum, flow
# downhill into different valleys. Gradient descent finds *a* minimizer, the
# one whose basin of attraction holds the start; here every one is global,
# but on a function with local minima some starts would end in those.
starts = [[0.0, 0.0], [-1.0, 0.5], [1.0, -1.0], [-1.0, -1.0]]
runs = [numopt.gradient_descent(problem.f, x0, lr=0.005) for x0 in starts]
for x0, run in zip(starts, runs, strict=True):
    print(
        f"start {x0} -> x = ({run.x[0].item():6.3f}, {run.x[1].item():6.3f}) "
        f"in {run.nit} steps"
    )
ax = plot_contour_path(
    problem.f,
    runs,
    bounds=problem.bounds,
    levels=40,
    labels=[f"start ({a:g}, {b:g})" for a, b in starts],
    x_true=problem.minimizers,
)
ax.set_aspect("equal")
ax.set_title("Himmelblau's function: where gradient descent ends")
plt.show()
