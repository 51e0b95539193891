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
    "BayesBoundaries",
    "BayesPhase",
    "REGIONS",
    "bayes_boundaries",
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


# The fixed points m > 0 of Bayes AMP, f'(m)(1 - m) = m, are the solutions of
#
#     1/Δ2 = S(m),    S(m) = 1/(1 - m) - m^{p-2}/Δp,
#
# a curve of (p, Δp) alone: f'(m)(1 - m) - m = m(1 - m)(1/Δ2 - S(m)). A fixed point is stable (a local
# maximum of Φ_RS) where S increases through 1/Δ2. S(0) = 1, S → ∞ as m → 1, and
# S'(m) = 1/(1-m)² - (p-2)m^{p-3}/Δp vanishes where (p-2)m^{p-3}(1-m)² = Δp: for p = 3 once (at
# m = 1 - √Δp) if Δp < 1, for p ≥ 4 twice or never (the left side is unimodal). So S has at most three
# monotone pieces and at most two increasing ones (the stable branches, "low" and "high"); inverting S
# on them gives every stable fixed point exactly, with no grid of m to miss a close pair.


def _s_curve(p: int, inv_delta_p, m):
    """S(m) = 1/(1-m) - m^{p-2}/Δp: the 1/Δ2 at which m in (0, 1) is a fixed point of Bayes AMP."""
    m = np.asarray(m, dtype=float)
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 - m) - m ** (p - 2) * inv_delta_p


def _s_critical_points(p: int, inv_delta_p: float) -> np.ndarray:
    """The m in (0, 1) where S'(m) = 0, i.e. (p-2)m^{p-3}(1-m)² = Δp, in increasing order."""
    if inv_delta_p == 0.0:
        return np.empty(0)
    delta_p = 1.0 / inv_delta_p
    if p == 3:
        return np.array([1.0 - math.sqrt(delta_p)]) if delta_p < 1.0 else np.empty(0)

    def excess(m):
        return (p - 2) * m ** (p - 3) * (1.0 - m) ** 2 - delta_p

    top = (p - 3) / (p - 1)  # where (p-2)m^{p-3}(1-m)² is largest
    if not excess(top) > 0.0:
        return np.empty(0)  # S increases on all of (0, 1)
    return np.array([brentq(excess, 0.0, top, xtol=1e-15), brentq(excess, top, 1.0, xtol=1e-15)])


@dataclass(frozen=True)
class _SCurves:
    """S of one p at several Δp, on its monotone pieces: per Δp (row) the two stable branches
    [low, high) in m (NaN: no such branch) and the spinodals (S at its critical points)."""

    p: int
    inv_delta_p: np.ndarray  # (n,)
    branch_low: np.ndarray  # (n, 2)
    branch_high: np.ndarray  # (n, 2); 1.0 for the last branch (S → ∞)
    first_decreasing: np.ndarray  # (n,) S < 1 just above m = 0 (p = 3, Δp < 1): at 1/Δ2 = 1 AMP leaves 0
    spinodals: tuple  # per Δp, the array of S at the critical points

    @classmethod
    def of(cls, p: int, delta_p_values) -> "_SCurves":
        inv_delta_p = np.array([0.0 if math.isinf(d) else 1.0 / d for d in delta_p_values], dtype=float)
        low, high = np.full((inv_delta_p.size, 2), np.nan), np.full((inv_delta_p.size, 2), np.nan)
        first_decreasing, spinodals = np.zeros(inv_delta_p.size, dtype=bool), []
        for row, inverse in enumerate(inv_delta_p):
            critical = _s_critical_points(p, inverse)
            edges = np.concatenate([[0.0], critical, [1.0]])
            first_decreasing[row] = p == 3 and critical.size == 1
            pieces = [(edges[i], edges[i + 1]) for i in range(edges.size - 1)]
            increasing = pieces[1::2] if first_decreasing[row] else pieces[0::2]
            for k, (a, b) in enumerate(increasing):
                low[row, k], high[row, k] = a, b
            spinodals.append(_s_curve(p, inverse, critical))
        return cls(p, inv_delta_p, low, high, first_decreasing, tuple(spinodals))

    def stable_fixed_points(self, rows: np.ndarray, inv_delta2: np.ndarray):
        """(points, 2) arrays: whether branch k has a stable fixed point at (Δp[rows], 1/Δ2), and that
        fixed point (0 where absent). Found by bisection of S(m) = 1/Δ2 on the branch, vectorised over the
        points; 64 halvings of a branch narrower than 1 take it below double precision."""
        inverse, low, high = self.inv_delta_p[rows][:, None], self.branch_low[rows], self.branch_high[rows]
        s = np.asarray(inv_delta2, dtype=float)[:, None]
        with np.errstate(invalid="ignore"):
            present = (s > _s_curve(self.p, inverse, low)) & ((high == 1.0) | (s < _s_curve(self.p, inverse, high)))
        below, above = np.where(present, low, 0.0), np.where(present, high, 0.0)
        for _ in range(64):
            middle = 0.5 * (below + above)
            under = _s_curve(self.p, inverse, middle) < s
            below, above = np.where(under, middle, below), np.where(under, above, middle)
        return present, np.where(present, 0.5 * (below + above), 0.0)

    def classify(self, rows: np.ndarray, inv_delta2: np.ndarray):
        """Region codes (indices into REGIONS), m_amp and m_bayes at the points (Δp[rows], 1/Δ2);
        1/Δ2 = 0 (no matrix channel) is allowed."""
        inv_delta2 = np.asarray(inv_delta2, dtype=float)
        present, roots = self.stable_fixed_points(rows, inv_delta2)
        inverse = self.inv_delta_p[rows][:, None]
        free_entropy = (0.5 * np.log1p(-roots) + 0.5 * roots + 0.25 * inv_delta2[:, None] * roots**2
                        + roots**self.p * (inverse / (2 * self.p)))
        # Candidates for the maximum of Φ_RS: m = 0 (Φ_RS = 0; a local maximum only while 1/Δ2 <= 1)
        # and the stable fixed points. Ties go to the smaller m.
        zero = np.where(inv_delta2 > 1.0, -np.inf, 0.0)
        candidates = np.column_stack([zero, np.where(present, free_entropy, -np.inf)])
        winner = np.argmax(candidates, axis=1)  # 0: m = 0; k + 1: branch k
        # AMP from m0 → 0⁺ leaves m = 0 where it is unstable (1/Δ2 > S(0) = 1, or 1/Δ2 = 1 with S < 1
        # just above 0) and stops at the smallest stable fixed point.
        leaves = (inv_delta2 > 1.0) | ((inv_delta2 == 1.0) & self.first_decreasing[rows])
        first = np.where(present[:, 0], 1, np.where(present[:, 1], 2, 0))
        reached = np.where(leaves, first, 0)
        region = np.where(winner == 0, 0, np.where(winner == reached, 2, 1))
        overlaps = np.column_stack([np.zeros(inv_delta2.size), roots])
        points = np.arange(inv_delta2.size)
        return region, overlaps[points, reached], overlaps[points, winner]


