"""Tests of numopt.autodiff against hand-computed values and torch (float64)."""

from __future__ import annotations

import math
import unicodedata
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numopt.autodiff as ad
from numopt.autodiff import (
    Trace,
    forward,
    graph,
    lecture_example,
    log,
    reverse,
    sin,
)

# ---------------------------------------------------------------------------
# The lecture's worked example, f(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5)
# ---------------------------------------------------------------------------

X1, X2 = 2.0, 5.0
EXPRESSIONS = [
    "v_{-1} = x_1",
    "v_0 = x_2",
    "v_1 = ln v_{-1}",
    "v_2 = v_{-1} × v_0",
    "v_3 = sin v_0",
    "v_4 = v_1 + v_2",
    "v_5 = v_4 − v_3",
]
VALUES = [
    X1,
    X2,
    math.log(X1),
    X1 * X2,
    math.sin(X2),
    math.log(X1) + X1 * X2,
    math.log(X1) + X1 * X2 - math.sin(X2),
]
TANGENTS_X1 = [1.0, 0.0, 1 / X1, X2, 0.0, 1 / X1 + X2, 1 / X1 + X2]
TANGENTS_X2 = [0.0, 1.0, 0.0, X1, math.cos(X2), X1, X1 - math.cos(X2)]
ADJOINTS = [1 / X1 + X2, X1 - math.cos(X2), 1.0, 1.0, -1.0, 1.0, 1.0]
PARENTS = [(), (), (-1,), (-1, 0), (0,), (1, 2), (4, 3)]
OPS = ["input", "input", "log", "mul", "sin", "add", "sub"]


def test_lecture_numbers() -> None:
    value = forward(lecture_example, [X1, X2], [1.0, 0.0])
    assert value.value == pytest.approx(11.652071455, abs=1e-9)
    assert value.derivative == pytest.approx(5.5, abs=1e-12)
    second = forward(lecture_example, [X1, X2], [0.0, 1.0]).derivative
    assert second == pytest.approx(1.7163378145, abs=1e-9)
    grad = reverse(lecture_example, [X1, X2]).grad
    assert grad == pytest.approx((5.5, 1.7163378145), abs=1e-9)
    assert lecture_example(X1, X2) == pytest.approx(11.652071455, abs=1e-9)


@pytest.mark.parametrize(
    ("trace", "derivatives"),
    [
        (forward(lecture_example, [X1, X2], [1, 0]).trace, TANGENTS_X1),
        (forward(lecture_example, [X1, X2], [0, 1]).trace, TANGENTS_X2),
        (reverse(lecture_example, [X1, X2]).trace, ADJOINTS),
    ],
    ids=["forward-x1", "forward-x2", "reverse"],
)
def test_lecture_rows(trace: Trace, derivatives: list[float]) -> None:
    assert [row.index for row in trace.rows] == list(range(-1, 6))
    assert [row.expr for row in trace.rows] == EXPRESSIONS
    assert [row.op for row in trace.rows] == OPS
    assert [row.parents for row in trace.rows] == PARENTS
    assert [row.value for row in trace.rows] == pytest.approx(VALUES, abs=1e-12)
    assert [row.derivative for row in trace.rows] == pytest.approx(
        derivatives, abs=1e-12
    )
    assert trace.output is trace.rows[-1]
    assert trace[-1].expr == "v_{-1} = x_1"
    assert trace[3].value == pytest.approx(math.sin(X2))


def test_python_evaluation_order_numbers_rows() -> None:
    trace = reverse(lambda a, b: log(a) + a * b - sin(b), [X1, X2]).trace
    assert [row.expr for row in trace.rows][2:] == [
        "v_1 = ln v_{-1}",
        "v_2 = v_{-1} × v_0",
        "v_3 = v_1 + v_2",
        "v_4 = sin v_0",
        "v_5 = v_3 − v_4",
    ]


def test_trace_modes_and_lookup() -> None:
    fwd = forward(lecture_example, [X1, X2], [1, 0]).trace
    rev = reverse(lecture_example, [X1, X2]).trace
    assert (fwd.mode, rev.mode) == ("forward", "reverse")
    assert len(fwd) == len(rev) == 7
    with pytest.raises(KeyError, match="v_6"):
        rev[6]
    with pytest.raises(ValueError, match="mode"):
        Trace("sideways", rev.rows)
    assert rev.to_rows()[1]["adjoint"] == pytest.approx(X1 - math.cos(X2))
    assert fwd.to_rows()[2]["tangent"] == pytest.approx(1 / X1)
    assert fwd.to_rows()[3]["expression"] == "v_2 = v_{-1} × v_0"


