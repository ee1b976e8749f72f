"""Minimize a function of one float: bracketing, then Brent's method.

The engine of :func:`~numopt.solvers.linesearch.exact_line_search`, written on
Python floats so that it runs the same whatever the device of the iterate.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["bracket", "brent"]

GOLD = (1 + math.sqrt(5)) / 2  # bracket expansion factor
CGOLD = 2 - GOLD  # 0.381966...: golden-section fraction
MAX_TRIES = 60  # shrink or expand a trial step at most this often


def bracket(
    phi: Callable[[float], float], phi0: float, a0: float
) -> tuple[float, float, float, float] | None:
    """``(a, b, c, phi(b))`` with ``a < b < c`` and ``phi(b)`` below both ends."""
    b, fb = a0, phi(a0)
    if fb >= phi0:  # too far: shrink towards 0 until phi decreases
        for _ in range(MAX_TRIES):
            c, b = b, b * CGOLD
            fb = phi(b)
            if fb < phi0:
                return 0.0, b, c, fb
        return None
    a = 0.0
    for _ in range(MAX_TRIES):  # still decreasing: expand
        c = b + GOLD * (b - a)
        fc = phi(c)
        if fc >= fb:
            return a, b, c, fb
        a, b, fb = b, c, fc
    return a, b, b + GOLD * (b - a), fb  # unbounded below so far: stop expanding


def brent(
    phi: Callable[[float], float],
    lo: float,
    x: float,
    hi: float,
    fx: float,
    *,
    xtol: float,
    max_iter: int,
) -> float:
    """Brent's minimization of ``phi`` in the bracket ``lo < x < hi``, ``phi(x) = fx``."""
    w = v = x
    fw = fv = fx
    d = e = 0.0  # last step and the step before it
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        tol1 = xtol * abs(x) + 1e-30
        if abs(x - mid) <= 2 * tol1 - 0.5 * (hi - lo):
            break
        parabolic = False
        if abs(e) > tol1:  # fit a parabola through x, w, v
            r, q = (x - w) * (fx - fv), (x - v) * (fx - fw)
            p, q = (x - v) * q - (x - w) * r, 2 * (q - r)
            p, q = (-p, q) if q > 0 else (p, -q)
            if abs(p) < abs(0.5 * q * e) and q * (lo - x) < p < q * (hi - x):
                e, d, parabolic = d, p / q, True
                if (x + d) - lo < 2 * tol1 or hi - (x + d) < 2 * tol1:
                    d = math.copysign(tol1, mid - x)
        if not parabolic:  # golden section into the larger part
            e = (hi - x) if x < mid else (lo - x)
            d = CGOLD * e
        u = x + (d if abs(d) >= tol1 else math.copysign(tol1, d))
        fu = phi(u)
        if fu <= fx:
            lo, hi = (x, hi) if u >= x else (lo, x)
            v, w, x, fv, fw, fx = w, x, u, fw, fx, fu
        else:
            lo, hi = (lo, u) if u >= x else (u, hi)
            if fu <= fw or w == x:
                v, w, fv, fw = w, u, fw, fu
            elif fu <= fv or v in (x, w):
                v, fv = u, fu
    return x
