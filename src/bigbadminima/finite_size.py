"""Finite-size statistics of gradient flow from random starts (theory.md §B.2, §D.6, §F.3).

A uniformly random start has m(0) = |g|/√N with g standard normal (sign flipped so that m(0) > 0,
§A.5), median ``MEDIAN_ABS_NORMAL``/√N. Above 1/Δ2^GF the threshold states are saddles toward the
signal (§D.6) and the flow leaves them; the escape time grows like ln(1/m0)/λ ≈ ½ ln N/λ plus an
N-independent part (§B.2). At accessible N, m0 is finite and the large-N flow from that m0 escapes
faster than the linear rate λ∞ predicts (docs/dynamics.md, section 6). The references drawn beside the
data are therefore both the CHSCK curve started at m0(N) = ``MEDIAN_ABS_NORMAL``/√N and the asymptotic
slope b∞ = 1/(2λ∞); docs/dynamics.md, section 7 reports that at N ≤ 256 the measured escape times grow
with N more slowly than either.

Observables of one run carried to its horizon t_h (no early stop):

* the *escape time*: first passage of |m(t)| to the escape level m_esc = ½ m*(1/Δ2) (half the good
  minimum's overlap, theory.md §D.5), linearly interpolated, with the *sign* of m there: for odd p
  the flow can escape to the m < 0 branch, which is counted apart;
* *success*: escaped with m > 0 and m(t) ≥ m_esc at every record from then to t_h (a run that falls
  back is a *transient*, counted apart, not a success).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import fits
from .gradient_flow import check_step_count, run_gradient_flow
from .model import Instance

__all__ = [
    "MEDIAN_ABS_NORMAL", "OUTCOMES", "HorizonRuns", "asymptotic_midpoint", "asymptotic_slope", "crossing_point",
    "escape_level", "escape_statistics", "first_passage_time", "fit_log_growth", "horizon_for_size",
    "large_n_prediction", "median_escape_time", "run_outcome", "run_to_horizon", "summarise_runs",
    "typical_initial_overlap", "wilson_interval",
]

#: Median of |g| for g ~ N(0, 1): Φ⁻¹(3/4). A random start has median m(0) = MEDIAN_ABS_NORMAL/√N.
MEDIAN_ABS_NORMAL = 0.6744897501960817


def typical_initial_overlap(n: int) -> float:
    """Median overlap m(0) = Φ⁻¹(3/4)/√N of a uniform random start on the sphere (large-N Gaussian limit)."""
    return MEDIAN_ABS_NORMAL / math.sqrt(n)


@dataclass(frozen=True)
class HorizonRuns:
    """Per replica: m(0); first passage of |m| to the escape level (NaN if none by t_h) and the sign of m
    there (0 if none); whether m kept its sign and |m| ≥ level from then on; m and ε at t_h."""

    initial_overlap: np.ndarray
    escape_time: np.ndarray
    escape_sign: np.ndarray
    stayed: np.ndarray
    final_overlap: np.ndarray
    final_energy: np.ndarray

    @property
    def success(self) -> np.ndarray:
        """Escaped toward the signal (m > 0) and stayed beyond the escape level to the horizon."""
        return run_outcome(self.escape_sign, self.stayed) == "success"


def first_passage_time(times: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """First time each column of ``values`` (n_times, B) reaches ``level``, linearly interpolated
    between the bracketing records (fits.escape_time per column); NaN where it never does."""
    values = np.asarray(values, dtype=float).reshape(len(times), -1)
    return np.array([fits.escape_time(times, values[:, column], level) for column in range(values.shape[1])])


def escape_statistics(times: np.ndarray, overlap: np.ndarray, level: float):
    """(escape time, sign, stayed) of each column of the recorded overlaps ``overlap`` (n_times, B):
    first passage of |m| to ``level``, the sign of m at the first record beyond it, and whether
    sign·m ≥ level at every record from there on."""
    escape_time = first_passage_time(times, np.abs(overlap), level)
    sign = np.zeros(overlap.shape[1], dtype=np.int64)
    stayed = np.zeros(overlap.shape[1], dtype=bool)
    for column in np.flatnonzero(np.isfinite(escape_time)):
        row = int(np.argmax(np.abs(overlap[:, column]) >= level))
        sign[column] = 1 if overlap[row, column] > 0 else -1
        stayed[column] = bool((sign[column] * overlap[row:, column] >= level).all())
    return escape_time, sign, stayed


def run_to_horizon(
    instance: Instance,
    x0: np.ndarray,
    horizon: float,
    dt: float,
    escape_overlap: float,
    record_every: float = 0.5,
    progress: Callable[[float], None] | None = None,
) -> HorizonRuns:
    """Gradient flow (RK4 step ``dt``) of the replicas x0 (B, N) to ``horizon``, m recorded every
    ``record_every`` (a multiple of dt dividing the horizon); escape, sign and staying as in the
    module docstring. ``progress(t)`` is called after every record."""
    check_step_count(horizon, dt)
    records = round(horizon / record_every)
    if records < 1 or abs(records * record_every - horizon) > 1e-9 * horizon:
        raise ValueError(f"the horizon {horizon:g} must be a positive multiple of record_every = {record_every:g}")
    if not 0.0 < escape_overlap < 1.0:
        raise ValueError(f"the escape overlap must lie in (0, 1), got {escape_overlap}")
    # every multiple of record_every lies on the log grid once 10^(1/ppd) > records/(records - 1)
    result = run_gradient_flow(
        instance, x0, horizon, dt, points_per_decade=math.ceil(3 * records), resolution=record_every,
        progress=progress,
    )
    escape_time, sign, stayed = escape_statistics(result.times, result.overlap, escape_overlap)
    return HorizonRuns(
        initial_overlap=result.overlap[0], escape_time=escape_time, escape_sign=sign, stayed=stayed,
        final_overlap=result.overlap[-1], final_energy=result.energy[-1],
    )


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


def median_escape_time(escape_time: np.ndarray) -> float:
    """Median over runs of the escape time, runs that never escaped counted as escaping after the horizon
    (censored at +∞); NaN when half of the runs or more never escaped (the median is then censored)."""
    values = np.where(np.isfinite(escape_time), escape_time, np.inf)
    median = float(np.median(values))
    return median if np.isfinite(median) else math.nan


def crossing_point(x: np.ndarray, y: np.ndarray, level: float = 0.5) -> float:
    """The first x (ascending) where y rises through ``level``, linearly interpolated; +inf if y never
    reaches it (the crossing lies above the grid), -inf if y[0] is already at or above it (below the grid)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    above = y >= level
    if not above.any():
        return math.inf
    row = int(np.argmax(above))
    if row == 0:
        return -math.inf
    return float(x[row - 1] + (level - y[row - 1]) / (y[row] - y[row - 1]) * (x[row] - x[row - 1]))