def test_trace_text_and_html() -> None:
    trace = reverse(lecture_example, [X1, X2]).trace
    lines = str(trace).splitlines()
    assert len(lines) == len(trace) + 1
    assert lines[0].split() == ["i", "expression", "value", "v̄"]
    assert lines[2].split() == ["0", "v_0", "=", "x_2", "5.0000", "1.7163"]
    assert repr(trace) == str(trace)
    widths = {sum(not unicodedata.combining(c) for c in line) for line in lines}
    assert len(widths) == 1, "columns are aligned, numbers to the right"
    page = trace._repr_html_()
    assert page.count("<table") == 1
    assert page.count("<tr>") == len(trace) + 1
    assert "v<sub>2</sub> = v<sub>−1</sub> × v<sub>0</sub>" in page
    assert "11.6521" in page and "-0.9589" in page
    forward_page = forward(lecture_example, [X1, X2], [0, 1]).trace._repr_html_()
    assert "v̇" in forward_page and "v̄" not in forward_page


# ---------------------------------------------------------------------------
# Expression strings, constants on either side, repeated variables
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("f", "expr", "value", "slope"),
    [
        (lambda x: 2 * x, "v_1 = 2 × v_0", 6.0, 2.0),
        (lambda x: x * 2.5, "v_1 = v_0 × 2.5", 7.5, 2.5),
        (lambda x: x**2, "v_1 = v_0^2", 9.0, 6.0),
        (lambda x: 2**x, "v_1 = 2^v_0", 8.0, 8 * math.log(2)),
        (lambda x: 1 / x, "v_1 = 1 / v_0", 1 / 3, -1 / 9),
        (lambda x: x / 4, "v_1 = v_0 / 4", 0.75, 0.25),
        (lambda x: 1 - x, "v_1 = 1 − v_0", -2.0, -1.0),
        (lambda x: x + -3, "v_1 = v_0 + (−3)", 0.0, 1.0),
        (lambda x: 5 + x, "v_1 = 5 + v_0", 8.0, 1.0),
        (lambda x: -x, "v_1 = −v_0", -3.0, -1.0),
        (lambda x: x**x, "v_1 = v_0^v_0", 27.0, 27 * (math.log(3) + 1)),
        (lambda x: ad.exp(x), "v_1 = exp v_0", math.exp(3), math.exp(3)),
        (lambda x: ad.cos(x), "v_1 = cos v_0", math.cos(3), -math.sin(3)),
        (lambda x: ad.tanh(x), "v_1 = tanh v_0", math.tanh(3), 1 / math.cosh(3) ** 2),
    ],
)
def test_single_operations(f: Any, expr: str, value: float, slope: float) -> None:
    fwd = forward(f, [3.0], [1.0])
    rev = reverse(f, [3])
    assert fwd.trace.output.expr == rev.trace.output.expr == expr
    assert fwd.value == rev.value == pytest.approx(value, rel=1e-12)
    assert fwd.derivative == pytest.approx(slope, rel=1e-12)
    assert rev.grad == pytest.approx((slope,), rel=1e-12)


def test_constant_times_row() -> None:
    trace = reverse(lambda x1, x2: 3 * lecture_example(x1, x2), [X1, X2]).trace
    assert trace.output.expr == "v_6 = 3 × v_5"
    assert trace.output.parents == (5,)
    assert trace[5].derivative == pytest.approx(3.0)


def test_repeated_variable_accumulates() -> None:
    def f(x: Any, y: Any) -> Any:
        return x * x * x + sin(x) * x + x / y

    x, y = 1.3, 0.7
    dfdx = 3 * x**2 + math.cos(x) * x + math.sin(x) + 1 / y
    dfdy = -x / y**2
    assert reverse(f, [x, y]).grad == pytest.approx((dfdx, dfdy), rel=1e-12)
    assert forward(f, [x, y], [1, 0]).derivative == pytest.approx(dfdx, rel=1e-12)
    assert forward(f, [x, y], [0, 1]).derivative == pytest.approx(dfdy, rel=1e-12)
    square = reverse(lambda t: t * t, [3.0])
    assert square.grad == (6.0,)
    assert square.trace.output.parents == (0, 0)


