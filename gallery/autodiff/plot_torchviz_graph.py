r"""
The graph PyTorch records
=========================

Every operation on a tensor with ``requires_grad=True`` adds a node to
PyTorch's autograd graph; ``backward()`` walks that graph from the output to
the leaves, which is reverse mode.
:func:`numopt.autodiff.torch_graph.torch_graph` draws the graph with
torchviz: first for the lecture's example
:math:`f(x_1, x_2) = \ln x_1 + x_1 x_2 - \sin x_2`, then for the loss of a
small linear model, where the leaves are the model's parameters.

Runs with ``numopt`` and ``torch==2.13.0``, plus ``torchviz`` and Graphviz's
``dot`` program; :ref:`Running these examples <gallery-running>` on the
gallery page says how to install them.
"""

# %%
# The lecture's example in PyTorch
# --------------------------------
# The two inputs are leaf tensors that require gradients; ``y`` carries a
# ``grad_fn``, the last node of the recorded graph.
import io

import matplotlib.pyplot as plt
import torch

from numopt.autodiff import lecture_example, reverse
from numopt.autodiff.torch_graph import torch_graph
from numopt.plotting import subplots

x1 = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
x2 = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
y = torch.log(x1) + x1 * x2 - torch.sin(x2)
print(f"y = {y.item():.4f}, y.grad_fn = {y.grad_fn.name()}")

# %%
# Drawing the graph
# -----------------
# The leaves ``x1`` and ``x2`` (blue) are at the top, the output ``y``
# (green) at the bottom, and each grey box in between is the backward
# function of one operation (``LogBackward0``, ``MulBackward0``,
# ``SinBackward0``, ...); ``AccumulateGrad`` stores a gradient in a leaf's
# ``.grad``. The backward pass walks the graph from the bottom up. Both
# leaves feed two operations, so two gradient contributions add up at each,
# as the adjoints do in the lecture's reverse sweep. The Digraph is
# rendered to PNG with Graphviz and shown as an image; in a notebook,
# ``dot`` alone displays itself as SVG.
dot = torch_graph(y, {"x1": x1, "x2": x2, "y": y})


def show(digraph, ax):
    digraph.graph_attr["dpi"] = "150"
    ax.imshow(plt.imread(io.BytesIO(digraph.pipe(format="png"))))
    ax.set_axis_off()


fig, ax = subplots(figsize=(5, 5.5))
show(dot, ax)

# %%
# The backward pass
# -----------------
# ``y.backward()`` traverses exactly this graph. The gradient agrees with
# the teaching engine's reverse mode (:func:`numopt.autodiff.reverse`).
y.backward()
print(f"torch:          grad = ({x1.grad.item():.4f}, {x2.grad.item():.4f})")
grad = reverse(lecture_example, [2.0, 5.0]).grad
print(f"numopt reverse: grad = ({grad[0]:.4f}, {grad[1]:.4f})")

# %%
# A model's loss
# --------------
# For a linear model :math:`\hat y = X w + b` with the mean squared error
# loss, passing the module names the leaves after its parameters
# (``weight``, ``bias``); the output at the bottom is the loss. The data
# tensors need no gradient and do not appear. ``TBackward0`` is the
# transpose of the weight and ``AddmmBackward0`` the fused :math:`Xw^T + b`
# of ``nn.Linear``.
torch.manual_seed(0)
model = torch.nn.Linear(3, 1)
X, target = torch.randn(8, 3), torch.randn(8, 1)
loss = ((model(X) - target) ** 2).mean()
fig, ax = subplots(figsize=(5, 6))
show(torch_graph(loss, model), ax)
loss.backward()
print(
    f"loss = {loss.item():.4f}; d loss / d bias = {model.bias.grad.item():.4f}"
)
plt.show()