def fit_log_growth(n: np.ndarray, times: np.ndarray) -> tuple[float, float]:
    """Least-squares (a, b) of t = a + b ln N (theory.md §B.2: b = ½/λ as N → ∞)."""
    log_n, times = np.log(np.asarray(n, dtype=float)), np.asarray(times, dtype=float)
    if np.unique(log_n).size < 2:
        raise ValueError("the escape-time fit needs two sizes N at least")
    slope, intercept = np.polyfit(log_n, times, 1)
    return float(intercept), float(slope)


def horizon_for_size(n: int, horizon_per_log_n: float, record_every: float) -> float:
    """The horizon t_h = c ln N rounded up to a multiple of ``record_every`` (theory.md §B.2: an escape
    that takes ½ ln N/λ fits below it when λ > 1/(2c))."""
    if not (math.isfinite(horizon_per_log_n) and horizon_per_log_n > 0):
        raise ValueError(f"the horizon per ln N must be a finite number > 0, got {horizon_per_log_n}")
    return record_every * math.ceil(horizon_per_log_n * math.log(n) / record_every - 1e-9)


def escape_level(params) -> float:
    """The escape level m_esc = ½ m* of the module docstring (the good minimum, theory.md §D.5); raises
    ParameterError where 1/Δ2 is too small for a minimum correlated with the signal."""
    from .landscape import good_minimum

    return 0.5 * good_minimum(params).m


