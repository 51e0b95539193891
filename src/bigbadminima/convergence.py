"""Finite N meets large N: gradient flow at finite N against the CHSCK solution (theory.md §B, §C).

Both start from the same prescribed overlap m(0) = m0 (finite N: x(0) = m0 x* + √(1−m0²) √N u,
u uniform on the sphere orthogonal to x*; :func:`~bigbadminima.gradient_flow.initial_conditions`).
At finite N the trajectory of one run fluctuates around the large-N curve m_∞(t): the random
overlap of x(0) with the outlier direction of the noise shifts the effective m0 by
O(1/(m0 √N)) (theory.md §C.4, last note), and the disorder moves the end point by O(N^-1/2).

Two distances to the large-N curve m_∞(t) (cubic spline through the CHSCK grid, at the recorded
times) are measured per N:

* the **median trajectory** over runs, D(N) = max_t |median_k m_k(t) − m_∞(t)|. A fluctuation that
  moves m_k(t) monotonically and symmetrically cancels in the median at first order, so D(N) is the
  systematic finite-N correction plus the sampling error of the median: it must be compatible
  with 0. The test is a simultaneous band: with se(t) the bootstrap standard error of the median,
  Z = max_t |median − m_∞|/se(t) must not exceed the level-q quantile of the bootstrap draws of
  max_t |median* − median|/se(t) (the band holds at every time at once, q = 0.99 in the checks);
* the **spread** of the runs, S(N) = max_t [q75_k m_k(t) − q25_k m_k(t)] (interquartile range
  across runs, robust to the few runs that fall to m < 0 at small N), which carries the
  O(1/(m0√N)) fluctuations and must shrink like N^-1/2 (fitted exponent a of S ∝ N^-a; measured
  S·√N = 1.88, 1.89, 1.93, 1.94 at N = 64, 128, 256, 512, m0 = 0.2, 1/Δ2 = 2.5, p = 3, Δp = 1).

Median ≈ m_∞ and spread → 0 together say that the distribution of m(t) over runs concentrates on
the large-N curve. Runs on one instance share its disorder, so sampling errors come from a
**cluster bootstrap**: instances are resampled with replacement (all their runs with them) and
every statistic recomputed. The exponent is fitted by least squares in log-log, its interval from
one resampled S per N in each draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "ConvergenceError",
    "SizeComparison",
    "compare_size",
    "convergence_exponent",
    "large_n_overlap",
    "run_matrix",
    "summary_table",
]

#: Columns of the finite-N trajectory tables written by ``bigbadminima convergence-run``.
RUN_COLUMNS = ["p", "n", "delta_p", "inv_delta2", "m0", "t_max", "seed", "replica", "time", "overlap", "energy"]


class ConvergenceError(ValueError):
    """Inconsistent inputs: runs on different grids or parameters, a large-N curve too short."""


def run_matrix(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, overlaps (K, T), instance seed of each run) from the tidy runs of one N.

    Every run must be recorded at the same times; rows are ordered by (seed, replica).
    """
    table = runs.pivot_table(index=["seed", "replica"], columns="time", values="overlap", aggfunc="first")
    if table.isna().any().any():
        raise ConvergenceError("the runs are not all recorded at the same times")
    table = table.sort_index()
    times = table.columns.to_numpy(dtype=float)
    return times, table.to_numpy(dtype=float), table.index.get_level_values("seed").to_numpy()


def large_n_overlap(curve_t: np.ndarray, curve_m: np.ndarray, times: np.ndarray) -> np.ndarray:
    """m_∞ at ``times`` by a cubic spline through the CHSCK solution (t, m); refuses to extrapolate."""
    from scipy.interpolate import CubicSpline

    curve_t = np.asarray(curve_t, dtype=float)
    times = np.asarray(times, dtype=float)
    if times.min() < curve_t.min() - 1e-12 or times.max() > curve_t.max() * (1 + 1e-12):
        raise ConvergenceError(
            f"the large-N curve covers t in [{curve_t.min():g}, {curve_t.max():g}], "
            f"the finite-N runs need [{times.min():g}, {times.max():g}]"
        )
    return CubicSpline(curve_t, np.asarray(curve_m, dtype=float))(times)


def _spread(overlaps: np.ndarray) -> float:
    """max over t of the interquartile range of m(t) across runs (rows)."""
    low, high = np.quantile(overlaps, [0.25, 0.75], axis=0)
    return float(np.max(high - low))


@dataclass(frozen=True)
class SizeComparison:
    """One N against the large-N curve: median trajectory and its band, D, Z and S with their draws."""

    n: int
    runs: int
    instances: int
    times: np.ndarray
    median: np.ndarray
    band_low: np.ndarray
    band_high: np.ndarray
    reference: np.ndarray
    deviation: float
    deviation_draws: np.ndarray
    spread: float
    spread_draws: np.ndarray
    standardised_deviation: float
    standardised_null_draws: np.ndarray

    def critical_value(self, level: float) -> float:
        """The level-quantile of max_t |median* − median|/se(t) over the bootstrap draws."""
        return float(np.quantile(self.standardised_null_draws, level))

    def summary_row(self, confidence: float) -> dict:
        row = {"n": self.n, "runs": self.runs, "instances": self.instances}
        for name in ("deviation", "spread"):
            draws = getattr(self, f"{name}_draws")
            low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
            row.update({name: getattr(self, name), f"{name}_standard_error": float(np.std(draws, ddof=1)),
                        f"{name}_low": float(low), f"{name}_high": float(high)})
        return row


