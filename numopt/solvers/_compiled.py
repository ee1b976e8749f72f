"""torch.compile for the solvers that offer ``compile=True``, once per objective."""

from __future__ import annotations

import functools
import types
import weakref
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["check_compile", "compiled"]

_COMPILED: weakref.WeakKeyDictionary[Callable[..., Any], dict[tuple[Any, ...], Any]]
_COMPILED = weakref.WeakKeyDictionary()


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
    when ``f`` does.
    """
    per_f = _COMPILED.setdefault(f, {})
    full_key = (fn.__name__, *key)
    if full_key not in per_f:
        name = f"{fn.__name__}_{id(per_f)}_{len(per_f)}"
        code = fn.__code__.replace(co_name=name)
        copy = types.FunctionType(code, fn.__globals__, name)
        per_f[full_key] = functools.partial(torch.compile(copy, dynamic=False), **fixed)
    return per_f[full_key]
