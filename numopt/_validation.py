"""Input validation shared by every solver: each error names the argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch

__all__ = [
    "as_start",
    "check_callable",
    "check_choice",
    "check_max_iter",
    "check_nonnegative",
    "check_positive",
]


def check_callable(f: Any, name: str = "f") -> Callable[..., Any]:
    """Return ``f`` if it is callable, else raise ``TypeError`` naming it."""
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {type(f).__name__}")
    return f


def _as_real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value: Any, name: str) -> float:
    """Return ``value`` as a float if it is a finite number > 0."""
    value = _as_real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def check_nonnegative(value: Any, name: str) -> float:
    """Return ``value`` as a float if it is a finite number >= 0."""
    value = _as_real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_max_iter(value: Any, name: str = "max_iter") -> int:
    """Return ``value`` if it is an int >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return int(value)


def check_choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else name the allowed ones."""
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"unknown {name} {value!r}; expected one of {allowed}")
    return value


def as_start(x0: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Convert a start point to a detached floating tensor.

    A tensor keeps its device; a float, an int or a sequence becomes float64
    unless ``dtype`` says otherwise. Integer tensors are promoted to float64
    (or ``dtype``). The start must be finite.
    """
    if isinstance(x0, torch.Tensor):
        if x0.is_complex():
            raise TypeError(f"x0 must be real, got a {x0.dtype} tensor")
        x = x0.detach()
        target = dtype or (x.dtype if x.is_floating_point() else torch.float64)
        x = x.to(dtype=target).clone()
    else:
        try:
            x = torch.as_tensor(x0, dtype=dtype or torch.float64)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"x0 must be a number, a sequence of numbers or a tensor, "
                f"got {type(x0).__name__}"
            ) from err
    if dtype is not None and not x.is_floating_point():
        raise TypeError(f"dtype must be a floating dtype, got {dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x0 must be finite (it contains NaN or inf)")
    return x