def test_output_that_is_not_a_new_operation() -> None:
    const = forward(lambda a, b: 3, [1.0, 2.0], [1.0, 1.0])
    assert (const.value, const.derivative) == (3.0, 0.0)
    assert (const.trace.output.expr, const.trace.output.op) == ("v_1 = 3", "const")
    assert reverse(lambda a, b: 3.0, [1.0, 2.0]).grad == (0.0, 0.0)
    picked = reverse(lambda a, b: a, [1.0, 2.0])
    assert picked.grad == (1.0, 0.0)
    assert picked.trace.output.expr == "v_1 = v_{-1}"
    assert len(picked.trace) == 3
    unused = reverse(lambda a: [a * 2, sin(a)][0], [1.0])
    assert [r.expr for r in unused.trace.rows][1:] == [
        "v_1 = v_0 × 2",
        "v_2 = sin v_0",
        "v_3 = v_1",
    ]
    assert unused.grad == (2.0,)
    assert unused.trace[2].derivative == 0.0
    # any input returned as the output gets its own output row, the last too
    for f, expr in ((lambda a, b: b, "v_1 = v_0"), (lambda a: a, "v_1 = v_0")):
        out = reverse(f, [1.0, 2.0][: f.__code__.co_argcount])
        assert out.trace.output.expr == expr and out.trace.output.op == "id"


def test_ops_on_plain_numbers() -> None:
    assert log(2) == math.log(2)
    assert ad.exp(1.5) == math.exp(1.5)
    assert ad.cos(0.3) == math.cos(0.3)
    assert ad.tanh(-0.4) == math.tanh(-0.4)


# ---------------------------------------------------------------------------
# Random expressions against torch.autograd and torch.func.jvp (float64)
# ---------------------------------------------------------------------------

N_INPUTS = 3
CONST = st.floats(0.5, 2.0)
UNARY = [
    "neg",
    "sin",
    "cos",
    "tanh",
    "exp",
    "log_sq",
    "log_exp",
    "sq",
    "pow2",
    "pow3",
    "inv",
]
WITH_CONST = ["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rpow"]
BINARY = ["add", "sub", "mul", "div", "pow"]


def _unary(kind: str, a: Any, lib: Any) -> Any:
    table = {
        "neg": lambda: -a,
        "sin": lambda: lib.sin(a),
        "cos": lambda: lib.cos(a),
        "tanh": lambda: lib.tanh(a),
        "exp": lambda: lib.exp(a),
        "log_sq": lambda: lib.log(a * a + 1),
        "log_exp": lambda: lib.log(lib.exp(a)),
        "sq": lambda: a * a,
        "pow2": lambda: a**2,
        "pow3": lambda: a**3,
        "inv": lambda: 1 / (a * a + 1),
    }
    return table[kind]()


def _with_const(kind: str, c: float, a: Any) -> Any:
    table = {
        "add": lambda: a + c,
        "radd": lambda: c + a,
        "sub": lambda: a - c,
        "rsub": lambda: c - a,
        "mul": lambda: a * c,
        "rmul": lambda: c * a,
        "div": lambda: a / c,
        "rpow": lambda: c**a,
    }
    return table[kind]()


def _binary(kind: str, a: Any, b: Any) -> Any:
    table = {
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / (b * b + 1),
        "pow": lambda: (a * a + 1) ** b,
    }
    return table[kind]()


def build(tree: tuple[Any, ...], xs: Any, lib: Any) -> Any:
    """Evaluate an expression tree with the ops of ``lib`` (ours or torch)."""
    tag = tree[0]
    if tag == "x":
        return xs[tree[1]]
    if tag == "unary":
        return _unary(tree[1], build(tree[2], xs, lib), lib)
    if tag == "const":
        return _with_const(tree[1], tree[2], build(tree[3], xs, lib))
    return _binary(tree[1], build(tree[2], xs, lib), build(tree[3], xs, lib))


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.tuples(st.just("unary"), st.sampled_from(UNARY), children),
        st.tuples(st.just("const"), st.sampled_from(WITH_CONST), CONST, children),
        st.tuples(st.just("binary"), st.sampled_from(BINARY), children, children),
    )


TREES = st.recursive(
    st.tuples(st.just("x"), st.integers(0, N_INPUTS - 1)), _extend, max_leaves=8
)
POINTS = st.lists(st.floats(-1.5, 1.5), min_size=N_INPUTS, max_size=N_INPUTS)
TORCH = SimpleNamespace(
    log=torch.log, exp=torch.exp, sin=torch.sin, cos=torch.cos, tanh=torch.tanh
)


