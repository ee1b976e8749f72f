"""Test objectives with known minimizers: the lecture's examples and classics.

Every objective is written with ``x[..., i]`` and elementwise torch operations,
so it takes one point (shape ``()`` or ``(n,)``) or a batch of points (shape
``(B,)`` or ``(B, n)``) and returns one value per point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

__all__ = [
    "PROBLEMS",
    "Problem",
    "abs_quadratic",
    "booth",
    "get_problem",
    "himmelblau",
    "matyas",
    "rosenbrock",
    "wavy_abs",
]


@dataclass(frozen=True)
class Problem:
    """An objective with what is known about its minimum.

    Attributes
    ----------
    name : str
        Registry key.
    f : callable
        The objective (batched: see the module docstring).
    x0 : tuple of float
        A standard starting point (a 1-tuple for 1-D problems).
    minimizers : tuple of tuple of float
        Every global minimizer (a 1-D problem stores 1-tuples).
    fmin : float
        The global minimum value.
    bounds : tuple of tuple of float
        A box that shows the interesting part of the landscape (plots, multistart).
    local_minimizers : tuple of tuple of float
        Other local minimizers inside ``bounds``, where known.
    """

    name: str
    f: Callable[[torch.Tensor], torch.Tensor]
    x0: tuple[float, ...]
    minimizers: tuple[tuple[float, ...], ...]
    fmin: float
    bounds: tuple[tuple[float, float], ...]
    local_minimizers: tuple[tuple[float, ...], ...] = field(default=())

    @property
    def dim(self) -> int:
        """Number of variables."""
        return len(self.x0)

    def start(self, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """``x0`` as a tensor: shape ``()`` for 1-D problems, ``(n,)`` otherwise."""
        x = torch.tensor(self.x0, dtype=dtype)
        return x[0] if self.dim == 1 else x


def abs_quadratic(x: torch.Tensor) -> torch.Tensor:
    r"""The lecture's convex example :math:`f(x) = |x| + (x - 5)^2`.

    For :math:`x > 0`, :math:`f'(x) = 1 + 2(x - 5)`, which vanishes at
    :math:`x^\star = 4.5`, where :math:`f(x^\star) = 4.75`.
    """
    return torch.abs(x) + (x - 5) ** 2


def wavy_abs(x: torch.Tensor) -> torch.Tensor:
    r"""The lecture's non-convex example :math:`f(x) = x \cos 4x + 2|x|`.

    Since :math:`x\cos 4x \ge -|x|`, :math:`f(x) \ge |x| \ge 0` with equality
    only at :math:`x = 0`: the global minimizer is :math:`x^\star = 0` (a kink,
    where :math:`f` is not differentiable), with local minima on either side.
    """
    return x * torch.cos(4 * x) + 2 * torch.abs(x)


def rosenbrock(x: torch.Tensor) -> torch.Tensor:
    r""":math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, minimum 0 at (1, 1)."""
    return (1 - x[..., 0]) ** 2 + 100 * (x[..., 1] - x[..., 0] ** 2) ** 2


def booth(x: torch.Tensor) -> torch.Tensor:
    r""":math:`f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2`, minimum 0 at (1, 3)."""
    return (x[..., 0] + 2 * x[..., 1] - 7) ** 2 + (2 * x[..., 0] + x[..., 1] - 5) ** 2


def himmelblau(x: torch.Tensor) -> torch.Tensor:
    r""":math:`f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2`, four minima of value 0."""
    return (x[..., 0] ** 2 + x[..., 1] - 11) ** 2 + (
        x[..., 0] + x[..., 1] ** 2 - 7
    ) ** 2


def matyas(x: torch.Tensor) -> torch.Tensor:
    r""":math:`f(x, y) = 0.26 (x^2 + y^2) - 0.48 x y`, minimum 0 at (0, 0)."""
    return 0.26 * (x[..., 0] ** 2 + x[..., 1] ** 2) - 0.48 * x[..., 0] * x[..., 1]


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem(
            "abs_quadratic",
            abs_quadratic,
            x0=(0.0,),
            minimizers=((4.5,),),
            fmin=4.75,
            bounds=((0.0, 10.0),),
        ),
        Problem(
            "wavy_abs",
            wavy_abs,
            x0=(-0.5,),
            minimizers=((0.0,),),
            fmin=0.0,
            bounds=((-5.0, 5.0),),
            local_minimizers=(
                (-4.699063257670013,),
                (-3.121483710667481,),
                (-1.5291669388143192,),
                (0.683767017422918,),
                (2.3291511242330185,),
                (3.9109663235917242,),
            ),
        ),
        Problem(
            "rosenbrock",
            rosenbrock,
            x0=(-1.2, 1.0),
            minimizers=((1.0, 1.0),),
            fmin=0.0,
            bounds=((-2.0, 2.0), (-1.0, 3.0)),
        ),
        Problem(
            "booth",
            booth,
            x0=(0.0, 0.0),
            minimizers=((1.0, 3.0),),
            fmin=0.0,
            bounds=((-10.0, 10.0), (-10.0, 10.0)),
        ),
        Problem(
            "himmelblau",
            himmelblau,
            x0=(0.0, 0.0),
            minimizers=(
                (3.0, 2.0),
                (-2.805118086952745, 3.131312518250573),
                (-3.779310253377747, -3.283185991286170),
                (3.584428340330492, -1.848126526964404),
            ),
            fmin=0.0,
            bounds=((-5.0, 5.0), (-5.0, 5.0)),
        ),
        Problem(
            "matyas",
            matyas,
            x0=(5.0, -3.0),
            minimizers=((0.0, 0.0),),
            fmin=0.0,
            bounds=((-10.0, 10.0), (-10.0, 10.0)),
        ),
    )
}


def get_problem(name: str) -> Problem:
    """Look up a problem of ``PROBLEMS`` by name."""
    try:
        return PROBLEMS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in PROBLEMS)
        raise ValueError(
            f"unknown problem {name!r}; expected one of {allowed}"
        ) from None
