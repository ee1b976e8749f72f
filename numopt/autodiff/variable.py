"""The shared part of both modes: a tape of numbered variables.

A :class:`Variable` is one node :math:`v_i` of the evaluation trace. It stores
its value, the op that made it, its parents and the local partials
:math:`\\partial v_i / \\partial v_j` with respect to each parent. The forward
mode (:class:`~numopt.autodiff.forward.Dual`) and the reverse mode
(:class:`~numopt.autodiff.reverse.Node`) subclass it.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Sequence
from numbers import Real
from typing import Any, TypeVar

from numopt.autodiff import rules
from numopt.autodiff.trace import Row


class Tape:
    """Numbers the variables of one call of ``f`` in evaluation order.

    Parameters
    ----------
    n_inputs : int
        Number of inputs; they get the indices :math:`1-n, \\dots, 0`.
    """

    def __init__(self, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.variables: list[Variable] = []

    def register(self, variable: Variable) -> int:
        """Append ``variable`` and return its index :math:`i` in :math:`v_i`."""
        self.variables.append(variable)
        return len(self.variables) - self.n_inputs

    def rows(self, derivative: str) -> tuple[Row, ...]:
        """Return one trace row per variable, reading attribute ``derivative``."""
        return tuple(v.row(getattr(v, derivative)) for v in self.variables)


class Variable:
    """A numbered intermediate value :math:`v_i` with its local partials.

    Parameters
    ----------
    tape : numopt.autodiff.variable.Tape
        The tape this variable is recorded on.
    value : float
        The value :math:`v_i`.
    op : str
        Op label (``"input"``, ``"const"`` or a key of ``numopt.autodiff.rules.RULES``).
    parents : tuple of Variable
        The variables :math:`v_j` this one was computed from.
    partials : tuple of float
        :math:`\\partial v_i / \\partial v_j` for each parent.
    expr : str
        Right-hand side of the row, e.g. ``"v_{-1} × v_0"``.
    """

    __slots__ = ("expr", "index", "op", "parents", "partials", "tape", "value")

    def __init__(
        self,
        tape: Tape,
        value: float,
        op: str,
        parents: tuple[Variable, ...] = (),
        partials: tuple[float, ...] = (),
        expr: str = "",
    ) -> None:
        self.tape = tape
        self.value = value
        self.op = op
        self.parents = parents
        self.partials = partials
        self.index = tape.register(self)
        self.expr = f"{rules.name(self.index)} = {expr}"

    def row(self, derivative: float) -> Row:
        """Return this variable as a trace row with the given tangent/adjoint."""
        return Row(
            index=self.index,
            expr=self.expr,
            op=self.op,
            parents=tuple(p.index for p in self.parents),
            partials=self.partials,
            value=self.value,
            derivative=derivative,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expr}, value={self.value:.4g})"

    def __add__(self, other: Any) -> Variable:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Variable:
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Variable:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Variable:
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Variable:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Variable:
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Variable:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Variable:
        return apply("div", other, self)

    def __pow__(self, other: Any) -> Variable:
        return apply("pow", self, other)

    def __rpow__(self, other: Any) -> Variable:
        return apply("pow", other, self)

    def __neg__(self) -> Variable:
        return apply("neg", self)


def _kind(operands: Sequence[Any], op: str) -> Variable:
    """Return the first variable among ``operands`` after checking them all."""
    first = next(o for o in operands if isinstance(o, Variable))
    for o in operands:
        if isinstance(o, Variable):
            if type(o) is not type(first):
                raise TypeError(
                    f"cannot combine {type(first).__name__} and "
                    f"{type(o).__name__} in {op}"
                )
            if o.tape is not first.tape:
                raise ValueError(f"{op} mixes variables from different calls")
        elif not isinstance(o, Real):
            symbol = rules.SYMBOLS.get(op, op)
            raise TypeError(
                f"unsupported operand type for {symbol}: '{type(o).__name__}' "
                f"(expected a number or a {type(first).__name__})"
            )
    return first


def apply(op: str, *operands: Any) -> Variable:
    """Record operation ``op`` on ``operands`` (variables and/or numbers).

    Parameters
    ----------
    op : str
        Op label, e.g. ``"mul"`` or ``"sin"``.
    *operands : Variable or float
        At least one operand must be a variable; numbers become constants.

    Returns
    -------
    Variable
        The new variable :math:`v_i = \\varphi(\\dots)`, of the operands' class.
    """
    first = _kind(operands, op)
    is_var = tuple(isinstance(o, Variable) for o in operands)
    values = tuple(
        o.value if isinstance(o, Variable) else _finite_constant(o, op)
        for o in operands
    )
    value, partials = rules.evaluate(op, values, is_var)
    words = [
        rules.name(o.index) if isinstance(o, Variable) else rules.constant(v)
        for o, v in zip(operands, values, strict=True)
    ]
    parents = tuple(o for o in operands if isinstance(o, Variable))
    kept = tuple(p for p, var in zip(partials, is_var, strict=True) if var)
    expr = rules.template(op).format(*words)
    if not all(math.isfinite(v) for v in (value, *kept)):
        raise OverflowError(
            f"{expr} = {value!r} at the inputs given: the value or a partial "
            "derivative of this operation is not finite (it overflowed)"
        )
    return type(first)(first.tape, value, op, parents, kept, expr)


def _as_float(x: Real) -> float:
    """``float(x)``, with inf for an int beyond the float range."""
    try:
        return float(x)
    except OverflowError:
        return math.inf


def _finite_constant(c: Real, op: str) -> float:
    """A constant operand as a finite float, or an error naming the operation."""
    value = _as_float(c)
    if not math.isfinite(value):
        symbol = rules.SYMBOLS.get(op, op)
        raise ValueError(f"the constant {c!r} in {symbol} is not a finite number")
    return value


def check_inputs(f: Any, inputs: Iterable[Any]) -> tuple[float, ...]:
    """Check ``f`` and ``inputs`` for :func:`forward` and :func:`reverse`.

    Returns
    -------
    tuple of float
        The inputs as floats.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    return check_numbers(inputs, "inputs")


