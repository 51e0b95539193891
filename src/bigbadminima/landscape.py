"""Kac-Rice landscape of the spiked matrix-tensor model (theory.md §D).

Annealed complexity (log-number of stationary points per site) at overlap m and
Lagrange multiplier μ, its energy-resolved form, the complexity of minima, the
Hessian at stationary points (semicircle + BBP outlier), the threshold states,
the good minimum, and the three algorithmic/landscape thresholds on 1/Δ2:

* ML-AMP stability of m = 0 (§E.2, closed form),
* gradient flow: BBP instability of the threshold states (§D.6, closed form),
* trivialisation: the last spurious minima (at m = 0) disappear (§D.7, root-find).

Every function takes a :class:`~bigbadminima.params.ModelParams` (or p and Δp for
the thresholds) and is vectorised over m, μ and ε. The covariance function f and
its derivatives come from ``ModelParams`` only. ``delta_p = inf`` (pure spiked
matrix) is accepted wherever the formulas have a limit.

Root-finds bracket their root or raise :class:`~bigbadminima.params.ParameterError`
naming the reason; they never return NaN. NaN appears only where documented as
"absent" (the isolated eigenvalue when there is none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .params import ModelParams, ParameterError

__all__ = [
    "GoodMinimum",
    "OverlapHeldAtZero",
    "ThresholdStates",
    "bulk_edges",
    "complexity",
    "complexity_at_energy",
    "complexity_energy_resolved",
    "complexity_max_over_multiplier",
    "good_minimum",
    "flow_references",
    "gf_threshold",
    "isolated_eigenvalue",
    "log_potential",
    "log_potential_derivative",
    "measured_tangent_spectrum",
    "minimum_multiplier",
    "ml_amp_threshold",
    "semicircle_density",
    "signal_curvature",
    "threshold_growth_rate",
    "threshold_states",
    "thresholds",
    "triv_threshold",
    "typical_energy",
    "ZeroOverlapStates",
    "zero_overlap_states",
]


def _overlap_array(m) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    if not np.all(np.abs(m) < 1.0):
        raise ParameterError("the overlap m must lie strictly inside (-1, 1)")
    return m


def _bisect_root(function, low: float, high: float) -> float:
    """Root of a continuous ``function`` bracketed by [low, high] (opposite signs), by bisection to the
    last representable digit. Plain bisection keeps this module free of scipy.optimize (0.25 s import,
    paid by every CLI call) at the price of ~60 evaluations.
    """
    f_low, f_high = function(low), function(high)
    if f_low == 0:
        return low
    if f_high == 0:
        return high
    if (f_low > 0) == (f_high > 0):
        raise ParameterError(f"root not bracketed: f({low:g}) = {f_low:g}, f({high:g}) = {f_high:g}")
    while True:
        middle = 0.5 * (low + high)
        if middle in (low, high):
            return middle
        f_middle = function(middle)
        if f_middle == 0:
            return middle
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle


# --- semicircle log-potential (§D.2) --------------------------------------------------------
def log_potential(mu, sigma: float) -> np.ndarray:
    """Φ(μ) = ∫ρ_sc(λ) ln|λ + μ| dλ for the semicircle of radius 2σ (theory.md §D.2).

    With u = |μ|/(2σ): Φ = u² - ½ + ln σ - [u√(u²-1) - ln(u + √(u²-1))] for u ≥ 1,
    and Φ = u² - ½ + ln σ inside the bulk. Even in μ; E|det Hess| ≈ e^{NΦ(μ)}.
    """
    u = np.abs(np.asarray(mu, dtype=float)) / (2.0 * sigma)
    root = np.sqrt(np.maximum(u * u - 1.0, 0.0))
    outside = u * root - np.log(np.maximum(u + root, 1.0))  # the max only guards the masked u < 1
    return u * u - 0.5 + math.log(sigma) - np.where(u >= 1.0, outside, 0.0)


def log_potential_derivative(mu, sigma: float) -> np.ndarray:
    """Φ'(μ): (μ - sign(μ)√(μ² - 4σ²))/(2σ²) outside the bulk, μ/(2σ²) inside (§D.2).

    Continuous, odd, bounded by 1/σ, decreasing for |μ| ≥ 2σ (Φ is concave there).
    """
    mu = np.asarray(mu, dtype=float)
    root = np.sqrt(np.maximum(mu * mu - 4.0 * sigma * sigma, 0.0))
    return (mu - np.sign(mu) * root) / (2.0 * sigma * sigma)


# --- Hessian at a stationary point (§D.1) ---------------------------------------------------
def signal_curvature(params: ModelParams, m) -> np.ndarray:
    """θ(m) = (1 - m²) f''(m): strength of the rank-one term -θ v vᵀ of the Hessian (§D.1)."""
    m = _overlap_array(m)
    return (1.0 - m * m) * params.d2f(m)


def bulk_edges(params: ModelParams, mu) -> tuple[np.ndarray, np.ndarray]:
    """(μ - 2σ, μ + 2σ): edges of the semicircle bulk of the Riemannian Hessian (§D.1)."""
    mu = np.asarray(mu, dtype=float)
    return mu - 2.0 * params.sigma, mu + 2.0 * params.sigma


def isolated_eigenvalue(params: ModelParams, m, mu) -> np.ndarray:
    """BBP outlier λ_iso = μ - θ - σ²/θ where θ(m) > σ; NaN (= absent) where θ ≤ σ (§D.1)."""
    theta = signal_curvature(params, m)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        outlier = mu - theta - params.d2f1 / theta
    return np.where(theta > params.sigma, outlier, np.nan)


def minimum_multiplier(params: ModelParams, m) -> np.ndarray:
    """μ_c(m): smallest μ at which a stationary point of overlap m is a minimum (§D.1).

    μ_c = 2σ if θ(m) ≤ σ (bulk edge at zero), else θ + σ²/θ (outlier at zero).
    """
    theta = signal_curvature(params, m)
    sigma = params.sigma
    with np.errstate(divide="ignore"):
        outlier_condition = theta + params.d2f1 / theta
    return np.where(theta > sigma, outlier_condition, 2.0 * sigma)


def semicircle_density(params: ModelParams, mu, eigenvalue) -> np.ndarray:
    """Bulk density of the Hessian at multiplier μ: √(4σ² - (λ-μ)²)/(2πσ²) on [μ - 2σ, μ + 2σ] (§D.1)."""
    shifted = np.asarray(eigenvalue, dtype=float) - np.asarray(mu, dtype=float)
    return np.sqrt(np.maximum(4.0 * params.d2f1 - shifted**2, 0.0)) / (2.0 * math.pi * params.d2f1)


class OverlapHeldAtZero:
    """An instance seen by gradient flow with the signal direction frozen: ∇ℒ minus its component on x*.

    Started from x ⊥ x*, gradient flow on this view stays on m = 0 exactly (its field
    -(∇ℒ - (∇ℒ·e)e) - μx has no component on e = x*/√N, a linear invariant that RK4 and the
    retraction keep), while μ = -x·∇ℒ/N and the loss are those of the instance. For p ≥ 3 the
    signal exerts no force at m = 0 (f'(0) = 0), so this is the large-N plateau of gradient flow
    from m0 → 0⁺ (theory.md §B.2, §D.4) made exact at finite N: its states approach the threshold
    states, whose Hessian (measured on the instance itself) carries the BBP outlier along x* (§D.6).
    It offers what :func:`bigbadminima.gradient_flow.run_gradient_flow` uses of an instance.
    """

    def __init__(self, instance):
        self.instance = instance
        self.n = instance.n
        self.params = instance.params
        self._direction = instance.spike / np.linalg.norm(instance.spike)

    def _without_signal_direction(self, gradient: np.ndarray) -> np.ndarray:
        return gradient - (gradient @ self._direction)[..., None] * self._direction

    def gradient(self, x: np.ndarray) -> np.ndarray:
        return self._without_signal_direction(self.instance.gradient(x))

    def loss_and_gradient(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss, gradient = self.instance.loss_and_gradient(x)
        return loss, self._without_signal_direction(gradient)

    def overlap(self, x: np.ndarray) -> np.ndarray:
        return self.instance.overlap(x)


def measured_tangent_spectrum(instance, x: np.ndarray) -> np.ndarray:
    """Sorted eigenvalues of the Riemannian Hessian P(∇²ℒ + μI)P of a finite-N ``instance`` at x,
    restricted to the N - 1 tangent directions (the normal direction's exact zero mode removed).

    The finite-N counterpart of §D.1 (``instance`` is a :class:`bigbadminima.model.Instance`).
    """
    from scipy.linalg import null_space

    tangent = null_space(np.asarray(x, dtype=float)[None, :])
    return np.linalg.eigvalsh(tangent.T @ instance.riemannian_hessian(x) @ tangent)


# --- complexity at fixed (m, μ) (§D.2, §D.3) ------------------------------------------------
def _gradient_terms(params: ModelParams, m: np.ndarray) -> np.ndarray:
    """½ + ½ln(1-m²) - ½ln f'(1) - (1-m²)f'(m)²/(2f'(1)): volume and tangent-gradient density."""
    df1 = params.df1
    return 0.5 + 0.5 * np.log1p(-m * m) - 0.5 * math.log(df1) - (1.0 - m * m) * params.df(m) ** 2 / (2.0 * df1)


def _radial_variance(params: ModelParams) -> float:
    """f'(1) + f''(1) = 2/Δ2 + p/Δp: N × variance of the radial derivative ρ (§D.2)."""
    return params.df1 + params.d2f1


def complexity(params: ModelParams, m, mu) -> np.ndarray:
    """Σ(m, μ) of theory.md §D.2 (annealed, all stationary points)::

        Σ = ½ + ½ln(1-m²) - ½ln f'(1) - (1-m²)f'(m)²/(2f'(1))
            - (μ - m f'(m))²/(2[f'(1)+f''(1)]) + Φ(μ)
    """
    m = _overlap_array(m)
    mu = np.asarray(mu, dtype=float)
    radial = mu - m * params.df(m)
    return _gradient_terms(params, m) - radial**2 / (2.0 * _radial_variance(params)) + log_potential(mu, params.sigma)


def _unconstrained_argmax_multiplier(params: ModelParams, m: np.ndarray) -> np.ndarray:
    """argmax_μ Σ(m, μ) over all real μ.

    Σ(m, ·) is strictly concave for p ≥ 3 and finite Δp (f'(1) < f''(1)), so the
    maximiser is the root of Φ'(μ) = (μ - a)/K, a = m f'(m), K = f'(1) + f''(1).
    Outside the bulk μ = σ²s + 1/s with s = Φ'(μ), which turns the condition into
    f'(1) s² + a s - 1 = 0 (§D.3); inside the bulk Φ' = μ/(2σ²) gives a linear one.
    """
    a = m * params.df(m)
    df1, sigma2 = params.df1, params.d2f1
    sigma = math.sqrt(sigma2)
    disc = np.sqrt(a * a + 4.0 * df1)
    s_plus = (-a + disc) / (2.0 * df1)
    s_minus = (-a - disc) / (2.0 * df1)
    mu_above = sigma2 * s_plus + 1.0 / s_plus
    mu_below = sigma2 * s_minus + 1.0 / s_minus
    if sigma2 > df1:
        mu_inside = 2.0 * sigma2 * a / (sigma2 - df1)
    else:  # Δp = inf: Σ is flat in the bulk when a = 0 (eigenvectors of a GOE matrix)
        mu_inside = np.zeros_like(a)
    return np.where(s_plus <= 1.0 / sigma, mu_above, np.where(s_minus >= -1.0 / sigma, mu_below, mu_inside))


def complexity_max_over_multiplier(params: ModelParams, m, minima: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(Σ, μ) maximising Σ(m, μ) over μ: Σ_min(m) of §D.3 if ``minima``, else all stationary points.

    For minima the maximum is over μ ≥ μ_c(m) (isolated-eigenvalue condition included);
    by concavity it is the unconstrained maximiser clipped at μ_c(m).
    """
    m = _overlap_array(m)
    mu = _unconstrained_argmax_multiplier(params, m)
    if minima:
        mu = np.maximum(mu, minimum_multiplier(params, m))
    return complexity(params, m, mu), mu


def typical_energy(params: ModelParams, m, mu) -> np.ndarray:
    """Energy per site of the most numerous stationary points at (m, μ) (§D.2, §D.5).

    Maximising the energy-resolved complexity over ε at fixed ρ = m f'(m) - μ gives
    e2 = c/Δ2, ep = c/Δp with c = ρ/(2/Δ2 + p/Δp), so ε = -f(m) + c (1/Δ2 + 1/Δp).
    """
    m = _overlap_array(m)
    c = (m * params.df(m) - np.asarray(mu, dtype=float)) / _radial_variance(params)
    return -params.f(m) + c * params.df1


# --- energy-resolved complexity (§D.2) ------------------------------------------------------
def _energy_split(params: ModelParams, m, energy, mu) -> tuple[np.ndarray, np.ndarray]:
    """(e2, ep) solving e2 + ep = ε + f(m), 2e2 + p ep = m f'(m) - μ (§D.2)."""
    p = params.p
    total = np.asarray(energy, dtype=float) + params.f(m)
    radial = m * params.df(m) - np.asarray(mu, dtype=float)
    ep = (radial - 2.0 * total) / (p - 2)
    return total - ep, ep


def complexity_at_energy(params: ModelParams, m, energy, mu) -> np.ndarray:
    """Σ(m, ε, μ) = [Σ(m, μ) without the ρ² term] - Δ2 e2² - (pΔp/2) ep² (§D.2).

    Requires finite Δp (the p-body energy is pinned to 0 when Δp = inf; use
    :func:`complexity_energy_resolved`, which handles that limit).
    """
    if math.isinf(params.delta_p):
        raise ParameterError("complexity_at_energy needs a finite delta_p (the tensor energy is pinned at Δp = inf)")
    m = _overlap_array(m)
    e2, ep = _energy_split(params, m, energy, mu)
    penalty = params.delta2 * e2**2 + 0.5 * params.p * params.delta_p * ep**2
    return _gradient_terms(params, m) + log_potential(mu, params.sigma) - penalty


def complexity_energy_resolved(
    params: ModelParams, m, energy, minima: bool = False, iterations: int = 80
) -> tuple[np.ndarray, np.ndarray]:
    """(Σ(m, ε), μ) = max over μ of Σ(m, ε, μ) (§D.2); over μ ≥ μ_c(m) if ``minima``.

    Σ(m, ε, ·) is strictly concave in μ (Φ's convexity inside the bulk, 1/(2σ²), is
    beaten by the penalty's curvature (2Δ2 + pΔp)/(p-2)²), so its derivative
    D(μ) = Φ'(μ) + (pΔp ep - 2Δ2 e2)/(p-2) decreases and has one root. |Φ'| ≤ 1/σ
    brackets it exactly; vectorised bisection to machine precision (``iterations``
    halvings of the bracket). With Δp = inf, ep = 0 fixes μ = m f'(m) - 2(ε + f(m)).
    """
    m, energy = np.broadcast_arrays(_overlap_array(m), np.asarray(energy, dtype=float))
    p, sigma = params.p, params.sigma
    if math.isinf(params.delta_p):
        total = energy + params.f(m)
        mu = m * params.df(m) - 2.0 * total
        value = _gradient_terms(params, m) + log_potential(mu, sigma) - params.delta2 * total**2
        if minima:
            value = np.where(mu >= minimum_multiplier(params, m), value, -np.inf)
        return value, mu

    def derivative(mu):
        e2, ep = _energy_split(params, m, energy, mu)
        return log_potential_derivative(mu, sigma) + (p * params.delta_p * ep - 2.0 * params.delta2 * e2) / (p - 2)

    slope = (2.0 * params.delta2 + p * params.delta_p) / (p - 2) ** 2
    penalty_at_zero = derivative(0.0) - log_potential_derivative(0.0, sigma)
    low = (penalty_at_zero - 1.0 / sigma) / slope - 1.0
    high = (penalty_at_zero + 1.0 / sigma) / slope + 1.0
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        positive = derivative(middle) > 0
        low = np.where(positive, middle, low)
        high = np.where(positive, high, middle)
    mu = 0.5 * (low + high)
    if minima:
        mu = np.maximum(mu, minimum_multiplier(params, m))
    return complexity_at_energy(params, m, energy, mu), mu


# --- threshold states (§D.4) ----------------------------------------------------------------
@dataclass(frozen=True)
class ThresholdStates:
    """Marginal states at m = 0, μ = 2σ (theory.md §D.4)."""

    mu: float  # μ_th = 2σ
    energy: float  # ε_A: energy of the most numerous marginal states
    energy_marginal_typical: float  # ε_B: energy at which typical stationary points become marginal
    complexity: float  # Σ_th = 1 + ½ ln a - 2a/(1+a), a = f''(1)/f'(1)
    outlier: float  # λ_iso = 2σ - θ - σ²/θ, θ = 1/Δ2; NaN if θ ≤ σ (no outlier)
    lower_edge: float  # = 0: marginal
    upper_edge: float  # = 4σ


def threshold_states(params: ModelParams) -> ThresholdStates:
    """The threshold (marginal) states that attract gradient flow from random starts (§D.4, §D.6).

    ε_B: at m = 0, the μ maximising Σ(0, ε, μ) equals 2σ for
    ep = -(2σΔ2 + (p-2)/σ)/(p(Δ2 + Δp)), e2 = (-2σ - p ep)/2.
    """
    sigma, p = params.sigma, params.p
    mu = 2.0 * sigma
    ratio = params.d2f1 / params.df1
    ep = -(2.0 * sigma * params.delta2 + (p - 2) / sigma) / (p * (params.delta2 + params.delta_p))
    e2 = (-mu - p * ep) / 2.0
    lower, upper = bulk_edges(params, mu)
    return ThresholdStates(
        mu=mu,
        energy=float(typical_energy(params, 0.0, mu)),
        energy_marginal_typical=float(e2 + ep),
        complexity=1.0 + 0.5 * math.log(ratio) - 2.0 * ratio / (1.0 + ratio),
        outlier=float(isolated_eigenvalue(params, 0.0, mu)),
        lower_edge=float(lower),
        upper_edge=float(upper),
    )


# --- good minimum (§D.5) --------------------------------------------------------------------
@dataclass(frozen=True)
class GoodMinimum:
    """The minimum correlated with the signal: Σ = 0 touched from below (theory.md §D.5)."""

    m: float
    mu: float
    energy: float


#: Resolution of the scan that brackets the largest root of f'(m)²(1-m²) - m² f'(1) on (0, 1).
_OVERLAP_SCAN_POINTS = 4001


def good_minimum(params: ModelParams) -> GoodMinimum:
    """m* = largest root of f'(m)²(1 - m²) = m² f'(1); μ* = A + f''(1)/A, A = √(f'(m*)² + f'(1)) (§D.5).

    This is also the ML-AMP fixed point (§E.2) and the gradient-flow end point.
    Raises ParameterError when there is no root in (0, 1) (signal too weak for a
    correlated minimum).
    """

    def balance(m):
        return params.df(m) ** 2 * (1.0 - m * m) - m * m * params.df1

    # m = 1 closes the scan (balance = -f'(1) < 0 there): a root in the last cell, m* -> 1 at large 1/Δ2
    grid = np.linspace(0.0, 1.0, _OVERLAP_SCAN_POINTS)[1:]
    values = balance(grid)
    crossings = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    if crossings.size == 0:
        raise ParameterError(
            f"no minimum correlated with the signal for {params.describe()}: "
            "f'(m)^2 (1-m^2) = m^2 f'(1) has no root in (0, 1)"
        )
    last = crossings[-1]
    m_star = _bisect_root(lambda m: float(balance(m)), grid[last], grid[last + 1])
    amplitude = math.sqrt(float(params.df(m_star)) ** 2 + params.df1)
    mu_star = amplitude + params.d2f1 / amplitude
    return GoodMinimum(m=m_star, mu=mu_star, energy=float(typical_energy(params, m_star, mu_star)))


def flow_references(params: ModelParams) -> dict:
    """The large-N reference states a gradient-flow run is drawn against: the good minimum's m*, ε* (§D.5;
    NaN where there is none) and the threshold states' energy ε_A (§D.4)."""
    try:
        minimum = good_minimum(params)
        overlap, energy = minimum.m, minimum.energy
    except ParameterError:
        overlap = energy = math.nan
    return {"good_minimum_overlap": overlap, "good_minimum_energy": energy,
            "threshold_energy": threshold_states(params).energy}


# --- thresholds on 1/Δ2 (§E.2, §D.6, §D.7) --------------------------------------------------
def _checked_order_and_noise(p, delta_p) -> tuple[int, np.ndarray]:
    """Validate p (integer >= 3) and every Δp (> 0, inf allowed) through ModelParams."""
    delta_p = np.asarray(delta_p, dtype=float)
    for value in np.unique(delta_p):
        ModelParams(p=p, delta2=1.0, delta_p=value)  # raises ParameterError with the reason
    if delta_p.size == 0:
        ModelParams(p=p, delta2=1.0, delta_p=1.0)
    return int(p), delta_p


def _as_output(values: np.ndarray):
    return float(values) if values.ndim == 0 else values


def ml_amp_threshold(p, delta_p):
    """1/Δ2^ML-AMP = [1 + √(1 + 4/Δp)]/2: m = 0 unstable for ML-AMP above it (§E.2; independent of p).

    Vectorised over Δp; Δp = inf gives 1.
    """
    _, delta_p = _checked_order_and_noise(p, delta_p)
    return _as_output(0.5 * (1.0 + np.sqrt(1.0 + 4.0 / delta_p)))


def gf_threshold(p, delta_p):
    """1/Δ2^GF = [1 + √(1 + 4(p-1)/Δp)]/2: the threshold states' BBP outlier crosses 0 (§D.6).

    Vectorised over Δp; Δp = inf gives 1.
    """
    p, delta_p = _checked_order_and_noise(p, delta_p)
    return _as_output(0.5 * (1.0 + np.sqrt(1.0 + 4.0 * (p - 1) / delta_p)))


def threshold_growth_rate(params: ModelParams) -> float:
    """|λ_iso| = (θ − σ)²/θ with θ = 1/Δ2: the late-time growth rate of m along the threshold states'
    unstable direction, λ_∞ of the m0 → 0⁺ CHSCK runs; 0 where θ ≤ σ (no outlier, §D.6)."""
    theta, sigma = params.inv_delta2, params.sigma
    return (theta - sigma) ** 2 / theta if theta > sigma else 0.0


def _complexity_of_last_spurious_minima(p: int, delta_p: float, inv_delta2: float) -> float:
    """Σ(0, μ_c(0)) with θ = 1/Δ2 > σ: the left side of the §D.7 trivialisation equation."""
    params = ModelParams.from_inv_delta2(p, inv_delta2, delta_p)
    return float(complexity(params, 0.0, minimum_multiplier(params, 0.0)))


#: Below this value of Σ(0, μ_c(0)) just above the GF threshold, the trivialisation root sits
#: within rounding error of the GF threshold (Σ_th ≈ (a-1)³/24 with a - 1 ≈ (p-2)/Δp, i.e.
#: Δp ≳ 5e3): the equation is no longer resolvable in double precision and we refuse rather
#: than guess.
_RESOLVABLE_COMPLEXITY = 1e-13


def _triv_threshold_scalar(p: int, delta_p: float) -> float:
    if math.isinf(delta_p):
        return 1.0
    low = gf_threshold(p, delta_p) * (1.0 + 1e-12)
    at_low = _complexity_of_last_spurious_minima(p, delta_p, low)
    if not at_low > _RESOLVABLE_COMPLEXITY:
        raise ParameterError(
            f"trivialisation threshold not resolvable for p={p}, Δp={delta_p:g}: the threshold-state "
            f"complexity just above the GF threshold is {at_low:.1e} (rounding level), so the root is "
            "within rounding of 1/Δ2^GF; use Δp below ~5e3"
        )
    high = 2.0 * low
    while _complexity_of_last_spurious_minima(p, delta_p, high) >= 0:  # Σ ~ ½ln θ - θ/4 → -∞: ends
        low, high = high, 2.0 * high
    return _bisect_root(lambda x: _complexity_of_last_spurious_minima(p, delta_p, x), low, high)


def triv_threshold(p, delta_p):
    """1/Δ2^triv: the root θ > 1/Δ2^GF of Σ(0, θ + σ²/θ) = 0 (§D.7).

    For overlaps m ≥ 0 the last spurious minima to disappear are those at m = 0.
    The root is bracketed between the GF threshold (where Σ = Σ_th > 0) and a point
    found by doubling where Σ < 0. Vectorised over Δp (one root-find each); Δp = inf
    returns the limit 1 (a double root).

    For odd p the landscape at *negative* overlap is not the mirror image: spurious
    minima at m < 0 outlive this threshold (e.g. up to 1/Δ2 ≈ 2.61 at p = 3, Δp = 1,
    where they merge with an isolated anti-correlated minimum); this function follows
    theory.md §D.7 and scans m ≥ 0 only.
    """
    p, delta_p = _checked_order_and_noise(p, delta_p)
    values = np.array([_triv_threshold_scalar(p, value) for value in delta_p.ravel()]).reshape(delta_p.shape)
    return _as_output(values)


def thresholds(p, delta_p) -> dict:
    """The three thresholds on 1/Δ2: {"ml_amp", "gf", "triv"} (ml_amp < gf < triv for finite Δp)."""
    return {
        "ml_amp": ml_amp_threshold(p, delta_p),
        "gf": gf_threshold(p, delta_p),
        "triv": triv_threshold(p, delta_p),
    }


# --- the stationary points at m = 0 between the GF and trivialisation thresholds (§D.6, §D.7) --------
@dataclass(frozen=True)
class ZeroOverlapStates:
    """Stationary points at m = 0 with no negative bulk direction (μ ≥ 2σ), on a grid of μ (§D.2, §D.6).

    Below ``switch_multiplier`` = μ_c(0) = θ + σ²/θ their isolated eigenvalue (towards x*) is negative:
    index-one saddles; from it on they are minima. Σ(0, μ) decreases from Σ_th at μ = 2σ to 0 at the
    grid's last μ, so the deeper (larger-μ, lower-energy) points are the rarer.
    """

    multiplier: np.ndarray  # μ from 2σ to the root of Σ(0, μ) = 0, μ_c(0) included when inside
    energy: np.ndarray  # ε of the most numerous stationary points at (0, μ) (typical_energy)
    complexity: np.ndarray  # Σ(0, μ)
    outlier: np.ndarray  # λ_iso(0, μ) = μ - θ - σ²/θ; NaN where θ ≤ σ (no outlier: every such point is a minimum)
    switch_multiplier: float  # μ_c(0)


def zero_overlap_states(params: ModelParams, points: int = 200) -> ZeroOverlapStates:
    """The μ-resolved stationary points at m = 0 (the picture behind §D.6 and §D.7).

    Σ(0, ·) is concave with a negative slope at 2σ (§D.3), so it decreases on μ ≥ 2σ; its root is
    bracketed by doubling from 2σ, where Σ = Σ_th > 0 (finite Δp; at Δp = inf Σ_th = 0 and there
    is nothing to resolve).
    """
    if math.isinf(params.delta_p):
        raise ParameterError("zero_overlap_states needs a finite delta_p (Σ_th = 0 at Δp = inf)")
    if points < 2:
        raise ParameterError(f"points must be at least 2, got {points}")
    low = 2.0 * params.sigma
    high = 2.0 * low
    while complexity(params, 0.0, high) >= 0:
        high *= 2.0
    end = _bisect_root(lambda mu: float(complexity(params, 0.0, mu)), low, high)
    switch = float(minimum_multiplier(params, 0.0))
    multiplier = np.linspace(low, end, points)
    if low < switch < end:
        multiplier = np.union1d(multiplier, [switch])
    return ZeroOverlapStates(
        multiplier=multiplier,
        energy=typical_energy(params, 0.0, multiplier),
        complexity=complexity(params, 0.0, multiplier),
        outlier=isolated_eigenvalue(params, 0.0, multiplier),
        switch_multiplier=switch,
    )
