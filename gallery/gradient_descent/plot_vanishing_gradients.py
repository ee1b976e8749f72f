r"""
Vanishing gradients: stuck on a plateau
=======================================

Far from its centre, :math:`\tanh` is almost flat: its derivative
:math:`1 - \tanh^2 x` is tiny, so gradient descent takes tiny steps. This
example runs gradient descent on :math:`f(x) = \tanh x`, as the lecture
does, from :math:`x_0 = 4` on the plateau and from :math:`x_0 = 1` on the
slope. Note that :math:`\tanh` has no minimizer: its infimum :math:`-1` is
approached as :math:`x \to -\infty` but never attained. The example shows
how a plateau slows progress, not convergence to a minimum.

Runs with ``numopt`` and ``torch==2.13.0``; :ref:`Running these examples
<gallery-running>` on the gallery page says how to install them.
"""

# %%
# The derivative at the start
# ---------------------------
# Autograd gives :math:`f'(4) = 1 - \tanh^2 4`:
import matplotlib.pyplot as plt
import torch

import numopt
from numopt.plotting import (
    COLORS,
    plot_convergence,
    plot_objective_1d,
    subplots,
)

x = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)
torch.tanh(x).backward()
print(
    f"f'(4) = {x.grad.item():.7f}   "
    f"(1 - tanh(4)^2 = {1 - torch.tanh(x).item() ** 2:.7f})"
)

# %%
# Two starts, 2000 steps each
# ---------------------------
# With step size 1, the run from 4 creeps for hundreds of iterations before
# it reaches the slope; the run from 1 is there at once. Both then cross to
# the other plateau, where the gradient vanishes again and the iterates
# drift towards :math:`-\infty` ever more slowly.
runs = {
    x0: numopt.gradient_descent(torch.tanh, x0, lr=1.0, max_iter=2000)
    for x0 in (4.0, 1.0)
}
for x0, res in runs.items():
    first_negative = int((res.path < 0).nonzero()[0])
    print(
        f"start {x0}: first x_k < 0 at k = {first_negative:3d}; "
        f"after {res.nit} steps"
    )
    slope = 1 - res.fun**2  # tanh' = 1 - tanh^2
    print(f"  x = {res.x.item():.3f}, f'(x) = {slope:.1e} ({res.status.name})")

# %%
# A plateau fools the stopping test
# ---------------------------------
# A solver stops when the gradient is small. From :math:`x_0 = 4.5`, where
# :math:`f'(4.5) \approx 4.9 \cdot 10^{-4}`, a tolerance of :math:`10^{-3}`
# reports success before taking a single step, at a point that is no
# minimizer.
early = numopt.gradient_descent(torch.tanh, 4.5, lr=1.0, tol=1e-3)
print(
    f"start 4.5, tol 1e-3: success = {early.success} after {early.nit} steps, "
    f"gradient norm {early.grad_norm:.1e}"
)

# %%
# The path on the graph of :math:`\tanh`
# --------------------------------------
# The iterates from 4 pile up on the right plateau, cross the slope in a few
# large steps, and pile up again on the left.
ax = plot_objective_1d(
    torch.tanh,
    runs[4.0],
    bounds=(-6, 6),
    title=r"gradient descent on $\tanh x$ from $x_0 = 4$, step 1",
)

# %%
# Position and gradient against the iteration
# -------------------------------------------
# Left: :math:`x_k`. Right: :math:`|f'(x_k)|` on a log scale. The run from 4
# spends about 370 iterations with a gradient near :math:`10^{-3}` before the
# spike where it crosses the slope. Good initialization (the run from 1)
# removes the first plateau, not the second, where both runs end with
# gradients that keep shrinking.
fig, (left, right) = subplots(1, 2, figsize=(10, 3.8))
for (x0, res), color, style in zip(
    runs.items(), COLORS, ("-", "--"), strict=False
):
    left.plot(res.path, style, color=color, label=f"start $x_0 = {x0:g}$")
left.set_xlabel("iteration $k$")
left.set_ylabel("$x_k$")
left.grid(True, alpha=0.3)
left.legend()
plot_convergence(
    list(runs.values()),
    ax=right,
    quantity="grad_norm",
    f=torch.tanh,
    labels=[f"start $x_0 = {x0:g}$" for x0 in runs],
)
plt.show()