def bayes_fixed_points(params: ModelParams) -> np.ndarray:
    """Stable fixed points m > 0 of Bayes-optimal AMP, in increasing order: the solutions of
    1/Δ2 = S(m) on the increasing pieces of S (see above; at most two)."""
    present, roots = _SCurves.of(params.p, [params.delta_p]).stable_fixed_points(
        np.zeros(1, dtype=int), np.array([params.inv_delta2]))
    return roots[0][present[0]]


@dataclass(frozen=True)
class BayesPhase:
    """Bayes-optimal classification of one (p, Δp, 1/Δ2) point (§E.3)."""

    region: str  # "impossible" | "hard" | "easy"
    m_amp: float  # fixed point reached by Bayes AMP from m0 → 0⁺
    m_bayes: float  # global maximiser of Φ_RS (the Bayes-optimal overlap)


def bayes_optimal_phase(params: ModelParams) -> BayesPhase:
    """Impossible (Φ_RS maximal at m = 0), easy (AMP from 0⁺ reaches the maximiser) or hard (§E.3).

    AMP from m0 → 0⁺ is the limit, not a run from a small m0: it leaves m = 0 exactly when 1/Δ2 > 1 (or
    1/Δ2 = 1 with p = 3, Δp < 1, where f'(m)(1-m) - m = m²(1/Δp - 1) + O(m³) > 0).
    """
    region, m_amp, m_bayes = _SCurves.of(params.p, [params.delta_p]).classify(
        np.zeros(1, dtype=int), np.array([params.inv_delta2]))
    return BayesPhase(region=REGIONS[int(region[0])], m_amp=float(m_amp[0]), m_bayes=float(m_bayes[0]))


@dataclass(frozen=True)
class BayesBoundaries:
    """Where the Bayes-optimal region changes along 1/Δ2, for one p: one entry per (Δp, boundary),
    sorted by Δp, then 1/Δ2. ``boundary`` names the region below and the region above, "below|above"."""

    p: int
    delta_p: np.ndarray
    boundary: np.ndarray  # e.g. "impossible|hard", "hard|easy", "impossible|easy"
    inv_delta2: np.ndarray


