"""A small automatic differentiation engine on Python floats, for teaching.

Write a function once with ``+ - * / **`` and :func:`log`, :func:`exp`,
:func:`sin`, :func:`cos`, :func:`tanh`; then

* :func:`forward` pushes a tangent along with the values (dual numbers) and
  returns one directional derivative,
* :func:`reverse` records the graph and sweeps adjoints back once, returning
  the whole gradient,

and both return the evaluation :class:`Trace`, printed like the lecture's
tables and drawn by :func:`graph`.

Examples
--------
>>> from numopt.autodiff import forward, reverse, log, sin
>>> def f(x1, x2):
...     v1 = log(x1)
...     v2 = x1 * x2
...     v3 = sin(x2)
...     return v1 + v2 - v3
>>> forward(f, [2.0, 5.0], [1.0, 0.0]).derivative
5.5
>>> [round(g, 4) for g in reverse(f, [2.0, 5.0]).grad]
[5.5, 1.7163]
"""

from numopt.autodiff.examples import lecture_example
from numopt.autodiff.forward import Dual, ForwardResult, forward
from numopt.autodiff.graph import graph
from numopt.autodiff.ops import cos, exp, log, sin, tanh
from numopt.autodiff.reverse import Node, ReverseResult, reverse
from numopt.autodiff.trace import Row, Trace
from numopt.autodiff.variable import Variable

__all__ = [
    "Dual",
    "ForwardResult",
    "Node",
    "ReverseResult",
    "Row",
    "Trace",
    "Variable",
    "cos",
    "exp",
    "forward",
    "graph",
    "lecture_example",
    "log",
    "reverse",
    "sin",
    "tanh",
]
