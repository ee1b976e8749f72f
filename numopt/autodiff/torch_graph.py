"""Draw PyTorch's own autograd graph of a tensor with torchviz, in the house style.

:func:`torch_graph` is a thin wrapper of :func:`torchviz.make_dot`. It names
the leaf tensors it can find, lays the graph out compactly and returns a
:class:`graphviz.Digraph`. With graphviz 0.21 a Digraph shows itself in
Jupyter (and in MyST-NB pages) through ``_repr_mimebundle_``, which returns
``{"image/svg+xml": ...}`` from ``_repr_image_svg_xml``; there is no
``_repr_svg_`` any more. To save it: ``dot.pipe(format="svg")`` or
``dot.render("name", format="png")``.

Colours are torchviz's: light blue for leaf tensors that require grad (their
``.grad`` is filled by ``backward()``), grey for backward functions
(``MulBackward0``, ...), green for the output, orange for saved tensors.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["torch_graph"]

RANKDIRS = ("TB", "BT", "LR", "RL")


def _import_make_dot() -> Any:
    try:
        with warnings.catch_warnings():  # torchviz imports distutils' LooseVersion
            warnings.simplefilter("ignore", DeprecationWarning)
            from torchviz import make_dot
    except ImportError as err:
        raise ImportError(
            "torch_graph needs the torchviz package: pip install torchviz "
            "(and the Graphviz 'dot' program to render)"
        ) from err
    return make_dot


def _leaves(output: torch.Tensor) -> list[torch.Tensor]:
    """The leaf tensors that require grad and feed ``output``, in graph order."""
    found: dict[int, torch.Tensor] = {}
    if output.grad_fn is None:
        if output.requires_grad:
            found[id(output)] = output
        return list(found.values())
    seen: set[Any] = set()
    stack = [output.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        var = getattr(fn, "variable", None)
        if isinstance(var, torch.Tensor):
            found.setdefault(id(var), var)
        stack.extend(u for u, _ in getattr(fn, "next_functions", ()))
    return list(found.values())


def _names_in_frame(frame: Any, wanted: set[int]) -> dict[int, str]:
    """Map ``id(tensor)`` to a variable name bound to it in ``frame`` (locals first)."""
    names: dict[int, str] = {}
    if frame is None:
        return names
    for scope in (frame.f_locals, frame.f_globals):
        for name, value in scope.items():
            if (
                isinstance(value, torch.Tensor)
                and id(value) in wanted
                and not name.startswith("_")
            ):
                names.setdefault(id(value), name)
    return names


def _params(params: Any, output: torch.Tensor, frame: Any) -> dict[str, torch.Tensor]:
    if params is None:
        leaves = _leaves(output)
        found = _names_in_frame(frame, {id(t) for t in leaves} | {id(output)})
        return {found[id(t)]: t for t in [*leaves, output] if id(t) in found}
    if isinstance(params, torch.nn.Module):
        return dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError(
            f"params must be a dict name -> tensor, an nn.Module or None, "
            f"got {type(params).__name__}"
        )
    for name, value in params.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(
                f"params[{name!r}] must be a tensor, got {type(value).__name__}"
            )
    return {str(k): v for k, v in params.items()}


def torch_graph(
    output: torch.Tensor,
    params: Mapping[str, torch.Tensor] | torch.nn.Module | None = None,
    *,
    show_attrs: bool = False,
    show_saved: bool = False,
    rankdir: str = "TB",
) -> Any:
    r"""The autograd graph that ``output.backward()`` would traverse, as a Digraph.

    Each backward node (``MulBackward0``, ``SinBackward0``, ...) is one
    operation of the forward pass; an edge carries a gradient from the
    output towards the leaves, which is the reverse sweep of the lecture's
    reverse mode on PyTorch's own graph.

    Parameters
    ----------
    output : torch.Tensor
        The result of a computation on tensors with ``requires_grad=True``
        (typically a scalar loss).
    params : dict of str to torch.Tensor, torch.nn.Module or None, optional
        Names for tensors: ``{"x": x, "w": w}`` labels those leaf nodes (and
        the output node, if it is in the dict); a module contributes its
        ``named_parameters()``. With None, the leaf tensors that require grad
        are collected from the graph and named after the variables bound to
        them in the *caller's* scope (locals, then globals: so in a notebook
        or script ``torch_graph(y)`` finds ``x`` when ``x`` is a variable);
        tensors with no such name are labelled by their shape only.
    show_attrs : bool, optional
        Show each backward node's non-tensor saved attributes (e.g. the
        exponent of ``PowBackward0``).
    show_saved : bool, optional
        Show the tensors each backward node saved for the backward pass.
    rankdir : {"TB", "BT", "LR", "RL"}, optional
        Layout direction: top to bottom (default) or left to right, ...

    Returns
    -------
    graphviz.Digraph
        Displayed as SVG in a notebook; ``.source`` is the DOT text.

    Raises
    ------
    ImportError
        If torchviz is not installed.
    TypeError
        If ``output`` is not a tensor or ``params`` is not a dict of tensors.
    ValueError
        If ``output`` is not part of an autograd graph, or ``rankdir`` is unknown.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([2.0, 5.0], requires_grad=True)
    >>> y = torch.log(x[0]) + x[0] * x[1] - torch.sin(x[1])
    >>> dot = torch_graph(y, {"x": x, "y": y})
    >>> "MulBackward0" in dot.source and "x\n (2)" in dot.source
    True
    """
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"output must be a torch tensor, got {type(output).__name__}")
    if output.grad_fn is None and not output.requires_grad:
        raise ValueError(
            "output has no autograd graph: compute it from tensors created with "
            "requires_grad=True (and not under torch.no_grad())"
        )
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}"
        )
    make_dot = _import_make_dot()
    frame = inspect.currentframe()
    try:
        named = _params(params, output, frame.f_back if frame else None)
    finally:
        del frame  # break the reference cycle frame -> locals -> frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # LooseVersion
        dot = make_dot(
            output, params=named, show_attrs=show_attrs, show_saved=show_saved
        )
    dot.graph_attr.update(
        rankdir=rankdir, bgcolor="white", nodesep="0.25", ranksep="0.3"
    )
    dot.node_attr.update(fontsize="11", fontname="Helvetica", margin="0.08,0.04")
    dot.edge_attr.update(arrowsize="0.7", color="#444444")
    return dot
