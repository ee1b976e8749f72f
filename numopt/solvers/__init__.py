"""Solvers, one module per family; each returns an :class:`~numopt.OptimizeResult`."""

from .gradient import SCHEDULES, gradient_descent

__all__ = ["SCHEDULES", "gradient_descent"]
