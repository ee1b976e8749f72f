"""The autodiff chapter: its key numbers, checked against independent references.

The chapter is executed once (``run_chapter``); every test reads variables
from its namespace and compares them with closed forms, ``math`` and torch.
"""

from __future__ import annotations

import math

import pytest
import torch
from conftest import run_chapter


@pytest.fixture(scope="module")
def ns() -> dict:
    return run_chapter("autodiff")


# Closed forms of f(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5).
F_VALUE = math.log(2.0) + 10.0 - math.sin(5.0)
DF_DX1 = 1 / 2 + 5.0
DF_DX2 = 2.0 - math.cos(5.0)


def test_lecture_example_value_and_gradient(ns: dict) -> None:
    assert round(F_VALUE, 3) == 11.652
    assert round(DF_DX2, 3) == 1.716
    for value in (ns["fwd_x1"].value, ns["fwd_x2"].value, ns["rev"].value):
        assert value == pytest.approx(F_VALUE, abs=1e-12)
    assert ns["fwd_x1"].derivative == pytest.approx(5.5, abs=1e-12)
    assert ns["fwd_x2"].derivative == pytest.approx(DF_DX2, abs=1e-12)
    assert ns["rev"].grad == pytest.approx((DF_DX1, DF_DX2), abs=1e-12)


def test_forward_derivative_traces(ns: dict) -> None:
    """The tangents missing from the notes (an erratum of the notes), row by row."""
    cos5 = math.cos(5.0)
    expected = {
        (1.0, 0.0): [1, 0, 0.5, 5, 0, 5.5, 5.5],
        (0.0, 1.0): [0, 1, 0, 2, cos5, 2, 2 - cos5],
    }
    for name, seed in (("fwd_x1", (1.0, 0.0)), ("fwd_x2", (0.0, 1.0))):
        trace = ns[name].trace
        assert [row.index for row in trace] == [-1, 0, 1, 2, 3, 4, 5]
        tangents = [row.derivative for row in trace]
        assert tangents == pytest.approx(expected[seed], abs=1e-12)


def test_reverse_adjoint_trace(ns: dict) -> None:
    adjoints = [row.derivative for row in ns["rev"].trace]
    assert adjoints == pytest.approx([5.5, DF_DX2, 1, 1, -1, 1, 1], abs=1e-12)
    values = [row.value for row in ns["rev"].trace]
    assert values[-1] == pytest.approx(F_VALUE, abs=1e-12)


def test_torch_cross_checks(ns: dict) -> None:
    assert ns["jvp_value"].item() == pytest.approx(F_VALUE, abs=1e-12)
    assert ns["jvp_dx1"].item() == pytest.approx(DF_DX1, abs=1e-12)
    assert ns["jvp_dx2"].item() == pytest.approx(DF_DX2, abs=1e-12)
    assert ns["y_ag"].item() == pytest.approx(F_VALUE, abs=1e-12)
    assert ns["x_ag"].grad.tolist() == pytest.approx([DF_DX1, DF_DX2], abs=1e-12)


def test_graphs_are_digraphs(ns: dict) -> None:
    g_fwd = ns["graph"](ns["fwd_x1"].trace, mode="forward")
    g_rev = ns["graph"](ns["rev"].trace, mode="reverse")
    assert g_fwd.source.count("->") == 8
    assert g_rev.graph_attr["rankdir"] == "RL"


def test_requires_grad_example(ns: dict) -> None:
    # y = 3x^2 + x + 4 sin x at x = 5
    ref = 3 * 25 + 5 + 4 * math.sin(5.0)
    assert round(ref, 4) == 76.1643
    assert ns["y_76"] == pytest.approx(ref, rel=1e-6)


def test_accumulation_zeroing_and_retain_graph(ns: dict) -> None:
    assert ns["accumulated"] == [30.0, 60.0]
    assert ns["zeroed"] == [30.0, 30.0]
    # d/dx of (x + x^2) + (x^2 + x^2) + (x^3 + x^2) at x = 5
    assert ns["retain_total"] == (1 + 10) + (10 + 10) + (75 + 10) == 116
    assert ns["zero_error"] == "'NoneType' object has no attribute 'zero_'"
    assert "backward through the graph a second time" in ns["retain_error"]