def torch_reference(tree: Any, x: list[float], d: list[float]) -> tuple[Any, ...]:
    """Value, gradient (autograd) and directional derivative (jvp) in float64."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = build(tree, list(xt.unbind()), TORCH)
    (grad,) = torch.autograd.grad(y, xt)
    primals = tuple(torch.tensor(v, dtype=torch.float64) for v in x)
    tangents = tuple(torch.tensor(v, dtype=torch.float64) for v in d)
    _, dy = torch.func.jvp(lambda *a: build(tree, a, TORCH), primals, tangents)
    return float(y.detach()), [float(g) for g in grad], float(dy)


def _close(ours: Any, ref: Any, scale: float) -> bool:
    return ours == pytest.approx(ref, rel=1e-7, abs=1e-9 * scale)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
@settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(tree=TREES, x=POINTS, d=POINTS)
def test_random_expressions_match_torch(tree: Any, x: list[float], d: list[float]):
    value, grad, dy = torch_reference(tree, x, d)
    numbers = [value, dy, *grad]
    assume(all(math.isfinite(v) and abs(v) < 1e8 for v in numbers))
    scale = 1 + max(abs(v) for v in numbers)

    def f(*xs: Any) -> Any:
        return build(tree, xs, ad)

    fwd = forward(f, x, d)
    rev = reverse(f, x)
    assert _close(fwd.value, value, scale) and _close(rev.value, value, scale)
    assert _close(fwd.derivative, dy, scale)
    assert _close(list(rev.grad), grad, scale)
    assert _close(build(tree, x, ad), value, scale)
    # both traces record the same rows; inputs' adjoints are the gradient
    assert [r.expr for r in fwd.trace] == [r.expr for r in rev.trace]
    assert [r.derivative for r in rev.trace.rows[:N_INPUTS]] == list(rev.grad)
    assert [r.derivative for r in fwd.trace.rows[:N_INPUTS]] == d
    # the graph has one node per row and one edge per variable operand
    g = graph(rev.trace, mode="reverse")
    edges = [line for line in g.body if "->" in line]
    assert len(g.body) - len(edges) == len(rev.trace)
    assert len(edges) == sum(len(r.parents) for r in rev.trace)


# ---------------------------------------------------------------------------
# Graphs
# ---------------------------------------------------------------------------


def _split(g: Any) -> tuple[list[str], list[str]]:
    edges = [line.split("[")[0].strip() for line in g.body if "->" in line]
    nodes = [line for line in g.body if "->" not in line]
    return nodes, edges


def test_forward_graph() -> None:
    g = graph(forward(lecture_example, [X1, X2], [1, 0]).trace)
    nodes, edges = _split(g)
    assert g.graph_attr["rankdir"] == "LR"
    assert len(nodes) == 7
    assert sorted(edges) == sorted(
        [
            "vm1 -> v1",
            "vm1 -> v2",
            "v0 -> v2",
            "v0 -> v3",
            "v1 -> v4",
            "v2 -> v4",
            "v4 -> v5",
            "v3 -> v5",
        ]
    )
    assert "v₁<br/>= 0.693" in g.source
    assert "v₋₁<br/>= 2.000" in g.source
    svg = g.pipe(format="svg").decode()
    assert svg.startswith("<?xml") and "<svg" in svg


def test_reverse_graph() -> None:
    g = graph(reverse(lecture_example, [X1, X2]).trace, mode="reverse")
    nodes, edges = _split(g)
    assert g.graph_attr["rankdir"] == "RL"
    assert len(nodes) == 7 and len(edges) == 8
    assert "v5 -> v4" in edges and "v4 -> v5" not in edges
    assert "v̄ = 1.716" in g.source and "v̄ = 5.500" in g.source
    assert "v̄ = −1.000" in g.source


def test_graph_of_square_has_parallel_edges() -> None:
    nodes, edges = _split(graph(reverse(lambda t: t * t, [3.0]).trace, "reverse"))
    assert len(nodes) == 2 and edges == ["v1 -> v0", "v1 -> v0"]


def test_graph_errors() -> None:
    fwd = forward(lecture_example, [X1, X2], [1, 0]).trace
    with pytest.raises(ValueError, match="mode must be 'forward' or 'reverse'"):
        graph(fwd, mode="backward")
    with pytest.raises(ValueError, match=r"mode='reverse' needs a trace from reverse"):
        graph(fwd, mode="reverse")
    with pytest.raises(TypeError, match=r"trace must be a Trace \(pass result.trace\)"):
        graph(forward(lecture_example, [X1, X2], [1, 0]))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------


def _both(f: Any, inputs: list[float]) -> list[Any]:
    """Run ``f`` in both modes so that each error is checked in both."""
    return [lambda: forward(f, inputs, [1.0] * len(inputs)), lambda: reverse(f, inputs)]


@pytest.mark.parametrize("mode", [0, 1], ids=["forward", "reverse"])
@pytest.mark.parametrize(
    ("f", "x", "error", "message"),
    [
        (lambda x: x + "a", 1.0, TypeError, r"operand type for \+: 'str'"),
        (lambda x: [1] * x, 1.0, TypeError, r"operand type for \*: 'list'"),
        (lambda x: x ** [2], 1.0, TypeError, r"operand type for \*\*: 'list'"),
        (lambda x: ad.sin("a"), 1.0, TypeError, "sin expects a number"),
        (lambda x: log(x), 0.0, ValueError, "log is undefined for non-positive"),
        (lambda x: log(x - 3), 1.0, ValueError, "log is undefined for non-positive"),
        (lambda x: x / 0, 1.0, ZeroDivisionError, "division by zero"),
        (lambda x: 1 / (x - 1), 1.0, ZeroDivisionError, "division by zero"),
        (lambda x: x**-1, 0.0, ZeroDivisionError, "division by zero"),
        (lambda x: (-2) ** x, 1.0, ValueError, "c \\*\\* x needs a positive base"),
        (lambda x: (x - 3) ** x, 1.0, ValueError, "x \\*\\* y needs a positive base"),
        (lambda x: x**0.5, -4.0, ValueError, "needs an integer exponent"),
        (lambda x: "abc", 1.0, TypeError, "f must return a number .* got str"),
        (lambda x: None, 1.0, TypeError, "f must return a number .* got NoneType"),
        # overflow is an error naming the operation, never a silent inf or NaN
        (lambda x: x * x - x * x, 1e200, OverflowError, "v_0 × v_0 = inf"),
        (lambda x: log(x * x * x * x), 1e100, OverflowError, "v_2 × v_0 = inf"),
        (lambda x: x * math.nan, 1.0, ValueError, r"constant nan in \* is not"),
        (lambda x: x**math.inf, 0.5, ValueError, r"constant inf in \*\* is not"),
    ],
)
def test_errors(f: Any, x: float, error: type, message: str, mode: int) -> None:
    with pytest.raises(error, match=message):
        _both(f, [x])[mode]()


def test_argument_errors() -> None:
    f = lecture_example
    with pytest.raises(ValueError, match="direction must have one entry per input"):
        forward(f, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="direction must be finite"):
        forward(f, [1.0, 2.0], [1.0, math.nan])
    with pytest.raises(TypeError, match="f must be callable, got int"):
        forward(3, [1.0], [1.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="f must be callable, got str"):
        reverse("f", [1.0])  # type: ignore[arg-type]
    for bad in ([math.nan, 1.0], [1.0, math.inf]):
        with pytest.raises(ValueError, match="inputs must be finite"):
            reverse(f, bad)
        with pytest.raises(ValueError, match="inputs must be finite"):
            forward(f, bad, [1.0, 0.0])
    with pytest.raises(TypeError, match="inputs must hold numbers, got str"):
        reverse(f, ["1", "2"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="inputs must be a sequence of numbers"):
        reverse(f, 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="inputs must hold at least one number"):
        reverse(lambda: 1.0, [])
    with pytest.raises(ValueError, match="inputs must be finite"):
        reverse(lambda a: a, [10**400])  # beyond the float range


def test_extreme_but_finite_quotients_and_exact_constants() -> None:
    # b * b underflows for b = 1e-170, but d(a/b)/db = -a/b^2 = -1e140 does not
    got = reverse(lambda a, b: a / b, [1e-200, 1e-170])
    assert got.grad == pytest.approx((1e170, -1e140), rel=1e-12)
    third = reverse(lambda a: a * Fraction(1, 3), [1.0])
    assert third.grad == pytest.approx((1 / 3,)) and "0.333333" in third.trace[1].expr


def test_mixing_calls_is_an_error() -> None:
    def nested(x: Any) -> Any:
        return forward(lambda y: y * x, [1.0], [1.0]).value

    with pytest.raises(TypeError, match="cannot combine Dual and Node"):
        reverse(nested, [2.0])
    kept: list[Any] = []
    reverse(lambda a: kept.append(a) or a, [1.0])
    with pytest.raises(ValueError, match="different calls"):
        reverse(lambda b: b + kept[0], [2.0])
    with pytest.raises(TypeError, match="does not belong to this call"):
        reverse(lambda b: kept[0], [2.0])
