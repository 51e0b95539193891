"""Escape times, growth rates and the numerical gradient-flow threshold (theory.md §C.3, §C.5, §D.6).

Definitions used throughout (and in the figures):

* **Escape time** t_esc: the first time the overlap m(t) reaches ``ESCAPE_LEVEL`` = 0.4 (about
  half of the good-minimum overlap for the parameters of theory.md §G), linearly interpolated
  between grid points. It is what [PS] extrapolated, and it depends on m0: near the threshold
  t_esc ≈ c + log(1/m0)/λ (theory.md §C.3), so at fixed m0 it stays finite below threshold.
* **Growth rate** λ(t) = d log m/dt in the m0 → 0⁺ limit (``solve_chsck(..., linear=True)``).
  Above the threshold it tends to the rate of the unstable direction of the threshold states,
  λ_∞ > 0 (theory.md §D.6 predicts (θ - σ)²/θ); below, m grows as a power of t and λ(t) → 0.
  λ(t) approaches λ_∞ slowly from above, like a power of t; :func:`extrapolate_rate` fits
  λ(t) = λ_∞ + a t^(-β) on the late part of the run.
* **Numerical threshold**: λ_∞ vanishes quadratically at θ_c (a BBP transition: the outlier
  sits at a distance ∝ (θ - θ_c)² from the bulk edge), so the root g = √(θ λ_∞) is regular
  and nearly linear through θ_c; :func:`threshold_from_rates` fits g = a (θ - θ_c) +
  b (θ - θ_c)² on a grid θ > θ_c and reports θ_c with a confidence interval from a parametric
  bootstrap over the λ_∞ uncertainties and the fit residuals. The variable θλ is the one in
  which a BBP rate (θ - σ)²/θ is a perfect square; the fit does not fix σ or use the closed
  form of the threshold (with √λ instead, the curvature of the shape costs ~0.2-0.5 % in θ_c).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = [
    "ESCAPE_LEVEL",
    "RateFit",
    "ThresholdFit",
    "escape_time",
    "extrapolate_rate",
    "growth_rate",
    "linear_escape_time",
    "power_law_threshold",
    "rate_limit",
    "threshold_from_rates",
]

ESCAPE_LEVEL = 0.4

#: Uncertainty of the exponent β of λ(t) - λ_∞ ∝ t^(-β) used for the model error of λ_∞
#: (fitted β moves from ~0.6 to ~0.7 between the early and late halves of the CHSCK runs).
EXPONENT_DRIFT = 0.05

#: A m0 -> 0⁺ run is used for growth rates only while its Richardson error of log m stays below this.
USABLE_LOG_ERROR = 0.1


def escape_time(t: np.ndarray, m: np.ndarray, level: float = ESCAPE_LEVEL) -> float:
    """First time m(t) >= level (linear interpolation); NaN if it never gets there."""
    t = np.asarray(t, dtype=float)
    m = np.asarray(m, dtype=float)
    above = np.nonzero(m >= level)[0]
    if above.size == 0:
        return math.nan
    k = above[0]
    if k == 0:
        return float(t[0])
    return float(t[k - 1] + (level - m[k - 1]) * (t[k] - t[k - 1]) / (m[k] - m[k - 1]))


def growth_rate(t: np.ndarray, log_m: np.ndarray, points_per_decade: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """d log m/dt on a log-spaced set of times: slope of log m across each log-time bin.

    The solvers' grids are uniform per window, so differences over bins of constant ratio
    t_{k+1}/t_k = 10^(1/points_per_decade) give a rate with even statistical weight per decade.
    Returns (bin-centre times (geometric mean), rates).
    """
    t = np.asarray(t, dtype=float)
    log_m = np.asarray(log_m, dtype=float)
    keep = (t > 0) & np.isfinite(log_m)
    t, log_m = t[keep], log_m[keep]
    if t.size < 2:
        return np.zeros(0), np.zeros(0)
    edges = 10.0 ** np.arange(math.log10(t[0]), math.log10(t[-1]) + 1e-12, 1.0 / points_per_decade)
    idx = np.unique(np.searchsorted(t, edges))
    idx = idx[idx < t.size]
    if idx.size < 2:
        idx = np.array([0, t.size - 1])
    t0, t1 = t[idx[:-1]], t[idx[1:]]
    rate = (log_m[idx[1:]] - log_m[idx[:-1]]) / (t1 - t0)
    return np.sqrt(t0 * t1), rate


@dataclass(frozen=True)
class RateFit:
    """λ(t) = λ_∞ + a t^(-β) fitted on t >= t_min: λ_∞ with its standard error."""

    rate_inf: float
    rate_inf_err: float
    amplitude: float
    exponent: float
    t_min: float
    points: int


def extrapolate_rate(times: np.ndarray, rates: np.ndarray, t_min: float, exponent: float | None = None) -> RateFit:
    """Fit λ(t) = λ_∞ + a t^(-β) to the rates at t >= t_min (β free unless ``exponent`` is given).

    The error of λ_∞ is the fit's standard error with the residual scatter as noise level
    (curve_fit's default); the points of one run are correlated, so read it as the scale of the
    extrapolation's sensitivity rather than a statistical error.
    """
    times = np.asarray(times, dtype=float)
    rates = np.asarray(rates, dtype=float)
    keep = (times >= t_min) & np.isfinite(rates)
    x, y = times[keep], rates[keep]
    free = exponent is None
    if x.size < (4 if free else 3):
        raise ValueError(f"need more rate points after t_min = {t_min:g} (have {x.size})")
    scale = x[-1]

    def model(tt, rate_inf, amplitude, beta=exponent):
        return rate_inf + amplitude * (tt / scale) ** (-beta)

    guess = [y[-1], y[0] - y[-1]] + ([0.5] if free else [])
    bounds = ([-np.inf, -np.inf] + ([0.05] if free else []), [np.inf, np.inf] + ([3.0] if free else []))
    params, cov = optimize.curve_fit(model, x, y, p0=guess, bounds=bounds, maxfev=20000)
    variance = cov[0, 0] if np.isfinite(cov[0, 0]) else math.inf
    return RateFit(
        rate_inf=float(params[0]),
        rate_inf_err=math.sqrt(max(variance, 0.0)),
        amplitude=float(params[1]),
        exponent=float(params[2] if free else exponent),
        t_min=float(t_min),
        points=int(x.size),
    )


def rate_limit(
    t: np.ndarray,
    log_m_ratio: np.ndarray,
    log_m_error: np.ndarray | None = None,
    t_min_fraction: float = 0.05,
    points_per_decade: int = 10,
) -> RateFit:
    """λ_∞ of one m0 -> 0⁺ run: extrapolated late-time growth rate, with its total error.

    Fits λ(t) = λ_∞ + a t^(-β) on t >= t_min_fraction·t_max. The error adds in quadrature
    * the fit's standard error;
    * the model's: the change of λ_∞ when β is held at β_fit ± ``EXPONENT_DRIFT`` (the fitted
      exponent drifts by about that much between fit windows, 0.6 -> 0.7, as λ(t) is not exactly
      a power law; near the threshold this dominates and covers the bias of the extrapolation);
    * the solver's: the growth of the Richardson error of log m over the fit window,
      |Δ log_m_error / Δt|, which is the error of the rate itself.
    The run is used up to the first time its Richardson error of log m exceeds
    ``USABLE_LOG_ERROR`` (10 % in m).
    """
    t = np.asarray(t, dtype=float)
    log_m_ratio = np.asarray(log_m_ratio, dtype=float)
    if log_m_error is not None:
        log_m_error = np.asarray(log_m_error, dtype=float)
        spoiled = np.nonzero(log_m_error > USABLE_LOG_ERROR)[0]
        if spoiled.size:  # far above threshold λh grows late in a run: keep the resolved part
            end = max(spoiled[0], 2)
            t, log_m_ratio, log_m_error = t[:end], log_m_ratio[:end], log_m_error[:end]
    centres, rates = growth_rate(t, log_m_ratio, points_per_decade)
    t_min = t_min_fraction * t[-1]
    fit = extrapolate_rate(centres, rates, t_min)
    shifted = [extrapolate_rate(centres, rates, t_min, exponent=max(0.05, fit.exponent + sign * EXPONENT_DRIFT))
               for sign in (-1.0, 1.0)]
    model = abs(shifted[1].rate_inf - shifted[0].rate_inf) / 2
    numerical = 0.0
    if log_m_error is not None and np.any(np.isfinite(log_m_error)):
        late = (t >= t_min) & np.isfinite(log_m_error)
        if late.sum() >= 2:
            numerical = abs(log_m_error[late][-1] - log_m_error[late][0]) / (t[late][-1] - t[late][0])
    total = math.sqrt(fit.rate_inf_err**2 + model**2 + numerical**2)
    return RateFit(fit.rate_inf, total, fit.amplitude, fit.exponent, fit.t_min, fit.points)


def linear_escape_time(t: np.ndarray, log_m_ratio: np.ndarray, m0: float, level: float = ESCAPE_LEVEL) -> float:
    """Escape time predicted by the m0 -> 0⁺ run: first t with m0·m(t)/m0 >= level (interpolated).

    Exact up to an O(1) shift when m0 -> 0 (the nonlinear saturation takes a finite time);
    NaN if the run ends before.
    """
    return escape_time(t, np.asarray(log_m_ratio) + math.log(m0), math.log(level))


@dataclass(frozen=True)
class ThresholdFit:
    """θ_c = 1/Δ2 where the fitted √(θ λ_∞(θ)) vanishes, with a bootstrap confidence interval."""

    threshold: float
    ci_low: float
    ci_high: float
    slope: float
    curvature: float
    points: int
    confidence: float


def _root_of_quadratic_fit(theta: np.ndarray, values: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted fit g(θ) = c0 + c1 θ + c2 θ² (linear for 3 points); (root nearest the data, slope there, c2)."""
    degree = 2 if theta.size >= 4 else 1
    coefficients = np.polyfit(theta, values, degree, w=weights)
    c2 = coefficients[0] if degree == 2 else 0.0
    roots = np.roots(coefficients)
    roots = roots[np.abs(roots.imag) < 1e-12].real
    if roots.size == 0:
        return math.nan, math.nan, float(c2)
    root = roots[np.argmin(np.abs(roots - theta.min()))]
    slope = np.polyval(np.polyder(coefficients), root)
    return float(root), float(slope), float(c2)