def test_vector_inputs(ns: dict) -> None:
    assert ns["grad_sum_squares"].tolist() == [0.0, 2.0, 4.0, 6.0, 8.0]
    xs = [0.0, 1.0, 2.0, 3.0, 4.0]
    y_ref = sum(math.log(x * x + 1) + 5 * x for x in xs) / 5
    assert round(y_ref, 4) == 11.4877
    assert ns["y_mean"] == pytest.approx(y_ref, rel=1e-6)
    g_ref = [(2 * x / (x * x + 1) + 5) / 5 for x in xs]
    assert ns["grad_mean"].tolist() == pytest.approx(g_ref, abs=1e-6)
    printed = torch.tensor([1.0000, 1.2000, 1.1600, 1.1200, 1.0941])
    torch.testing.assert_close(ns["grad_mean"], printed, atol=5e-5, rtol=0)


def test_non_scalar_output_needs_a_seed(ns: dict) -> None:
    assert "only for scalar outputs" in ns["nonscalar_error"]
    # y = W x^2: u^T J = (u^T W) * 2x, by hand
    x, u = [1.0, 2.0, 3.0], [1.0, 10.0]
    W = [[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]]
    uW = [u[0] * W[0][j] + u[1] * W[1][j] for j in range(3)]
    assert ns["vjp_grad"].tolist() == pytest.approx(
        [uW[j] * 2 * x[j] for j in range(3)]
    )
    assert ns["vjp_grad"].tolist() == pytest.approx(ns["uJ"].tolist())


def test_leaf_update_needs_no_grad(ns: dict) -> None:
    assert "leaf Variable that requires grad" in ns["inplace_error"]
    assert "requires grad" in ns["numpy_error"]
    assert ns["outside"].requires_grad and not ns["inside"].requires_grad
    # x_{k+1} = x_k - 0.1 (6 x_k + 1) = 0.4 x_k - 0.1, closed form from 5
    k = torch.arange(31, dtype=torch.float64)
    closed = -1 / 6 + (5 + 1 / 6) * 0.4**k
    torch.testing.assert_close(ns["hand_path"], closed)
    torch.testing.assert_close(ns["res"].path, closed)


def test_dynamic_graph_gradients(ns: dict) -> None:
    # x = 3: sin(4x); x = -0.5: cos(32x)
    assert ns["dynamic"][3.0] == pytest.approx(4 * math.cos(12.0), rel=1e-5)
    assert ns["dynamic"][-0.5] == pytest.approx(-32 * math.sin(-16.0), rel=1e-5)


def test_tensor_basics(ns: dict) -> None:
    assert ns["legacy_dtypes"] == {
        "FloatTensor": torch.float32,
        "DoubleTensor": torch.float64,
        "ByteTensor": torch.uint8,
        "CharTensor": torch.int8,
        "IntTensor": torch.int32,
        "LongTensor": torch.int64,
        "BoolTensor": torch.bool,
    }
    assert ns["ones5"].numel() == 5
    assert (ns["a"] + ns["b"]).tolist() == [[0, 1], [1, 2], [2, 3]]


def test_jacobian_cost(ns: dict) -> None:
    assert ns["fwd_sweeps"] == 100  # one jvp per input
    assert ns["rev_sweeps"] == 10  # one vjp per output
    cost = ns["cost"]
    assert len(cost) == 8
    assert all(r["forward"] > 0 and r["reverse"] > 0 for r in cost)
    # the measured claim, with an order of magnitude of margin in the chapter
    big_n = next(r for r in cost if r["n"] == 1000)
    big_m = next(r for r in cost if r["m"] == 1000)
    assert big_n["reverse"] < big_n["forward"]
    assert big_m["forward"] < big_m["reverse"]
