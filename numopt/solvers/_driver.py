"""The loop every first-order solver shares.

A solver supplies one small ``step`` function, ``x_{k+1} = step(k, x_k, f_k, g_k)``;
the driver evaluates the objective, records the path, applies the stopping
rules and decides the status once, after the loop. Each solver module reads as
"the update rule from the lecture" plus one call to :func:`run`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch

from .._objective import Objective
from .._validation import as_start, check_callable, check_max_iter, check_nonnegative
from ..result import OptimizeResult, Status

__all__ = ["Callback", "Fused", "Step", "Stop", "run"]


class Step(Protocol):
    """One update: return the next iterate from the current one.

    A step of the form ``x - s * g`` may return ``(x_new, s)`` instead: the
    driver then knows ``‖x_new - x‖_∞ <= |s| ‖g‖`` without reading ``x_new``
    (see :func:`run`).
    """

    def __call__(
        self, k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> torch.Tensor | tuple[torch.Tensor, float]: ...


Callback = Callable[[int, torch.Tensor, float], Any]

#: A step fused with the evaluation at the new point (one compiled call):
#: ``(k, x_k, g_k) -> (x_{k+1}, s, f(x_{k+1}), ∇f(x_{k+1}), values)``, where
#: ``x_{k+1} = x_k - s g_k`` (``s`` None for a step of another form) and
#: ``values`` is the tensor ``[f(x_{k+1}), ‖∇f(x_{k+1})‖²]``.
Fused = Callable[
    [int, torch.Tensor, torch.Tensor],
    tuple[torch.Tensor, float | None, torch.Tensor, torch.Tensor, torch.Tensor],
]


class Stop(Exception):
    """Raised by a step to end the run with ``status``, keeping the current iterate.

    For example a line search that finds no step decreasing ``f`` raises
    ``Stop(Status.LINESEARCH_FAILED)``.
    """

    def __init__(self, status: Status) -> None:
        super().__init__(status.message)
        self.status = status


def run(
    objective: Objective,
    x0: Any,
    step: Step | Callable[..., torch.Tensor],
    *,
    method: str,
    max_iter: int,
    tol: float,
    callback: Callback | None,
    dtype: torch.dtype | None,
    record_path: bool,
    extra: dict[str, Any] | None = None,
    fused: Fused | None = None,
    ahead: bool = False,
) -> OptimizeResult:
    """Iterate ``step`` from ``x0`` until ``‖∇f‖ <= tol`` or ``max_iter`` updates.

    The callback is called as ``callback(k, x_k, f(x_k))`` after each update;
    returning ``True`` (a Python or NumPy bool, or a one-element bool tensor
    such as ``x.norm() < 1``) stops the run; any other answer is ignored. An
    iterate, objective value or gradient that is not finite stops the run
    with ``Status.DIVERGED`` and the last finite iterate. A step may raise :class:`Stop` to end the run with another
    status (the iterate is then not updated).

    An iterate can become non-finite while ``f`` and ``∇f`` stay finite (``f``
    saturates, as ``atan`` does), so the iterate itself is checked too. For a
    gradient step ``x - s g`` the driver carries a bound on ``‖x_k‖_∞``,
    ``‖x_0‖_∞ + Σ |s_j| ‖g_j‖``, and reads ``x`` again only when that bound
    nears the largest float of the dtype: no extra pass over a large ``x``
    per iteration.

    With ``fused``, each update is one call of it in place of ``step`` and the
    evaluation after it (``f(x_0)`` is still evaluated here, where a wrong
    ``f`` gets its clear error); the driver counts the evaluations.

    With ``ahead`` (for a step that reads nothing back from the device, and
    whose caller can drop what a last step made in vain), on a GPU, with no
    callback and for ``x`` of at most ``AHEAD_MAX_NUMEL`` entries, the driver
    queues update ``k + 1`` before it reads the numbers of update ``k``: the
    host does not wait for the device at every update, and the device does
    not wait for the host. The run takes the same steps and returns the same
    result. What changes: a run that stops before ``max_iter`` (converged or
    diverged) has made one update more than it returns, which it drops (its
    calls of ``f`` are not counted in ``nfev``); that update may evaluate
    ``f`` at a non-finite point after a divergence, and it draws from the
    random number generator if ``f`` does; an exception it raises is raised
    only if it falls due (an error that the device reports later, such as a
    failed device-side assert, is not caught); and one more iterate and
    gradient are alive at a time.
    """
    max_iter = check_max_iter(max_iter)
    tol = check_nonnegative(tol, "tol")
    if callback is not None:
        check_callable(callback, "callback")
    x = as_start(x0, dtype)
    fx, g = objective.value_and_grad(x)
    fun, gnorm = _value_and_norm(fx, g)
    xbound = _absmax(x)
    if not (math.isfinite(fun) and math.isfinite(gnorm) and math.isfinite(xbound)):
        raise ValueError(
            f"f(x0) or its gradient is not finite (f(x0) = {fun}); "
            "choose an x0 inside the domain of f"
        )
    near_overflow = torch.finfo(x.dtype).max / 4
    path = [x] if record_path else None
    values = [fun]  # Python floats: no small tensors pinned between big ones
    status = Status.MAXITER
    isfinite = math.isfinite
    lookahead = (
        _AheadOf(objective, step, fused) if _looks_ahead(ahead, x, callback) else None
    )
    xmax: float | None = None  # ‖x_new‖_∞ when it came with the update's numbers
    for k in range(max_iter):
        if gnorm <= tol:
            status = Status.CONVERGED
            break
        if lookahead is not None:  # on a GPU: update k + 1 queued before k is read
            try:
                due = lookahead.update(k, x, fx, g, max_iter)
            except Stop as stop:
                status = stop.status
                break
            x_new, s, fx_new, g_new = due.x, due.s, due.fx, due.g
            fun_new, gnorm_new, xmax = lookahead.read(due)
        else:
            try:
                x_new, s, fx_new, g_new, both = _advance(
                    objective, step, fused, k, x, fx, g
                )
            except Stop as stop:
                status = stop.status
                break
            if both is None:
                fun_new, gnorm_new = _value_and_norm(fx_new, g_new)
            else:
                fun_new, gnorm_new = _read_back(both.tolist(), g_new, squared=True)
        if s is None:  # a step of unknown size
            xbound = math.inf
        else:  # x_new = x - s g moved by at most |s| ‖g‖; the slack covers rounding
            xbound += abs(s) * gnorm * (1 + 1e-6)
        if not xbound < near_overflow:  # unknown or large: look at the iterate
            xbound = xmax if xmax is not None else _absmax(x_new)
        # each term on its own: their sum could overflow where none of them does
        if not (isfinite(fun_new) and isfinite(gnorm_new) and isfinite(xbound)):
            status = Status.DIVERGED
            break
        x, fx, g, fun, gnorm = x_new, fx_new, g_new, fun_new, gnorm_new
        values.append(fun)
        if path is not None:
            path.append(x)
        if callback is not None and _stops(callback(k + 1, x, fun)):
            status = Status.CALLBACK
            break
    else:
        if gnorm <= tol:
            status = Status.CONVERGED
    if lookahead is not None:  # the update queued past the end of the run
        objective.nfev -= lookahead.drop()
    return OptimizeResult(
        x=x,
        fun=fun,
        grad_norm=gnorm,
        nit=len(values) - 1,
        nfev=objective.nfev,
        status=status,
        path=torch.stack(path) if path is not None else None,
        values=torch.tensor(values, dtype=x.dtype, device=x.device),
        method=method,
        extra=extra if extra is not None else {},
    )


#: Device types on which ``run(..., ahead=True)`` queues the next update before
#: reading the numbers of the current one. A CPU computes each operation as it
#: is called, so there it would only add an evaluation.
AHEAD_DEVICES = ("cuda",)
#: The largest ``x`` for which the driver looks ahead: above it an update's
#: arithmetic takes far longer than the wait it saves (at 2^24 float64
#: entries each pass over ``x`` reads 128 MiB), and the extra iterate and
#: gradient that looking ahead keeps alive take memory.
AHEAD_MAX_NUMEL = 1 << 24


def _advance(
    objective: Objective,
    step: Callable[..., Any],
    fused: Fused | None,
    k: int,
    x: torch.Tensor,
    fx: torch.Tensor,
    g: torch.Tensor,
) -> tuple[torch.Tensor, float | None, torch.Tensor, torch.Tensor, Any]:
    """Update ``k`` and the evaluation at the new point: ``x_{k+1}``, its step
    ``s`` (see :class:`Step`), f and ∇f there, and a fused call's tensor
    ``[f, ‖∇f‖²]`` (None after ``step``, where the driver computes ‖∇f‖)."""
    if fused is not None:  # step and evaluation in one call
        x_new, s, fx_new, g_new, both = fused(k, x, g)
        objective.nfev += 1
        return x_new, s, fx_new, g_new, both
    stepped = step(k, x, fx, g)
    x_new, s = stepped if isinstance(stepped, tuple) else (stepped, None)
    fx_new, g_new = objective.value_and_grad(x_new)
    return x_new, s, fx_new, g_new, None


def _looks_ahead(ahead: bool, x: torch.Tensor, callback: Callback | None) -> bool:
    """Whether to queue each update before the last one's numbers are read.

    Not with a callback: it may read or change the iterate it is given, and
    it runs between two updates.
    """
    return (
        ahead
        and callback is None
        and 0 < x.numel() <= AHEAD_MAX_NUMEL
        and x.device.type in AHEAD_DEVICES
    )


class _Update(NamedTuple):
    """An update queued ahead: ``x_{k+1}``, its step ``s`` (see :class:`Step`),
    f and ∇f there, and what the driver reads of it.

    ``numbers`` is ``[f, ‖∇f‖]`` (``‖∇f‖²`` from a fused call), with
    ``‖x_{k+1}‖_∞`` for a step of unknown size, still on the device or on its
    way to the host. ``error`` is what the step or ``f`` raised: raised again
    (or for :class:`Stop`, obeyed) only if the update falls due.
    """

    x: torch.Tensor
    s: float | None
    fx: torch.Tensor
    g: torch.Tensor
    numbers: Any
    nfev: int
    error: Exception | None = None


class _AheadOf:
    """The updates of a run that looks ahead: each is queued one update early."""

    def __init__(
        self, objective: Objective, step: Callable[..., Any], fused: Fused | None
    ) -> None:
        self.objective = objective
        self.step = step
        self.fused = fused
        self.copies: _HostCopies | None = None  # made at the first GPU update
        self.queued: _Update | None = None  # the update after the due one

    def update(
        self, k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor, max_iter: int
    ) -> _Update:
        """Update ``k`` (made now unless it was queued), with ``k + 1`` queued."""
        due = self.queued if self.queued is not None else self._make(k, x, fx, g)
        self.queued = None
        if due.error is not None:
            raise due.error
        if k + 1 < max_iter:
            self.queued = self._make(k + 1, due.x, due.fx, due.g)
        return due

    def read(self, due: _Update) -> tuple[float, float, float | None]:
        """``f``, ``‖∇f‖`` and (when it was computed) ``‖x‖_∞`` of an update."""
        if isinstance(due.numbers, torch.Tensor):
            numbers = due.numbers.tolist()
        else:
            numbers = _HostCopies.receive(due.numbers)
        fun, gnorm = _read_back(numbers, due.g, squared=self.fused is not None)
        return fun, gnorm, (numbers[2] if len(numbers) > 2 else None)

    def drop(self) -> int:
        """Forget the update queued past the end; the evaluations it made."""
        dropped, self.queued = self.queued, None
        return dropped.nfev if dropped is not None else 0

    def _make(
        self, k: int, x: torch.Tensor, fx: torch.Tensor, g: torch.Tensor
    ) -> _Update:
        before = self.objective.nfev
        try:
            x_new, s, fx_new, g_new, numbers = _advance(
                self.objective, self.step, self.fused, k, x, fx, g
            )
            if numbers is None:  # from step: [f, ‖∇f‖] (a fused call gives ‖∇f‖²)
                norm = torch.linalg.vector_norm(g_new)
                numbers = torch.stack(
                    (fx_new.to(torch.float64), norm.to(torch.float64))
                )
            if s is None:  # the bound on ‖x‖_∞ needs the iterate itself
                xmax = torch.linalg.vector_norm(x_new, ord=math.inf)
                numbers = torch.cat((numbers, xmax.to(torch.float64).reshape(1)))
            if numbers.is_cuda:
                if self.copies is None:
                    self.copies = _HostCopies()
                numbers = self.copies.send(numbers)
        except Exception as error:  # raised again if the update falls due
            blank = torch.empty(0)
            nfev = self.objective.nfev - before
            return _Update(blank, None, blank, blank, None, nfev, error)
        return _Update(x_new, s, fx_new, g_new, numbers, self.objective.nfev - before)


class _HostCopies:
    """A few numbers of an update copied from the GPU to the host behind the
    work queued so far, to be read once that work is done, not once all the
    queued work is (as ``tensor.tolist()`` waits for).

    Two page-locked buffers, each with its event, take turns: at most two
    updates are in flight, and a buffer is read before it is sent again.
    """

    def __init__(self) -> None:
        self.buffers = [
            torch.empty(3, dtype=torch.float64, pin_memory=True) for _ in range(2)
        ]
        self.events = [torch.cuda.Event(), torch.cuda.Event()]
        self.turn = 0

    def send(self, numbers: torch.Tensor) -> tuple[torch.Tensor, Any]:
        buffer = self.buffers[self.turn][: numbers.numel()]
        done = self.events[self.turn]
        self.turn ^= 1
        buffer.copy_(numbers, non_blocking=True)
        done.record(torch.cuda.current_stream(numbers.device))
        return buffer, done

    @staticmethod
    def receive(sent: tuple[torch.Tensor, Any]) -> list[float]:
        buffer, done = sent
        done.synchronize()
        return buffer.tolist()


def _stops(answer: Any) -> bool:
    """Whether a callback's answer asks to stop the run."""
    if answer is True:
        return True
    if isinstance(answer, np.bool_):
        return bool(answer)
    if isinstance(answer, torch.Tensor) and answer.dtype == torch.bool:
        return answer.numel() == 1 and bool(answer)
    return False