def compare_size(
    n: int,
    runs: pd.DataFrame,
    curve_t: np.ndarray,
    curve_m: np.ndarray,
    rng: np.random.Generator,
    samples: int,
    confidence: float = 0.95,
    reference_error: float = 0.0,
) -> SizeComparison:
    """D(N) and S(N) of the runs of one N (module docstring), the median trajectory with its
    pointwise band, ``samples`` cluster-bootstrap draws of both, and the standardised
    distance Z with its bootstrap null draws. ``reference_error`` (the error estimate of m_∞) is
    taken off |median − m_∞| before standardising."""
    times, overlaps, seeds = run_matrix(runs)
    reference = large_n_overlap(curve_t, curve_m, times)
    instances = np.unique(seeds)
    members = [np.flatnonzero(seeds == seed) for seed in instances]
    draws = np.empty(samples)
    spread_draws = np.empty(samples)
    medians = np.empty((samples, times.size))
    for draw in range(samples):
        chosen = rng.integers(0, instances.size, instances.size)
        rows = np.concatenate([members[k] for k in chosen])
        medians[draw] = np.median(overlaps[rows], axis=0)
        draws[draw] = float(np.max(np.abs(medians[draw] - reference)))
        spread_draws[draw] = _spread(overlaps[rows])
    band_low, band_high = np.quantile(medians, [(1 - confidence) / 2, (1 + confidence) / 2], axis=0)
    median = np.median(overlaps, axis=0)
    standard_error = np.std(medians, axis=0, ddof=1)
    varies = standard_error > 0  # t = 0: every run starts at m0 exactly
    excess = np.maximum(np.abs(median - reference) - reference_error, 0.0)
    standardised = float(np.max(excess[varies] / standard_error[varies], initial=0.0))
    null_draws = np.max(np.abs(medians[:, varies] - median[varies]) / standard_error[varies], axis=1, initial=0.0)
    return SizeComparison(
        n=n,
        runs=overlaps.shape[0],
        instances=instances.size,
        times=times,
        median=median,
        band_low=band_low,
        band_high=band_high,
        reference=reference,
        deviation=float(np.max(np.abs(median - reference))),
        deviation_draws=draws,
        spread=_spread(overlaps),
        spread_draws=spread_draws,
        standardised_deviation=standardised,
        standardised_null_draws=null_draws,
    )


def convergence_exponent(
    comparisons: list[SizeComparison], statistic: str = "spread", confidence: float = 0.95
) -> dict:
    """a of statistic(N) ∝ N^-a (``statistic``: "spread" S or "deviation" D): least squares of the
    logarithms, with a bootstrap interval.

    Each bootstrap draw k pairs the k-th resampled statistic of every N (the sizes are independent),
    so the interval carries the sampling error of every point. Needs at least two sizes.
    """
    if len(comparisons) < 2:
        raise ConvergenceError("the convergence exponent needs runs at two sizes N at least")
    log_n = np.log([c.n for c in comparisons])
    if np.unique(log_n).size != log_n.size:
        raise ConvergenceError("each size N may appear once")

    def slope(deviations: np.ndarray) -> np.ndarray:
        log_d = np.log(np.maximum(deviations, 1e-300))
        centred = log_n - log_n.mean()
        return -(centred @ (log_d - log_d.mean(axis=-1, keepdims=True)).T) / (centred @ centred)

    values = np.array([getattr(c, statistic) for c in comparisons])
    point = float(slope(values[None, :])[0])
    draws = slope(np.array([getattr(c, f"{statistic}_draws") for c in comparisons]).T)
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    prefactor = math.exp(np.mean(np.log(values)) + point * log_n.mean())
    return {
        "exponent": point, "exponent_low": float(low), "exponent_high": float(high),
        "exponent_standard_error": float(np.std(draws, ddof=1)), "prefactor": prefactor,
        "n_min": int(min(c.n for c in comparisons)), "n_max": int(max(c.n for c in comparisons)),
    }


def summary_table(comparisons: list[SizeComparison], fit: dict, confidence: float, band_level: float,
                  point: dict) -> pd.DataFrame:
    """One row per N (``convergence-summary --summary-out``, read by the stage's checks): D(N), S(N) with
    intervals, Z and its critical value at ``band_level``, then the exponent fit, ``confidence`` and the
    ``point``'s entries (the model parameters, the large-N curve's error and method, the horizon): the
    model parameters first."""
    summary = pd.DataFrame([{**c.summary_row(confidence), "standardised_deviation": c.standardised_deviation,
                             "critical_value": c.critical_value(band_level), "band_level": band_level}
                            for c in comparisons])
    for name, value in {**fit, "confidence": confidence}.items():
        summary[name] = value
    model = ["p", "delta_p", "inv_delta2", "m0"]
    for name, value in point.items():
        if name in model:
            summary.insert(0, name, value)
        else:
            summary[name] = value
    return summary
