"""Draw a trace as its evaluation graph (forward) or adjoint graph (reverse)."""

from __future__ import annotations

import graphviz

from numopt.autodiff.trace import MODES, Row, Trace


def _node_id(index: int) -> str:
    return f"v{index}".replace("-", "m")


_SUBSCRIPT = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def _label(row: Row, mode: str) -> str:
    """HTML-like label: the name and the value or the adjoint.

    The index is written with Unicode subscript digits (v₋₁): Graphviz lays
    ``<sub>`` out without making room for it, so it would overlap the next line.
    """
    name = f"v{str(row.index).translate(_SUBSCRIPT)}"
    number = f"{row.value:.3f}" if mode == "forward" else f"{row.derivative:.3f}"
    symbol = "" if mode == "forward" else "v̄ "
    return f"<{name}<br/>{symbol}= {number.replace('-', '−')}>"


def graph(trace: Trace, mode: str = "forward") -> graphviz.Digraph:
    """Return the graph of ``trace`` as a :class:`graphviz.Digraph`.

    Parameters
    ----------
    trace : Trace
        A trace from :func:`~numopt.autodiff.forward` or
        :func:`~numopt.autodiff.reverse`.
    mode : {"forward", "reverse"}
        ``"forward"``: evaluation graph, left to right, edges
        :math:`v_j \\to v_i`, nodes labelled with values :math:`v_i`.
        ``"reverse"``: adjoint graph, right to left, edges
        :math:`v_i \\to v_j` labelled with the local partial
        :math:`\\partial v_i / \\partial v_j`, nodes labelled with
        :math:`\\bar v_i`; needs a trace from :func:`reverse`.

    Returns
    -------
    graphviz.Digraph
        One node per row, one edge per variable operand of each row.

    Raises
    ------
    ValueError
        If ``mode`` is unknown, or ``mode="reverse"`` is asked of a forward
        trace (which has tangents, not adjoints).

    Notes
    -----
    Constants are not nodes. A variable used twice by one operation, as in
    ``x * x``, gives two parallel edges: one per term of

    .. math:: \\bar v_j = \\sum_i \\bar v_i \\, \\partial v_i / \\partial v_j .

    Examples
    --------
    >>> from numopt.autodiff import lecture_example, reverse
    >>> g = graph(reverse(lecture_example, [2.0, 5.0]).trace, mode="reverse")
    >>> g.graph_attr["rankdir"], g.source.count("->")
    ('RL', 8)
    """
    if not isinstance(trace, Trace):
        raise TypeError(
            f"trace must be a Trace (pass result.trace), got {type(trace).__name__}"
        )
    if mode not in MODES:
        raise ValueError(f"mode must be 'forward' or 'reverse', got {mode!r}")
    if mode == "reverse" and trace.mode != "reverse":
        raise ValueError(
            "mode='reverse' needs a trace from reverse() (it has adjoints); "
            "this trace is from forward()"
        )
    dot = graphviz.Digraph(
        name=f"{mode}_graph",
        graph_attr={"rankdir": "LR" if mode == "forward" else "RL"},
        node_attr={"shape": "box", "style": "rounded", "fontname": "Helvetica"},
        edge_attr={"fontname": "Helvetica", "fontsize": "10"},
    )
    for row in trace.rows:
        shape = "ellipse" if row.op == "input" else "box"
        width = "2" if row is trace.output else "1"
        dot.node(_node_id(row.index), _label(row, mode), shape=shape, penwidth=width)
    for row in trace.rows:
        for parent, partial in zip(row.parents, row.partials, strict=True):
            if mode == "forward":
                dot.edge(_node_id(parent), _node_id(row.index))
            else:
                dot.edge(_node_id(row.index), _node_id(parent), label=f"{partial:.3g}")
    return dot
