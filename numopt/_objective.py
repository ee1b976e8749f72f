"""Evaluate an objective and its gradient with autograd, counting evaluations."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._validation import check_callable

__all__ = ["Objective"]


def _as_scalar(y: object, *, batched: bool = False) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise TypeError(
            f"f must return a torch tensor built from torch operations, "
            f"got {type(y).__name__}"
        )
    if batched:
        return y
    if y.numel() != 1:
        raise ValueError(
            f"f must return a scalar (one element), got a tensor of shape "
            f"{tuple(y.shape)}; reduce it, e.g. with .sum() or .mean()"
        )
    return y if y.dim() == 0 else y.reshape(())


class Objective:
    """Wrap ``f`` so that every call is counted in ``nfev``.

    ``f`` takes a tensor and returns a scalar tensor. Gradients come from
    ``torch.autograd``; at a point where ``f`` is not differentiable (``|x|``
    at 0) autograd returns a subgradient, and so do we.
    """

    def __init__(self, f: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.f = check_callable(f, "f")
        self.nfev = 0

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """``f(x)`` as a detached 0-d tensor."""
        self.nfev += 1
        with torch.no_grad():
            return _as_scalar(self.f(x)).detach()

    def value_and_grad(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f(x)`` and ``∇f(x)``, both detached.

        This runs once per iteration of every first-order solver, so the common
        case (grad mode on, ``f`` returns a 0-d tensor) takes no extra call.
        """
        if not torch.is_grad_enabled():  # called under torch.no_grad()
            with torch.enable_grad():
                return self.value_and_grad(x)
        self.nfev += 1
        xg = x.detach().requires_grad_(True)
        y = self.f(xg)
        if not (isinstance(y, torch.Tensor) and y.dim() == 0):
            y = _as_scalar(y)
        if not y.requires_grad:  # f does not depend on x
            return y.detach(), torch.zeros_like(x)
        (g,) = torch.autograd.grad(y, xg)
        return y.detach(), g