def asymptotic_slope(params) -> float:
    """b∞ = 1/(2 λ∞) of t_esc ≈ a + b ln N as N → ∞, with λ∞ = (θ − σ)²/θ the threshold states' BBP growth
    rate (theory.md §B.2, §D.6); +inf at or below 1/Δ2^GF."""
    from .landscape import threshold_growth_rate

    rate = threshold_growth_rate(params)
    return 0.5 / rate if rate > 0 else math.inf


def asymptotic_midpoint(p: int, delta_p: float, horizon_per_log_n: float) -> float:
    """The 1/Δ2 where success by t_h = c ln N turns on as N → ∞: the root of λ∞(1/Δ2) = 1/(2c) above
    1/Δ2^GF, with λ∞ = (θ − σ)²/θ the BBP growth rate (theory.md §D.6; increasing in θ = 1/Δ2 there)."""
    from scipy.optimize import brentq

    from .landscape import gf_threshold, threshold_growth_rate
    from .params import ModelParams

    target = 0.5 / horizon_per_log_n
    low = float(gf_threshold(p, delta_p))

    def excess(theta: float) -> float:
        return threshold_growth_rate(ModelParams.from_inv_delta2(p, theta, delta_p)) - target

    high = 2.0 * low
    while excess(high) < 0:
        high *= 2.0
    return float(brentq(excess, low, high, xtol=1e-12))


#: Outcome of a run at its horizon, from (escape sign, stayed): the success and the three ways to miss it.
OUTCOMES = ("success", "negative", "transient", "trapped")


def run_outcome(escape_sign: np.ndarray, stayed: np.ndarray) -> np.ndarray:
    """'success' (escaped to m > 0 and stayed), 'negative' (escaped to the m < 0 branch and stayed),
    'transient' (escaped, then fell back below the level or changed sign), 'trapped' (never escaped)."""
    escape_sign, stayed = np.asarray(escape_sign), np.asarray(stayed, dtype=bool)
    return np.select(
        [(escape_sign > 0) & stayed, (escape_sign < 0) & stayed, escape_sign != 0],
        ["success", "negative", "transient"], default="trapped",
    )


def _point_statistics(success: np.ndarray, escape_time: np.ndarray, final_overlap: np.ndarray) -> dict:
    """Success share, median escape time (of the runs given: the m < 0 branch is left out by the caller,
    trapped runs are censored) and median end overlap of the successes, of one group of runs."""
    return {
        "probability": float(success.mean()),
        "escape_time_median": median_escape_time(escape_time) if escape_time.size else math.nan,
        "success_overlap_median": float(np.median(final_overlap[success])) if success.any() else math.nan,
    }


class _SizeRuns:
    """The runs at one N, split by (1/Δ2, instance) into arrays, so that a bootstrap draw of instances only
    concatenates arrays."""

    def __init__(self, runs, grid):
        self.grid = grid
        self.seeds = np.sort(runs["seed"].unique())
        self.cells = {}
        for (x, seed), group in runs.groupby(["inv_delta2", "seed"]):
            positive_branch = group["escape_sign"].to_numpy() >= 0
            self.cells[(x, seed)] = (group["success"].to_numpy(dtype=bool),
                                     group["escape_time"].to_numpy(dtype=float)[positive_branch],
                                     group["final_overlap"].to_numpy(dtype=float))

    def statistics(self, seeds) -> dict:
        """Per 1/Δ2 statistics of the runs of the instances ``seeds`` (repeats kept: a cluster bootstrap) and
        the midpoint 1/Δ2_c where P(success) crosses ½ over the grid."""
        points = {}
        for x in self.grid:
            cells = [self.cells[(x, seed)] for seed in seeds if (x, seed) in self.cells]
            if cells:
                points[x] = _point_statistics(*(np.concatenate(parts) for parts in zip(*cells)))
        probability = [points[x]["probability"] if x in points else math.nan for x in self.grid]
        return {"points": points, "midpoint": crossing_point(self.grid, probability)}


