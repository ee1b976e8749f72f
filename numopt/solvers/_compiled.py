"""torch.compile for the solvers that offer ``compile=True``, once per objective."""

from __future__ import annotations

import inspect
import math
import types
import weakref
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["Scalar", "check_compile", "compiled", "compiled_per_run", "evaluate"]

#: Compiled code per objective: ``id(owner) -> {key: compiled function}``,
#: where the owner is ``f`` itself, or its object for a bound method (a new
#: method object each time it is looked up). An entry goes when its owner does.
_COMPILED: dict[int, dict[tuple[Any, ...], Any]] = {}
#: Owners that cannot be weakly referenced (builtins): kept alive here, so that
#: their id is not reused by another object.
_KEPT: list[object] = []


def check_compile(compile: object) -> bool:
    """``compile`` itself, after checking that it is a bool."""
    if not isinstance(compile, bool):
        raise TypeError(f"compile must be True or False, got {compile!r}")
    return compile


def compiled(
    fn: Callable[..., Any],
    f: Callable[..., Any],
    like: torch.Tensor,
    key: tuple[Any, ...] = (),
    **fixed: Any,
) -> Callable[..., Any]:
    """``fn`` compiled for the objective ``f``, with ``fixed`` arguments.

    torch.compile keeps its cache, and its budget of recompilations, per code
    object: every ``fn`` of an ``f`` gets a copy of ``fn``'s code of its own
    for each shape, dtype and device of ``like`` (the iterates), each value
    of ``fixed`` and each ``key`` (anything else the code is specialized
    to), compiled for static shapes (the fastest kernels) and reused by later
    calls. The entries go when ``f`` does (for a bound method: when its
    object does). ``f`` need not be hashable.

    The compiled code runs under :func:`torch.no_grad`. Its gradients come
    from :mod:`torch.func`, which no_grad does not switch off; no_grad keeps
    autograd from also recording the call when ``f`` reads a tensor that
    requires grad, so the results are detached, as the eager solvers' are.
    """
    per_f = _entries(f)
    full_key = (
        fn.__name__,
        getattr(f, "__func__", None),
        tuple(like.shape),
        like.dtype,
        like.device,
        tuple(sorted(fixed.items())),
        *key,
    )
    if full_key not in per_f:
        name = f"{fn.__name__}_{id(per_f)}_{len(per_f)}"
        code = fn.__code__.replace(co_name=name)
        copy = torch.compile(
            types.FunctionType(code, fn.__globals__, name), dynamic=False
        )

        def call(*args: Any) -> Any:
            with torch.no_grad():
                return copy(*args, **fixed)

        per_f[full_key] = call
    return per_f[full_key]


def compiled_per_run(
    fn: Callable[..., Any], f: Callable[..., Any], **fixed: Any
) -> Callable[..., Any]:
    """:func:`compiled` for the iterates of the first call (its second
    argument), looked up once: every update of a run has their shape, dtype
    and device, which the solver learns only when the run starts."""
    code: Callable[..., Any] | None = None

    def call(*args: Any) -> Any:
        nonlocal code
        if code is None:
            code = compiled(fn, f, args[1], **fixed)
        return code(*args)

    return call


def _entries(f: Callable[..., Any]) -> dict[tuple[Any, ...], Any]:
    """The compiled code kept for ``f`` (a dict that the caller fills)."""
    owner = f.__self__ if inspect.ismethod(f) else f
    key = id(owner)
    if key not in _COMPILED:
        try:
            weakref.finalize(owner, _COMPILED.pop, key, None)
        except TypeError:  # cannot be weakly referenced
            _KEPT.append(owner)
        _COMPILED[key] = {}
    return _COMPILED[key]


def evaluate(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``f(x)``, ``∇f(x)`` and ``[f(x), ‖∇f(x)‖²]``: for compiled code.

    The pair is in float64: ``f`` keeps its precision, and the squares of a
    float32 gradient neither overflow nor round (``sqrt(g**2)`` is ``|g|``
    exactly, as in the eager driver).
    """
    g, fx = torch.func.grad_and_value(lambda z: f(z).reshape(()))(x)
    wide = g.to(torch.float64)
    return fx, g, torch.stack((fx.to(torch.float64), (wide * wide).sum()))


class Scalar:
    """A number as a 0-d tensor for compiled code, made again only when it changes.

    Compiled code is specialized to Python floats: a step size or momentum
    that changes every iteration (a schedule) would recompile it each time.
    """

    def __init__(self) -> None:
        self.value = math.nan
        self.tensor: torch.Tensor | None = None

    def __call__(self, value: float, like: torch.Tensor) -> torch.Tensor:
        if value != self.value or self.tensor is None:
            self.value = value
            self.tensor = torch.tensor(value, dtype=like.dtype, device=like.device)
        return self.tensor
