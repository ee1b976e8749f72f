r"""
Forward and reverse mode on the lecture's example
=================================================

Automatic differentiation of
:math:`f(x_1, x_2) = \ln x_1 + x_1 x_2 - \sin x_2` at :math:`(2, 5)`, with the
teaching engine ``numopt.autodiff``. Forward mode pushes a tangent
:math:`\dot v_i` along with every value and yields one directional
derivative per pass: two passes for the two partial derivatives. Reverse
mode records the evaluation, then sweeps adjoints :math:`\bar v_i =
\partial y / \partial v_i` backwards and yields the whole gradient in one
pass. The trace tables show every intermediate number; the graphs show the
same computation as evaluation and adjoint graphs.

Runs with ``numopt`` and ``torch==2.13.0``, and Graphviz's ``dot`` program
for the graphs; :ref:`Running these examples <gallery-running>` on the
gallery page says how to install them.
"""

# %%
# The function
# ------------
# :func:`numopt.autodiff.lecture_example` computes one intermediate variable
# per line, in the order of the lecture's table:
# :math:`v_1 = \ln v_{-1}`, :math:`v_2 = v_{-1} v_0`, :math:`v_3 = \sin v_0`,
# :math:`v_4 = v_1 + v_2`, :math:`v_5 = v_4 - v_3`, with the inputs
# :math:`v_{-1} = x_1` and :math:`v_0 = x_2`.
import io

import matplotlib.pyplot as plt
import torch

from numopt.autodiff import forward, graph, lecture_example, reverse
from numopt.plotting import subplots

point = [2.0, 5.0]

# %%
# Forward mode, seed :math:`\dot x = (1, 0)`
# ------------------------------------------
# The tangent column carries :math:`\partial v_i / \partial x_1`; its last
# entry is :math:`\partial f / \partial x_1 = 1/x_1 + x_2 = 5.5`.
along_x1 = forward(lecture_example, point, [1.0, 0.0])
print(along_x1.trace)
print(f"df/dx1 = {along_x1.derivative:.4f}")

# %%
# Forward mode, seed :math:`\dot x = (0, 1)`
# ------------------------------------------
# A second pass, with the other seed, gives
# :math:`\partial f / \partial x_2 = x_1 - \cos x_2`. A function of
# :math:`n` inputs needs :math:`n` forward passes for its gradient.
along_x2 = forward(lecture_example, point, [0.0, 1.0])
print(along_x2.trace)
print(f"df/dx2 = {along_x2.derivative:.4f}")

# %%
# Reverse mode: one pass, the whole gradient
# ------------------------------------------
# The adjoint column is filled from the bottom up, starting from
# :math:`\bar v_5 = 1`; an input's adjoint is its partial derivative. One
# sweep gives the whole gradient, whatever the number of inputs, and costs a
# small multiple of one evaluation of :math:`f`; that is why training a
# network with millions of parameters uses reverse mode (backpropagation).
rev = reverse(lecture_example, point)
print(rev.trace)
print(f"gradient = ({rev.grad[0]:.4f}, {rev.grad[1]:.4f})")

# %%
# The same numbers from PyTorch
# -----------------------------
# ``torch.autograd`` is reverse mode too; it agrees with both engines.
x = torch.tensor(point, dtype=torch.float64, requires_grad=True)
y = torch.log(x[0]) + x[0] * x[1] - torch.sin(x[1])
y.backward()
print(
    f"torch: f = {y.item():.4f}, gradient = ({x.grad[0].item():.4f}, "
    f"{x.grad[1].item():.4f})"
)

# %%
# The graphs
# ----------
# :func:`numopt.autodiff.graph` returns a :class:`graphviz.Digraph`. Here it
# is rendered to PNG with Graphviz and shown as an image, so that it appears
# in a figure (in a notebook, the ``Digraph`` also displays itself). Top: the
# evaluation graph, left to right, with the values :math:`v_i`. Bottom: the
# adjoint graph, right to left, each edge labelled with the local partial
# :math:`\partial v_i / \partial v_j` by which the adjoint of :math:`v_i`
# contributes to that of :math:`v_j`.


def show(digraph, ax, title):
    digraph.graph_attr["dpi"] = "150"
    ax.imshow(plt.imread(io.BytesIO(digraph.pipe(format="png"))))
    ax.set_axis_off()
    ax.set_title(title)


fig, (top, bottom) = subplots(2, 1, figsize=(8, 5.2))
show(graph(rev.trace, mode="forward"), top, "evaluation graph (values)")
show(
    graph(rev.trace, mode="reverse"),
    bottom,
    "adjoint graph (adjoints, local partials)",
)
plt.show()