def _fit_slopes(sizes: dict, grid) -> dict:
    """Per 1/Δ2: slope b of the median escape time against ln N over the sizes where the median is finite."""
    slopes = {}
    for x in grid:
        pairs = [(n, stats["points"][x]["escape_time_median"]) for n, stats in sizes.items() if x in stats["points"]]
        pairs = [(n, t) for n, t in pairs if math.isfinite(t)]
        slopes[x] = fit_log_growth(*zip(*pairs))[1] if len({n for n, _ in pairs}) >= 2 else math.nan
    return slopes


def summarise_runs(runs, samples: int, seed: int, level: float = 0.95) -> dict:
    """Point estimates and cluster-bootstrap intervals (instances resampled within each N, the same draw for
    every 1/Δ2 of that N; percentile intervals at ``level``) of P(success), the median escape time, the
    median end overlap of the successes, the midpoint 1/Δ2_c(N) and the slope b(1/Δ2) of t_esc = a + b ln N.

    ``runs``: one row per run with n, inv_delta2, seed, success, escape_sign, escape_time, final_overlap.
    Returns {"points": {(n, x): {statistic: (value, low, high)}}, "midpoints": {n: (value, low, high)},
    "slopes": {x: (value, low, high)}}. A midpoint off the grid is ±inf (crossing_point), and so may be the
    ends of its interval; a statistic that is undefined (NaN: a censored median, too few sizes) in more than
    5 % of the draws has a NaN interval, otherwise the defined draws make it. The interval ends are draws
    (inverted-CDF quantiles), never interpolated.
    """
    grid = np.sort(runs["inv_delta2"].unique())
    sizes = {int(n): _SizeRuns(group, grid) for n, group in runs.groupby("n")}
    estimate = {n: size.statistics(size.seeds) for n, size in sizes.items()}
    estimate_slopes = _fit_slopes(estimate, grid)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(samples):
        drawn = {n: size.statistics(rng.choice(size.seeds, size=size.seeds.size, replace=True))
                 for n, size in sizes.items()}
        draws.append((drawn, _fit_slopes(drawn, grid)))

    def interval(values, centre) -> tuple[float, float, float]:
        values = np.asarray(values, dtype=float)
        defined = values[~np.isnan(values)]
        if defined.size < 0.95 * values.size:
            return centre, math.nan, math.nan
        low, high = np.quantile(defined, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
        return centre, float(low), float(high)

    points = {}
    for n, stats in estimate.items():
        for x, values in stats["points"].items():
            points[(n, x)] = {name: interval([d[0][n]["points"][x][name] for d in draws], value)
                              for name, value in values.items()}
    midpoints = {n: interval([d[0][n]["midpoint"] for d in draws], stats["midpoint"]) for n, stats in estimate.items()}
    slopes = {x: interval([d[1][x] for d in draws], value) for x, value in estimate_slopes.items()}
    return {"points": points, "midpoints": midpoints, "slopes": slopes}


def large_n_prediction(times: np.ndarray, overlap: np.ndarray, level: float, horizon: float) -> dict:
    """The large-N (CHSCK) curve from the typical m(0) of a size, recorded to ``horizon`` (its last time within
    one solver step of it): its escape time to ``level`` and whether it succeeds (escaped with m > 0 and
    m ≥ level from there on)."""
    times, overlap = np.asarray(times, dtype=float), np.asarray(overlap, dtype=float)
    inside = times <= horizon * (1 + 1e-12)
    passage, sign, stayed = escape_statistics(times[inside], overlap[inside, None], level)
    return {"escape_time": float(passage[0]), "success": bool(run_outcome(sign, stayed)[0] == "success")}
