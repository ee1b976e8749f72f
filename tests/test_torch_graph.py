"""numopt.autodiff.torch_graph: torchviz's autograd graph with names and house style."""

from __future__ import annotations

import re
import sys

import graphviz
import pytest
import torch

from numopt.autodiff.torch_graph import torch_graph

NODE = re.compile(r"^\s*\d+ \[label=", re.M)


def n_nodes(dot: graphviz.Digraph) -> int:
    return len(NODE.findall(dot.source))


def lecture(x: torch.Tensor) -> torch.Tensor:
    return torch.log(x[0]) + x[0] * x[1] - torch.sin(x[1])


def test_returns_a_digraph_with_named_params() -> None:
    x = torch.tensor([2.0, 5.0], requires_grad=True)
    y = lecture(x)
    dot = torch_graph(y, {"x": x, "loss": y})
    assert isinstance(dot, graphviz.Digraph)
    assert 'label="x\n (2)"' in dot.source and 'label="loss\n ()"' in dot.source
    for op in ("LogBackward0", "MulBackward0", "SinBackward0", "AccumulateGrad"):
        assert op in dot.source
    assert dot.graph_attr["rankdir"] == "TB" and dot.graph_attr["bgcolor"] == "white"


def test_node_count_grows_with_the_expression() -> None:
    x = torch.tensor(1.5, requires_grad=True)
    small = n_nodes(torch_graph(x * x))
    medium = n_nodes(torch_graph(torch.sin(x * x)))
    large = n_nodes(torch_graph(torch.exp(torch.sin(x * x) + x) / 3))
    assert small == 4  # x, AccumulateGrad, MulBackward0, output
    assert small < medium < large


def test_leaves_are_named_from_the_callers_variables() -> None:
    weights = torch.tensor([0.5, -1.0], requires_grad=True)
    inp = torch.tensor([2.0, 5.0], requires_grad=True)
    out = (weights * inp).sum()
    dot = torch_graph(out)
    for name in ("weights", "inp", "out"):
        assert f'label="{name}\n' in dot.source
    anonymous = torch_graph((torch.ones(3, requires_grad=True) * 2).sum())
    assert 'label="\n (3)"' in anonymous.source  # no name to find: shape only


def test_module_parameters_are_named() -> None:
    model = torch.nn.Linear(3, 2)
    dot = torch_graph(model(torch.ones(1, 3)).sum(), model)
    assert (
        'label="weight\n (2, 3)"' in dot.source and 'label="bias\n (2)"' in dot.source
    )


def test_options_change_the_graph() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (x**3).sum()
    plain = torch_graph(y, {"x": x})
    assert "exponent" not in plain.source
    assert "exponent" in torch_graph(y, {"x": x}, show_attrs=True).source
    assert n_nodes(torch_graph(y, {"x": x}, show_saved=True)) > n_nodes(plain)
    assert torch_graph(y, rankdir="LR").graph_attr["rankdir"] == "LR"


def test_renders_svg() -> None:
    x = torch.tensor([2.0, 5.0], requires_grad=True)
    dot = torch_graph(lecture(x), {"x": x})
    svg = dot.pipe(format="svg")
    assert svg.startswith(b"<?xml") and b"<svg" in svg and b"MulBackward0" in svg
    bundle = dot._repr_mimebundle_()  # what Jupyter / MyST-NB call
    assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]


def test_bad_input() -> None:
    with pytest.raises(TypeError, match="output must be a torch tensor"):
        torch_graph(3.0)
    with pytest.raises(ValueError, match="output has no autograd graph"):
        torch_graph(torch.ones(2) * 2)
    x = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="rankdir must be one of"):
        torch_graph(x * 2, rankdir="up")
    with pytest.raises(TypeError, match=r"params\['x'\] must be a tensor"):
        torch_graph(x * 2, {"x": 1.0})
    with pytest.raises(TypeError, match="params must be a dict"):
        torch_graph(x * 2, [x])


def test_missing_torchviz_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torchviz", None)
    x = torch.tensor(1.0, requires_grad=True)
    with pytest.raises(ImportError, match="pip install torchviz"):
        torch_graph(x * 2)