def check_numbers(numbers: Iterable[Any], argument: str) -> tuple[float, ...]:
    """Return ``numbers`` as a non-empty tuple of finite floats."""
    if isinstance(numbers, str | bytes) or not isinstance(numbers, Iterable):
        raise TypeError(
            f"{argument} must be a sequence of numbers, got {type(numbers).__name__}"
        )
    numbers = tuple(numbers)
    for x in numbers:
        if not isinstance(x, Real):
            raise TypeError(f"{argument} must hold numbers, got {type(x).__name__}")
    if not numbers:
        raise ValueError(f"{argument} must hold at least one number")
    floats = tuple(_as_float(x) for x in numbers)
    if not all(math.isfinite(x) for x in floats):
        raise ValueError(
            f"{argument} must be finite floats, got {reprlib.repr(numbers)}"
        )
    return floats


V = TypeVar("V", bound=Variable)


def finish(tape: Tape, out: Any, kind: type[V]) -> V:
    """Make the output of ``f`` the last row of the tape.

    If ``f`` returned a number, or a variable that is not the last one recorded
    (an input, say), one more row ``v_k = const`` or ``v_k = v_j`` is added.
    """
    if isinstance(out, Variable):
        if not isinstance(out, kind) or out.tape is not tape:
            raise TypeError("f returned a variable that does not belong to this call")
        if out is tape.variables[-1] and out.op != "input":
            return out
        return kind(tape, out.value, "id", (out,), (1.0,), rules.name(out.index))
    if isinstance(out, Real):
        return kind(tape, float(out), "const", (), (), rules.constant(float(out)))
    raise TypeError(
        f"f must return a number or a {kind.__name__}, got {type(out).__name__}"
    )
