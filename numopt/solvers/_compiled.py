"""torch.compile for the solvers that offer ``compile=True``, once per objective."""

from __future__ import annotations

import functools
import inspect
import types
import weakref
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["check_compile", "compiled"]

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
    fn: Callable[..., Any], f: Callable[..., Any], key: tuple[Any, ...], **fixed: Any
) -> Callable[..., Any]:
    """``fn`` compiled for the objective ``f`` and ``key``, with ``fixed`` arguments.

    torch.compile keeps its cache, and its budget of recompilations, per code
    object: every ``(fn, key)`` of an ``f`` gets a copy of ``fn``'s code of
    its own, compiled for static shapes (the fastest kernels) and reused by
    later calls. ``key`` holds what the compiled code is specialized to (the
    shape, dtype and device of the iterates, and ``fixed``). The entries go
    when ``f`` does (for a bound method: when its object does). ``f`` need
    not be hashable.
    """
    per_f = _entries(f)
    full_key = (fn.__name__, getattr(f, "__func__", None), *key)
    if full_key not in per_f:
        name = f"{fn.__name__}_{id(per_f)}_{len(per_f)}"
        code = fn.__code__.replace(co_name=name)
        copy = types.FunctionType(code, fn.__globals__, name)
        per_f[full_key] = functools.partial(torch.compile(copy, dynamic=False), **fixed)
    return per_f[full_key]


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
