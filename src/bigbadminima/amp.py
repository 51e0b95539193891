"""ML-AMP at finite N, its state evolution, and the Bayes-optimal background (theory.md §E).

Maximum-likelihood (zero-temperature) AMP with the spherical denoiser (§E.1)::

    B^t     = -∇ℒ(x̂^t) - c^t f''(x̂^t·x̂^{t-1}/N) x̂^{t-1}
    x̂^{t+1} = √N B^t/|B^t|,        c^{t+1} = √N/|B^t|

-∇ℒ(x) = Yx/(Δ2√N) + T{·,x,..,x}/(Δp√((p-1)!)N^{(p-1)/2}) is the instance's field
(theory.md §A.5), and c^t f''(q) = c^t[1/Δ2 + (p-1)q^{p-2}/Δp] is the Onsager term
of the matrix (1/Δ2) and tensor ((p-1)q^{p-2}/Δp) channels; c^t is the mean
derivative of the denoiser. Its state evolution (§E.2) is
``m^{t+1} = f'(m^t)/√(f'(m^t)² + f'(1))``, whose fixed point is the good minimum
m* of :func:`bigbadminima.landscape.good_minimum`.

Bayes-optimal AMP (§E.3): ``m^{t+1} = f'(m^t)/(1 + f'(m^t))`` with replica-symmetric
free entropy ``Φ_RS(m) = ½ln(1-m) + m/2 + m²/(4Δ2) + m^p/(2pΔp)``; comparing AMP's
fixed point from m0 → 0⁺ with the global maximum of Φ_RS classifies (p, Δp, 1/Δ2)
as impossible / hard / easy (the background colours of the phase diagrams).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from .model import Instance
from .params import ModelParams, ParameterError

__all__ = [
    "AmpRun",
    "BayesPhase",
    "REGIONS",
    "bayes_fixed_points",
    "bayes_optimal_phase",
    "bayes_state_evolution",
    "ml_amp_map",
    "ml_amp_state_evolution",
    "ml_amp_state_evolution_limit",
    "rs_free_entropy",
    "run_ml_amp",
]


# --- ML-AMP state evolution (§E.2) ----------------------------------------------------------
def ml_amp_map(params: ModelParams, m) -> np.ndarray:
    """One step of the ML-AMP state evolution: m ↦ f'(m)/√(f'(m)² + f'(1)) (§E.2)."""
    field = params.df(m)
    return field / np.sqrt(field * field + params.df1)


def ml_amp_state_evolution(params: ModelParams, m0: float, iterations: int) -> np.ndarray:
    """Overlaps m^0 = m0, m^1, ..., m^iterations of the ML-AMP state evolution."""
    overlaps = np.empty(iterations + 1)
    overlaps[0] = m0
    for t in range(iterations):
        overlaps[t + 1] = ml_amp_map(params, overlaps[t])
    return overlaps


def ml_amp_state_evolution_limit(params: ModelParams, m0: float, tolerance: float = 1e-12,
                                 max_iterations: int = 1_000_000) -> float:
    """The overlap the ML-AMP state evolution converges to from m0 (iterated until |Δm| < tolerance).

    Raises ParameterError if it has not converged after ``max_iterations`` (only at a threshold exactly,
    where the convergence is algebraic instead of geometric).
    """
    m = float(m0)
    for _ in range(max_iterations):
        following = float(ml_amp_map(params, m))
        if abs(following - m) < tolerance:
            return following
        m = following
    raise ParameterError(f"ML-AMP state evolution from m0={m0:g} not converged for {params.describe()}")


# --- ML-AMP at finite N (§E.1) --------------------------------------------------------------
@dataclass
class AmpRun:
    """Iterates of ML-AMP on one instance; arrays are (iterations + 1, B)."""

    overlap: np.ndarray  # m^t = x̂^t·x*/N
    step: np.ndarray  # |x̂^t - x̂^{t-1}|/√N (NaN at t = 0)
    final_state: np.ndarray  # x̂ at the last iteration, (B, N)