def _value_and_norm(fx: torch.Tensor, g: torch.Tensor) -> tuple[float, float]:
    """``f`` and ``‖g‖`` as Python floats (NaN or inf when any entry of g is).

    This runs once per update, so it is tuned: on the CPU ``g·g`` by BLAS for
    a large ``g``, and ``(g * g).sum()`` for a small one, where the BLAS call
    costs more than the arithmetic; on a GPU the two values come back in one
    device sync.
    """
    if g.is_cuda:
        wide = torch.promote_types(fx.dtype, g.dtype)  # f keeps its precision
        norm = torch.linalg.vector_norm(g)
        return _read_back(torch.stack((fx.to(wide), norm.to(wide))).tolist(), g)
    n = g.numel()
    if n == 1:  # a 1-D problem: |g|, with no reduction to launch
        return fx.item(), abs(g.item())
    if n > 1 << 18:  # BLAS: one pass, no temporary; slower below
        flat = g.reshape(-1)
        return fx.item(), _unless_overflow(math.sqrt(torch.dot(flat, flat).item()), g)
    return fx.item(), _unless_overflow(math.sqrt((g * g).sum().item()), g)


def _read_back(
    numbers: list[float], g: torch.Tensor, squared: bool = False
) -> tuple[float, float]:
    """``f`` and ``‖g‖`` from ``[f, ‖g‖, ...]`` read back from the device
    (``[f, ‖g‖², ...]`` when ``squared``)."""
    norm = math.sqrt(numbers[1]) if squared else numbers[1]
    return numbers[0], _unless_overflow(norm, g)


def _unless_overflow(norm: float, g: torch.Tensor) -> float:
    """``norm``, or ``‖g‖`` scaled by ``max |g_i|`` when the squares overflowed
    or underflowed.

    ``‖g‖`` can be finite while ``Σ g_i²`` is not (``g_i = 1e200``): a run
    whose gradient is huge but finite goes on as the lecture's update says.
    And ``Σ g_i²`` can be 0 while ``g`` is not (``g_i = 1e-300``): such a
    run has not reached a stationary point, even with ``tol=0``.
    """
    if norm != math.inf and norm != 0.0:
        return norm
    m = torch.linalg.vector_norm(g, ord=math.inf)
    if m.item() == 0.0:  # g == 0: a stationary point
        return 0.0
    return (torch.linalg.vector_norm(g / m) * m).item()


def _absmax(x: torch.Tensor) -> float:
    """``‖x‖_∞`` (NaN or inf when any entry is)."""
    return torch.linalg.vector_norm(x, ord=math.inf).item() if x.numel() else 0.0