def threshold_from_rates(
    theta: np.ndarray,
    rate_inf: np.ndarray,
    rate_err: np.ndarray,
    confidence: float = 0.95,
    samples: int = 2000,
    seed: int = 0,
) -> ThresholdFit:
    """θ_c from √(θ λ_∞) = a (θ - θ_c) + b (θ - θ_c)² (module docstring), bootstrap CI.

    Each bootstrap sample redraws every λ_∞ from N(λ_∞, err² + s²), where s² is the residual
    variance of the central fit (so a model that does not describe the points widens the CI).
    """
    theta = np.asarray(theta, dtype=float)
    rate_inf = np.asarray(rate_inf, dtype=float)
    rate_err = np.asarray(rate_err, dtype=float)
    keep = np.isfinite(rate_inf) & (rate_inf > 0)
    theta, rate_inf, rate_err = theta[keep], rate_inf[keep], rate_err[keep]
    if theta.size < 3:
        raise ValueError("need at least 3 points with a positive growth rate")
    root_rate = np.sqrt(theta * rate_inf)
    root_err = theta * rate_err / (2 * root_rate)
    weights = 1.0 / np.maximum(root_err, 1e-12)
    center, slope, curvature = _root_of_quadratic_fit(theta, root_rate, weights)
    degree = 2 if theta.size >= 4 else 1
    fitted = np.polyval(np.polyfit(theta, root_rate, degree, w=weights), theta)
    residual_var = float(np.sum((root_rate - fitted) ** 2)) / max(1, theta.size - degree - 1)
    sigma = np.sqrt(root_err**2 + residual_var)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(samples):
        sample = root_rate + sigma * rng.standard_normal(theta.size)
        root, _, _ = _root_of_quadratic_fit(theta, sample, 1.0 / sigma)
        if math.isfinite(root):
            draws.append(root)
    lo, hi = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return ThresholdFit(center, float(lo), float(hi), slope, curvature, int(theta.size), confidence)


def power_law_threshold(theta: np.ndarray, times: np.ndarray) -> tuple[float, float, float]:
    """[PS]-style fit of fixed-m0 escape times, t = A (θ - θ_c)^(-γ): returns (θ_c, A, γ).

    Kept to show its bias (theory.md §C.3: at fixed m0 the time stays finite below threshold,
    so θ_c comes out low).
    """
    theta = np.asarray(theta, dtype=float)
    times = np.asarray(times, dtype=float)
    keep = np.isfinite(times)
    theta, times = theta[keep], times[keep]
    if theta.size < 4:
        raise ValueError("need at least 4 escape times")

    def model(x, log_a, theta_c, gamma):
        return log_a - gamma * np.log(np.maximum(x - theta_c, 1e-12))

    guess = [math.log(times[-1]), theta.min() - 0.1, 1.0]
    bounds = ([-np.inf, -np.inf, 0.05], [np.inf, theta.min() - 1e-6, 10.0])
    (log_a, theta_c, gamma), _ = optimize.curve_fit(model, theta, np.log(times), p0=guess, bounds=bounds, maxfev=20000)
    return float(theta_c), float(math.exp(log_a)), float(gamma)
