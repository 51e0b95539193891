"""Gradient flow on the sphere at finite N (theory.md §B, T = 0).

    dx/dt = -P_x ∇ℒ(x) = -∇ℒ(x) - μ(x) x,     μ(x) = -x·∇ℒ(x)/N

The exact flow keeps |x|² = N. It is integrated with the classical fourth-order
Runge-Kutta scheme in the ambient space, followed after each step by the
retraction x ← √N x/|x| (the flow's tangent field makes the norm drift only at
O(h⁵) per step; the retraction removes it without changing the order). A batch of
replicas x of shape (B, N) advances together, so the tensor is read once per
stage for all of them.

Observables (theory.md §B.3) are recorded on a log-spaced time grid: overlap
m = x·x*/N, energy per site ε = ℒ/N, multiplier μ and the norm of the
Riemannian gradient per site |P∇ℒ|/√N.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .model import Instance

__all__ = ["FlowBlowUp", "FlowResult", "check_step_count", "initial_conditions", "log_time_grid", "run_gradient_flow"]

#: Largest tolerated drift of |x|²/N - 1 in one step, *before* the retraction. The drift is a
#: measure of the local truncation error (the exact flow keeps the norm); a resolved RK4 step
#: drifts by ~1e-5 at dt = 0.1 on an O(1) gradient. Beyond 1e-3 the step no longer resolves the
#: flow (instability, blow-up) and the run stops instead of projecting the error away.
NORM_DRIFT_LIMIT = 1e-3
#: Most RK4 steps one call integrates (t_max / dt). The default config's longest run takes 4·10³
#: steps; 10⁷ steps at N = 64 already take hours, so a larger count is a mistyped t_max or dt.
MAX_STEPS = 10_000_000


def check_step_count(t_max: float, dt: float) -> None:
    """Refuse a non-finite or non-positive horizon or step, and more than MAX_STEPS steps."""
    if not (math.isfinite(t_max) and t_max > 0 and math.isfinite(dt) and dt > 0):
        raise ValueError(f"the horizon and the step must be finite and > 0, got {t_max!r} and dt = {dt!r}")
    if t_max / dt > MAX_STEPS:
        raise ValueError(f"horizon {t_max:g} / dt {dt:g} = {t_max / dt:.3g} RK4 steps exceeds the limit of "
                         f"{MAX_STEPS:.0e} steps per run (gradient_flow.MAX_STEPS): use a larger dt or a shorter horizon")


class FlowBlowUp(RuntimeError):
    """The integration produced a non-finite state or lost the spherical constraint."""


@dataclass
class FlowResult:
    """Observables of a batch of trajectories on the recording grid.

    Arrays are (n_times, B): ``times`` is (n_times,).
    """

    times: np.ndarray
    overlap: np.ndarray
    energy: np.ndarray
    multiplier: np.ndarray
    gradient_norm: np.ndarray
    final_state: np.ndarray
    max_norm_error: float


def log_time_grid(t_max: float, points_per_decade: int, resolution: float) -> np.ndarray:
    """0 plus log-spaced times from ``resolution`` to t_max, rounded to multiples of ``resolution``.

    With ``resolution`` a multiple of the step dt, every recorded time is an exact step
    of the integrator; runs with dt, dt/2, dt/4 on one resolution record the same times.
    """
    if not (t_max > 0 and resolution > 0 and points_per_decade >= 1):
        raise ValueError(
            f"need t_max > 0, resolution > 0, points_per_decade >= 1 (got {t_max}, {resolution}, {points_per_decade})"
        )
    if t_max <= resolution:
        return np.array([0.0, resolution])
    decades = math.log10(t_max / resolution)
    raw = np.logspace(0.0, decades, max(2, int(round(decades * points_per_decade)) + 1))
    units = np.unique(np.round(raw).astype(np.int64))
    return np.concatenate([[0.0], units * resolution])


def initial_conditions(instance: Instance, replicas: int, m0: float | None = None) -> np.ndarray:
    """(replicas, N) starting points on the sphere |x|² = N.

    ``m0 is None``: uniform on the sphere, with the sign flipped where needed so that
    m(0) > 0 (theory.md §A.5: for odd p the theory assumes m0 > 0; flipping x(0) keeps
    it uniform on the half-sphere). Otherwise x(0) = m0 x* + √(1 - m0²) √N u with u a
    random unit vector orthogonal to x*, so that m(0) = m0 exactly.
    """
    points = instance.random_sphere_points(replicas)
    spike_unit = instance.spike / math.sqrt(instance.n)
    if m0 is None:
        signs = np.where(points @ spike_unit < 0, -1.0, 1.0)
        return points * signs[:, None]
    if not (-1.0 < m0 < 1.0):
        raise ValueError(f"m0 must lie in (-1, 1), got {m0}")
    orthogonal = points - np.outer(points @ spike_unit, spike_unit)
    orthogonal /= np.linalg.norm(orthogonal, axis=1, keepdims=True)
    return math.sqrt(instance.n) * (m0 * spike_unit[None, :] + math.sqrt(1.0 - m0 * m0) * orthogonal)


def _flow_field(instance: Instance, x: np.ndarray) -> np.ndarray:
    """-P_x ∇ℒ(x) for a batch x of shape (B, N)."""
    gradient = instance.gradient(x)
    multiplier = -np.sum(x * gradient, axis=1) / instance.n
    return -(gradient + multiplier[:, None] * x)


def run_gradient_flow(
    instance: Instance,
    x0: np.ndarray,
    t_max: float,
    dt: float,
    points_per_decade: int = 20,
    resolution: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> FlowResult:
    """Integrate dx/dt = -P_x∇ℒ from x0 (shape (B, N) or (N,)) up to t_max with RK4 step dt.

    Observables are recorded on ``log_time_grid(t_max, points_per_decade, resolution)``;
    ``resolution`` (default dt) must be a multiple of dt.

    Raises :class:`FlowBlowUp` on a non-finite state or a norm drift per step above
    ``NORM_DRIFT_LIMIT`` (the step is too large for the flow; the message says so).
    ``progress(t)`` is called after every recorded time.
    """
    check_step_count(t_max, dt)
    x = np.array(np.atleast_2d(x0), dtype=float)
    n = instance.n
    if x.shape[1] != n:
        raise ValueError(f"x0 has {x.shape[1]} components, the instance has N = {n}")
    norm_error = np.abs(np.sum(x * x, axis=1) / n - 1.0).max()
    if norm_error > 1e-10:
        raise ValueError(f"x0 is not on the sphere |x|^2 = N (relative error {norm_error:.2e})")
    grid = log_time_grid(t_max, points_per_decade, dt if resolution is None else resolution)
    record_steps = np.round(grid / dt).astype(np.int64)
    if np.abs(record_steps * dt - grid).max() > 1e-9 * grid[-1]:
        raise ValueError(f"the recording resolution {resolution} is not a multiple of the step dt = {dt}")
    shape = (grid.size, x.shape[0])
    overlap, energy, multiplier, gradient_norm = (np.empty(shape) for _ in range(4))

    def record(row: int) -> None:
        loss, gradient = instance.loss_and_gradient(x)
        mu = -np.sum(x * gradient, axis=1) / n
        tangent = gradient + mu[:, None] * x
        overlap[row] = instance.overlap(x)
        energy[row] = loss / n
        multiplier[row] = mu
        gradient_norm[row] = np.linalg.norm(tangent, axis=1) / math.sqrt(n)

    max_norm_error = 0.0
    step = 0
    record(0)
    for row in range(1, grid.size):
        while step < record_steps[row]:
            k1 = _flow_field(instance, x)
            k2 = _flow_field(instance, x + 0.5 * dt * k1)
            k3 = _flow_field(instance, x + 0.5 * dt * k2)
            k4 = _flow_field(instance, x + dt * k3)
            x = x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            squared_norm = np.sum(x * x, axis=1)
            drift = np.abs(squared_norm / n - 1.0).max()
            if not np.isfinite(drift):
                raise FlowBlowUp(f"non-finite state at t = {(step + 1) * dt:g}: reduce dt (now {dt:g})")
            if drift > NORM_DRIFT_LIMIT:
                raise FlowBlowUp(
                    f"spherical constraint lost at t = {(step + 1) * dt:g}: |x|^2/N - 1 = {drift:.2e} "
                    f"after one step (limit {NORM_DRIFT_LIMIT:g}); reduce dt (now {dt:g})"
                )
            max_norm_error = max(max_norm_error, drift)
            x *= np.sqrt(n / squared_norm)[:, None]
            step += 1
        record(row)
        if progress is not None:
            progress(grid[row])
    return FlowResult(
        times=grid,
        overlap=overlap,
        energy=energy,
        multiplier=multiplier,
        gradient_norm=gradient_norm,
        final_state=x,
        max_norm_error=max_norm_error,
    )