def bayes_boundaries(p: int, delta_p_values, inv_delta2_max: float, scan_points: int = 64,
                     tolerance: float = 1e-10) -> BayesBoundaries:
    """The 1/Δ2 in (0, inv_delta2_max) where :func:`bayes_optimal_phase` changes, for each Δp (§E.3).

    Along 1/Δ2 at fixed (p, Δp) the region is impossible where max Φ_RS is at m = 0, easy where Bayes AMP
    from m0 → 0⁺ reaches the maximiser, hard otherwise, with

        Φ_RS(m) = ½ln(1 - m) + m/2 + m²/(4Δ2) + m^p/(2pΔp),   fixed points: 1/Δ2 = S(m) = 1/(1-m) - m^{p-2}/Δp.

    It can change only at three kinds of lines (theory.md §E.3):

    * the m = 0 instability of Bayes AMP, f'(m)(1-m) - m = m(1/Δ2 - 1) + O(m²): exactly 1/Δ2 = 1;
    * a spinodal, 1/Δ2 = S(m_c) with S'(m_c) = 0, i.e. (p-2)m_c^{p-3}(1-m_c)² = Δp: a pair of fixed points
      appears or merges (the low branch AMP sits on disappears: the hard → easy line of p = 4, Δp < 8/27);
    * an information-theoretic (first-order) line, Φ_RS(m_a) = Φ_RS(m_b) for two of the candidates m = 0
      and the stable fixed points: m = 0 against the high branch below 1/Δ2 = 1 (impossible → hard), the
      low against the high branch above it (easy → hard, the thin pocket of p = 4 that ends at the
      critical point Δp = 8/27, 1/Δ2 = 9/8).

    The first two are known in closed form or by one root-find in m, and enter the scan as 1/Δ2 = e ± δ
    (δ = tolerance/4): a change across such a pair is reported at e itself. Between them the candidates
    are fixed and d(Φ_RS(m_a) - Φ_RS(m_b))/d(1/Δ2) = (m_a² - m_b²)/4 keeps one sign (envelope theorem), so
    each stretch holds at most one information-theoretic change. The scan (``scan_points`` values of 1/Δ2
    evenly spaced on [0, inv_delta2_max], plus the e ± δ) brackets every change, and bisection on the
    classification narrows each bracket to ``tolerance`` (reported: its middle, within tolerance/2).

    All Δp are classified and bisected together (vectorised): the default config's 80 Δp on [0.05, 100]
    with 1/Δ2 ≤ 5 take about 0.1 s for p = 3 and 4 together on one core. Boundaries are labelled
    "below|above" by the regions on either side; consecutive ones at one Δp chain (the region above one is
    the region below the next). A Δp whose region does not change in (0, inv_delta2_max) has no entry.
    """
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 3:
        raise ParameterError(f"p must be an integer >= 3, got {p!r}")
    p = int(p)
    delta_p = np.array([ModelParams(p, 1.0, value).delta_p for value in np.atleast_1d(delta_p_values)], dtype=float)
    try:
        inv_delta2_max = float(inv_delta2_max)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"inv_delta2_max must be a number, got {inv_delta2_max!r}") from exc
    if not (math.isfinite(inv_delta2_max) and inv_delta2_max > 0):
        raise ParameterError(f"inv_delta2_max must be finite and > 0, got {inv_delta2_max!r}")
    if isinstance(scan_points, bool) or not isinstance(scan_points, (int, np.integer)) or scan_points < 2:
        raise ParameterError(f"scan_points must be an integer >= 2, got {scan_points!r}")
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise ParameterError(f"tolerance must be > 0, got {tolerance!r}")
    curves = _SCurves.of(p, delta_p)
    shift = tolerance / 4
    coarse = np.linspace(0.0, inv_delta2_max, scan_points)
    rows, values, exact = [], [], []  # scan points; exact: the line e of an e ± δ pair (NaN otherwise)
    for row, spinodals in enumerate(curves.spinodals):
        events = np.unique([e for e in (1.0, *spinodals) if shift < e < inv_delta2_max - shift])
        apart = coarse if not events.size else coarse[np.abs(coarse[:, None] - events).min(axis=1) > 2 * shift]
        grid = np.concatenate([apart, events - shift, events + shift])
        order = np.argsort(grid, kind="stable")
        grid = grid[order]
        lines = np.concatenate([np.full(apart.size, np.nan), events, events])[order]
        rows.append(np.full(grid.size, row))
        values.append(grid)
        exact.append(lines)
    rows, values, exact = np.concatenate(rows), np.concatenate(values), np.concatenate(exact)
    region = curves.classify(rows, values)[0]
    change = np.flatnonzero((rows[:-1] == rows[1:]) & (region[:-1] != region[1:]))
    low, high = values[change], values[change + 1]
    below, above, row = region[change], region[change + 1], rows[change]
    at_line = (exact[change] == exact[change + 1]) & ~np.isnan(exact[change])  # the pair e - δ, e + δ
    # Bisection, all brackets at once.
    while True:
        open_ = ~at_line & (high - low > tolerance)
        if not open_.any():
            break
        middle = 0.5 * (low + high)
        found = curves.classify(row[open_], middle[open_])[0]
        if not np.all((found == below[open_]) | (found == above[open_])):
            raise RuntimeError("two Bayes region changes in one bracket (a third region inside): refine the scan")
        lower = np.zeros(row.size, dtype=bool)
        lower[open_] = found == below[open_]
        upper = open_ & ~lower
        low = np.where(lower, middle, low)
        high = np.where(upper, middle, high)
    location = np.where(at_line, exact[change], 0.5 * (low + high))
    names = np.array([f"{REGIONS[a]}|{REGIONS[b]}" for a, b in zip(below, above)], dtype=object)
    return BayesBoundaries(p=p, delta_p=delta_p[row], boundary=names, inv_delta2=location)