def run_ml_amp(instance: Instance, x0: np.ndarray, iterations: int) -> AmpRun:
    """Run ML-AMP (§E.1) from x̂^0 = x0 (shape (N,) or (B, N), on the sphere |x|² = N).

    The first step has no Onsager term (x̂^{-1} = 0, c^0 = 0). Rows of a batch are
    independent runs on the same instance (one tensor pass per iteration for all).
    """
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    x = np.array(np.atleast_2d(x0), dtype=float)
    n = instance.n
    if x.shape[1] != n:
        raise ValueError(f"x0 has {x.shape[1]} components, the instance has N = {n}")
    if np.abs(np.sum(x * x, axis=1) / n - 1.0).max() > 1e-10:
        raise ValueError("x0 must lie on the sphere |x|^2 = N")
    previous = np.zeros_like(x)
    derivative = np.zeros(x.shape[0])  # c^t
    overlap = np.empty((iterations + 1, x.shape[0]))
    step = np.full_like(overlap, np.nan)
    overlap[0] = instance.overlap(x)
    for t in range(iterations):
        correlation = np.sum(x * previous, axis=1) / n
        onsager = (derivative * instance.params.d2f(correlation))[:, None] * previous
        field = -instance.gradient(x) - onsager
        norm = np.linalg.norm(field, axis=1)
        previous, x = x, math.sqrt(n) * field / norm[:, None]
        derivative = math.sqrt(n) / norm
        overlap[t + 1] = instance.overlap(x)
        step[t + 1] = np.linalg.norm(x - previous, axis=1) / math.sqrt(n)
    return AmpRun(overlap=overlap, step=step, final_state=x)


# --- Bayes-optimal AMP and the RS free entropy (§E.3) ---------------------------------------
REGIONS = ("impossible", "hard", "easy")


def bayes_state_evolution(params: ModelParams, m0: float, iterations: int) -> np.ndarray:
    """Overlaps of Bayes-optimal AMP: m^{t+1} = f'(m^t)/(1 + f'(m^t)) (§E.3)."""
    overlaps = np.empty(iterations + 1)
    overlaps[0] = m0
    for t in range(iterations):
        field = params.df(overlaps[t])
        overlaps[t + 1] = field / (1.0 + field)
    return overlaps


def rs_free_entropy(params: ModelParams, m) -> np.ndarray:
    """Φ_RS(m) = ½ln(1-m) + m/2 + m²/(4Δ2) + m^p/(2pΔp) (§E.3); dΦ_RS/dm = ½[f'(m) - m/(1-m)]."""
    m = np.asarray(m, dtype=float)
    return 0.5 * np.log1p(-m) + 0.5 * m + 0.5 * params.f(m)


#: Grid on which the sign changes of f'(m)(1-m) - m are bracketed; the first point
#: (1e-7) decides in which direction AMP leaves m = 0⁺.
_FIXED_POINT_GRID = np.concatenate([[1e-7], np.linspace(1e-4, 1.0 - 1e-9, 4000)])


def bayes_fixed_points(params: ModelParams) -> np.ndarray:
    """Stable fixed points m > 0 of Bayes-optimal AMP (where f'(m)(1-m) - m goes from + to -)."""

    def drift(m):
        return params.df(m) * (1.0 - m) - m

    values = drift(_FIXED_POINT_GRID)
    crossings = np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    return np.array([brentq(drift, _FIXED_POINT_GRID[i], _FIXED_POINT_GRID[i + 1], xtol=1e-14) for i in crossings])


@dataclass(frozen=True)
class BayesPhase:
    """Bayes-optimal classification of one (p, Δp, 1/Δ2) point (§E.3)."""

    region: str  # "impossible" | "hard" | "easy"
    m_amp: float  # fixed point reached by Bayes AMP from m0 → 0⁺
    m_bayes: float  # global maximiser of Φ_RS (the Bayes-optimal overlap)


#: Two fixed points are "the same" when closer than this (the scan grid is 2.5e-4 wide and
#: brentq polishes each root to 1e-14, so distinct fixed points differ by far more).
_SAME_FIXED_POINT = 1e-8


def bayes_optimal_phase(params: ModelParams) -> BayesPhase:
    """Impossible (Φ_RS maximal at m = 0), easy (AMP from 0⁺ reaches the maximiser) or hard (§E.3)."""
    stable = bayes_fixed_points(params)
    leaves_zero = params.df(_FIXED_POINT_GRID[0]) * (1.0 - _FIXED_POINT_GRID[0]) > _FIXED_POINT_GRID[0]
    m_amp = float(stable[0]) if (leaves_zero and stable.size) else 0.0
    candidates = np.concatenate([[0.0], stable])
    m_bayes = float(candidates[np.argmax(rs_free_entropy(params, candidates))])
    if m_bayes == 0.0:
        region = "impossible"
    elif abs(m_amp - m_bayes) < _SAME_FIXED_POINT:
        region = "easy"
    else:
        region = "hard"
    return BayesPhase(region=region, m_amp=m_amp, m_bayes=m_bayes)
