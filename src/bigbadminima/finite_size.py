"""Finite-size statistics of gradient flow from random starts (theory.md §B.2, §D.6, §F.3).

A uniformly random start has m(0) = O(N^-1/2) (sign flipped so that m(0) > 0, §A.5). As N
grows the flow spends longer near the threshold states at m ≈ 0 before the BBP direction
of §D.6 (open for 1/Δ2 > 1/Δ2^GF) carries it to the signal, the escape time growing like
log N (§B.2). Two observables per run:

* the *escape time*: the first time m(t) reaches ``threshold`` (0.5), by linear
  interpolation between recorded times;
* *success*: an escape before the horizon t_h.

A run is stopped at the end of the segment in which it escaped (gradient flow is a descent:
past m = 0.5 it is in the signal's basin; tests/test_finite_size.py checks that stopping
never changes the success verdict against runs carried to t_h). Runs that have not escaped
go on to t_h, so their cost, not the escaped runs', sets the budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .gradient_flow import check_step_count, run_gradient_flow
from .model import Instance

__all__ = ["EscapeRuns", "fit_log_growth", "first_passage_time", "run_until_escape", "wilson_interval"]


@dataclass(frozen=True)
class EscapeRuns:
    """Per replica: m(0), escape time (NaN if none before the horizon), m and t where it stopped."""

    initial_overlap: np.ndarray
    escape_time: np.ndarray
    final_overlap: np.ndarray
    final_time: np.ndarray

    @property
    def success(self) -> np.ndarray:
        return np.isfinite(self.escape_time)


def first_passage_time(times: np.ndarray, overlap: np.ndarray, threshold: float) -> np.ndarray:
    """First time each column of ``overlap`` (n_times, B) reaches ``threshold``, linearly
    interpolated between the bracketing records; NaN where it never does."""
    reached = overlap >= threshold
    out = np.full(overlap.shape[1], np.nan)
    for replica in np.flatnonzero(reached.any(axis=0)):
        row = int(np.argmax(reached[:, replica]))
        if row == 0:
            out[replica] = times[0]
            continue
        m_before, m_after = overlap[row - 1, replica], overlap[row, replica]
        fraction = (threshold - m_before) / (m_after - m_before)
        out[replica] = times[row - 1] + fraction * (times[row] - times[row - 1])
    return out


def run_until_escape(
    instance: Instance,
    x0: np.ndarray,
    horizon: float,
    dt: float,
    threshold: float = 0.5,
    record_every: float = 0.5,
    segment: float = 2.5,
    progress: Callable[[float, int], None] | None = None,
) -> EscapeRuns:
    """Gradient flow (RK4 step ``dt``) of the replicas x0 (B, N) until each escapes or ``horizon``.

    The flow runs in segments of ``segment`` time units, m recorded every ``record_every``
    (a multiple of dt; segment and horizon multiples of it); replicas that escaped in a
    segment leave the batch. ``progress(t, active_replicas)`` is called after each segment.
    """
    check_step_count(horizon, dt)
    steps = [round(value / record_every) for value in (horizon, segment)]
    for value, count in zip((horizon, segment), steps):
        if count < 1 or abs(count * record_every - value) > 1e-9 * value:
            raise ValueError(f"horizon and segment must be positive multiples of record_every = {record_every}")
    x = np.array(np.atleast_2d(x0), dtype=float)
    replicas = x.shape[0]
    initial_overlap = instance.overlap(x)
    escape_time = np.full(replicas, np.nan)
    final_overlap = initial_overlap.copy()
    final_time = np.zeros(replicas)
    active = np.arange(replicas)
    # every multiple of record_every on the log grid: its top ratio K/(K-1) must be below 10^(1/ppd)
    points_per_decade = math.ceil(3 * steps[1])
    start_step = 0
    while active.size and start_step < steps[0]:
        length = min(steps[1], steps[0] - start_step) * record_every
        result = run_gradient_flow(
            instance, x[active], length, dt, points_per_decade=points_per_decade, resolution=record_every
        )
        times = start_step * record_every + result.times
        x[active] = result.final_state
        crossed = first_passage_time(times, result.overlap, threshold)
        final_overlap[active] = result.overlap[-1]
        final_time[active] = times[-1]
        escaped = np.isfinite(crossed)
        escape_time[active[escaped]] = crossed[escaped]
        active = active[~escaped]
        start_step += round(length / record_every)
        if progress is not None:
            progress(start_step * record_every, active.size)
    return EscapeRuns(initial_overlap, escape_time, final_overlap, final_time)


def wilson_interval(successes, trials, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (default 95%): well behaved at 0 and 1."""
    successes, trials = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if (trials <= 0).any() or (successes < 0).any() or (successes > trials).any():
        raise ValueError("need 0 <= successes <= trials and trials > 0")
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half_width = z * np.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return np.clip(centre - half_width, 0.0, 1.0), np.clip(centre + half_width, 0.0, 1.0)


def fit_log_growth(n: np.ndarray, times: np.ndarray) -> dict:
    """Least-squares t = a + b ln N over all escaped runs, with standard errors of a and b.

    The §B.2 expectation is b > 0 (t_esc ≈ log(1/m0)/rate with m0 ∝ N^-1/2).
    """
    log_n, times = np.log(np.asarray(n, dtype=float)), np.asarray(times, dtype=float)
    if np.unique(log_n).size < 2:
        raise ValueError("the escape-time fit needs runs at two sizes N at least")
    design = np.column_stack([np.ones_like(log_n), log_n])
    coefficients, _, _, _ = np.linalg.lstsq(design, times, rcond=None)
    residual = times - design @ coefficients
    dof = max(times.size - 2, 1)
    covariance = np.linalg.inv(design.T @ design) * (residual @ residual) / dof
    return {
        "intercept": float(coefficients[0]),
        "slope_per_log_n": float(coefficients[1]),
        "intercept_stderr": float(math.sqrt(covariance[0, 0])),
        "slope_stderr": float(math.sqrt(covariance[1, 1])),
        "runs": int(times.size),
    }
