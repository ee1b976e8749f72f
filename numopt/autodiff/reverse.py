"""Reverse mode: record the graph, then sweep the adjoints back once."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from numopt.autodiff import rules
from numopt.autodiff.trace import Trace
from numopt.autodiff.variable import Tape, Variable, check_inputs, finish


class Node(Variable):
    """A graph node :math:`v_i` that accumulates its adjoint in ``grad``.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`~numopt.autodiff.variable.Variable`.

    Examples
    --------
    >>> from numopt.autodiff.variable import Tape
    >>> x = Node(Tape(1), 3.0, "input", expr="x_1")
    >>> y = x * x + 1
    >>> y.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("grad",)
    parents: tuple[Node, ...]
    grad: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grad = 0.0

    def backward(self) -> None:
        """Set :math:`\\bar y = 1` and propagate adjoints to every ancestor.

        Each node, visited after all nodes that use it, pushes its adjoint to
        its parents; a parent used several times collects several terms:

        .. math::

            \\bar v_j = \\sum_{i \\,:\\, j \\in \\text{parents}(i)}
            \\bar v_i \\, \\frac{\\partial v_i}{\\partial v_j} .
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            for parent, partial in zip(node.parents, node.partials, strict=True):
                parent.grad += node.grad * partial


def topological_order(root: Node) -> list[Node]:
    """Return ``root`` and its ancestors, every node after its parents.

    Examples
    --------
    >>> from numopt.autodiff.variable import Tape
    >>> x = Node(Tape(1), 3.0, "input", expr="x_1")
    >>> [n.index for n in topological_order((x + 1) * x)]
    [0, 1, 2]
    """
    order: list[Node] = []
    seen = {id(root)}
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:  # depth-first search, without recursion limits
        node, k = stack.pop()
        if k < len(node.parents):
            stack.append((node, k + 1))
            parent = node.parents[k]
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append((parent, 0))
        else:
            order.append(node)
    return order


@dataclass(frozen=True)
class ReverseResult:
    """Result of :func:`reverse`.

    Parameters
    ----------
    value : float
        :math:`f(x)`.
    grad : tuple of float
        :math:`\\nabla f(x)`, one entry per input.
    trace : Trace
        The evaluation trace with the adjoints :math:`\\bar v_i`.
    """

    value: float
    grad: tuple[float, ...]
    trace: Trace


def reverse(f: Callable[..., Any], inputs: Sequence[float]) -> ReverseResult:
    """Evaluate ``f`` and its gradient in reverse mode.

    Parameters
    ----------
    f : callable
        Called as ``f(*variables)``; written with ``+ - * / **`` and the ops
        :func:`~numopt.autodiff.log`, ``exp``, ``sin``, ``cos``, ``tanh``.
    inputs : sequence of float
        The point :math:`x \\in \\mathbb{R}^n`.

    Returns
    -------
    ReverseResult
        ``value`` :math:`f(x)`, ``grad`` :math:`\\nabla f(x)` and the ``trace``.

    Notes
    -----
    One reverse sweep, seeded with :math:`\\bar y = 1`, gives the whole gradient:

    .. math::

        \\bar v_{k-n} = \\frac{\\partial y}{\\partial x_k}, \\qquad k = 1, \\dots, n .

    Rows that do not lead to the output keep the adjoint 0.

    Examples
    --------
    >>> from numopt.autodiff import lecture_example, reverse
    >>> res = reverse(lecture_example, [2.0, 5.0])
    >>> [round(g, 4) for g in res.grad]
    [5.5, 1.7163]
    """
    x = check_inputs(f, inputs)
    tape = Tape(len(x))
    variables = [
        Node(tape, xk, "input", (), (), rules.name(k + 1, "x"))
        for k, xk in enumerate(x)
    ]
    out = finish(tape, f(*variables), Node)
    out.backward()
    grad = tuple(v.grad for v in variables)
    if not all(math.isfinite(g) for g in grad):
        raise OverflowError(f"the gradient is {grad!r}: an adjoint overflowed")
    return ReverseResult(out.value, grad, Trace("reverse", tape.rows("grad")))
