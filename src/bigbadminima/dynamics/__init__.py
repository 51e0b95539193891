"""Large-N gradient-flow dynamics: the CHSCK equations of the (2+p) model (theory.md §C).

Order parameters C(t,t') = x(t)·x(t')/N, R(t,t') = response, m(t) = overlap with the signal,
μ(t) = spherical multiplier. With the covariance function f of theory.md §0 (always through
:class:`~bigbadminima.params.ModelParams`), for t > t' (theory.md §C.1)::

    ∂_t C(t,t') = -μ C(t,t') + f'(m(t)) m(t') + ∫_0^t R(t,s) f''(C(t,s)) C(t',s) ds
                  + ∫_0^t' f'(C(t,s)) R(t',s) ds
    ∂_t R(t,t') = -μ R(t,t') + ∫_t'^t R(t,s) f''(C(t,s)) R(s,t') ds
    dm/dt       = -μ m + f'(m) + ∫_0^t R(t,s) f''(C(t,s)) m(s) ds
    μ(t)        = T + m f'(m) + ∫_0^t R(t,s) [f'(C) + f''(C) C](t,s) ds
    ε(t)        = -f(m) - ∫_0^t R(t,s) f'(C(t,s)) ds

with C(t,t) = 1, C(0,0) = 1, m(0) = m0 > 0, R(t⁺,t) = 1. Gradient flow is T = 0.

Two solvers share one result type, :class:`DynamicsResult`:

``method="uniform"`` — the reference scheme (:func:`_solve_uniform`). Uniform grid t_i = i h,
Heun predictor-corrector in t, every memory integral by the trapezoid rule. Second order in h
because the quadratures use the left limit R(t, t⁻) = 1 at s = t (theory.md §C.3: the authors'
code uses R(t,t) = 0 there, which is first order). Memory O(n²), work O(n³) for n steps.

``method="doubling"`` — the long-time scheme (:class:`_DoublingSolver`), T = 0 only. A Kim-Latz
window of N + 1 points (theory.md §C.2) whose step doubles each time it fills, so that t_max
costs O(N³ log t_max) work and O(N²) memory. Its pieces (details in docs/dynamics.md section 1):

* the response enters through the integrated response χ(t,t') = ∫_t'^t R(t,s) ds, its cell
  averages and the first moments of R in each cell, so that merging two cells is exact;
* *band*: the near-diagonal part of R (lags below ``band_cells``·h) is recomputed at every new
  time on a sub-grid fine near lag 0 and geometric further out, from the R equation in lag
  coordinates, corrected to second order in the age by the band's drift along the diagonal;
* the rest of each new row is implicit (BDF2 in t at fixed t', stiff diagonal terms and the
  multiplier implicit), solved by Anderson-accelerated fixed-point iteration, then
  Jacobian-free Newton-GMRES where that stalls;
* *band span*: the band's lag span Kb·h is capped at ``band_span``: past it each compression
  halves Kb (the kept bands then cover the new band exactly), down to ``MIN_BAND_CELLS``;
* *far cells*: the centroid of R in each cell is carried from row to row (not the trapezoid's
  1/2), so the exact moments of the band and of merged cells survive; *initial layer*: at each
  compression the first cell's centroid is recalibrated so that the μ integrand keeps its
  finer-grid value;
* the m quadrature and the m step are exact for m ∝ e^{κt} where m grows exponentially
  (:meth:`_DoublingSolver._local_growth`);
* *escape hold*: when doubling the step would give 2h·|dm/dt| > ``escape_bound`` (dm/dt
  extrapolated ``HOLD_HORIZON`` times the present time ahead), the window grows by N/2 rows at
  the same step instead (at most ``HOLD_LIMIT``·N rows) and the band doubles its cells (up to
  N/8); the compressions resume once m has settled.

Error control (theory.md §C.3, "always show convergence in h"): every run is repeated at half
the resolution (2h for the uniform scheme; window N/2, every sub-grid length doubled, for the
doubling scheme) and the error of m is estimated as |m - m_half| / 3 (second order), reported
column by column with the solution.

``linear=True`` solves the m0 → 0⁺ limit: C, R, μ follow the signal-free dynamics and m enters
linearly (f'(m) → m/Δ2, the O(m²) terms dropped); the result holds log(m(t)/m0), which stays
finite where m itself would saturate. Its slope is the growth rate used to locate the
gradient-flow threshold (theory.md §C.3, §D.6; :mod:`bigbadminima.fits`).

:func:`solve_chsck` refuses up front runs over the cost bounds ``MAX_MEMORY_BYTES``,
``MAX_UNIFORM_STEPS``, ``MAX_DOUBLINGS`` and ``MIN_DOUBLING_RESOLUTION``.

docs/dynamics.md holds the rest: every tuning knob with its meaning and how it scales with the
resolution, the measured accuracy, cost and limits, the pitfalls that shaped the scheme, and the
golden run (tests/data/golden/) that a change of the numerics must reproduce or regenerate.
"""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numba import njit

from ..params import ModelParams, ParameterError

__all__ = ["DynamicsBlowUp", "DynamicsResult", "solve_chsck"]

_FAST = {"reassoc", "contract"}

#: Renormalisation of the linearised overlap history once it exceeds this (log of it is kept).
_RESCALE_ABOVE = 1e150

#: Cost guards of :func:`solve_chsck` (issue 11 item 7): a run is refused up front, with the
#: numbers, if its estimated memory (:func:`_memory_estimate`: the window or grid arrays at
#: their largest, plus the band's stencils; both runs at once with ``workers=2``) exceeds this.
MAX_MEMORY_BYTES = 8 * 2**30
#: Uniform scheme: most time steps n of one run. Work is O(n³): 25 s at n = 4000 on one core,
#: so about 50 min at the bound; the packed C and R take 8 n² bytes (3.2 GB at the bound).
MAX_UNIFORM_STEPS = 20_000
#: Doubling scheme: most step doublings (compressions) of one run, i.e. t_max <= 2^40 times the
#: first window's span (2.56 for resolution >= 1/8, so t_max <= 2.8e12). The band sub-grid
#: gains ~ln 2/η nodes per doubling and its convolution costs O(nodes²) per row, so the work of
#: the late windows grows like the square of the doublings: t_max = 1e300 (~1000 doublings,
#: ~1.1e4 band nodes) would not finish. t = 10^6 needs 19 doublings.
MAX_DOUBLINGS = 40
#: Doubling scheme: the band sub-grid needs η = 1/(16·resolution) < 1 (its geometric part starts
#: from the first lag step); at resolution <= 1/16 the grid construction never ends once the
#: first window is compressed, so such levels are refused (the error estimate runs resolution/2).
MIN_DOUBLING_RESOLUTION = 1.0 / 16
#: Window arrays alive at once at the largest capacity (C, χ, cell averages, weights, and the
#: copies a compression or a resize makes): the factor of the window's memory estimate.
_WINDOW_ARRAYS = 6
#: Bytes per entry of the band convolution stencils while they are built (start, 4 weights and
#: the temporaries of _lagrange_stencils); there are ~nodes²/2 entries.
_STENCIL_ENTRY_BYTES = 160


class DynamicsBlowUp(RuntimeError):
    """The CHSCK integration produced a non-finite value or left the physical range."""


@dataclass
class DynamicsResult:
    """Solution of the CHSCK equations on the solver's time grid.

    ``m_error`` estimates |m - m_exact| (from the run at twice the resolution), NaN where the
    estimate was not requested. In ``linear`` mode ``m`` is NaN and ``log_m_ratio`` holds
    log(m(t)/m0) of the m0 → 0⁺ limit. ``status`` is 0 on success, 1 if the integration was
    stopped (blow-up, non-convergence); ``message`` says why. ``monitors`` holds the largest
    energy increase between grid points, the largest violation of |C| <= 1 and the largest
    residual of the identity μ = T - 2ε2 - p εp (theory.md §C.1).
    """

    t: np.ndarray
    m: np.ndarray
    mu: np.ndarray
    energy: np.ndarray
    m_error: np.ndarray
    log_m_ratio: np.ndarray | None
    method: str
    resolution: dict
    status: int = 0
    message: str = "ok"
    monitors: dict = field(default_factory=dict)
    two_time: dict | None = None

    @property
    def success(self) -> bool:
        return self.status == 0

    def columns(self) -> dict:
        """The tidy per-time columns (t, m, mu, energy, m_error[, log_m_ratio])."""
        out = {"t": self.t, "m": self.m, "mu": self.mu, "energy": self.energy, "m_error": self.m_error}
        if self.log_m_ratio is not None:
            out["log_m_ratio"] = self.log_m_ratio
        return out


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _check_arguments(params: ModelParams, m0: float, t_max: float, temperature: float, linear: bool) -> None:
    if not isinstance(params, ModelParams):
        raise ParameterError("params must be a ModelParams")
    if not math.isfinite(m0):
        raise ParameterError(f"m0 must be finite, got {m0!r}")
    if not (math.isfinite(t_max) and t_max > 0):
        raise ParameterError(f"t_max must be finite and > 0, got {t_max!r}")
    if not (math.isfinite(temperature) and temperature >= 0):
        raise ParameterError(f"temperature must be finite and >= 0, got {temperature!r}")
    if not linear and not (0.0 < m0 < 1.0):
        raise ParameterError(
            f"m0 must lie in (0, 1), got {m0!r} (theory.md §A.5: the theory assumes m0 > 0; "
            "m0 = 0 is a fixed point; use linear=True for the m0 -> 0+ limit)"
        )


def _levels_run(method: str, resolution: float, estimate: bool, m_tol, max_resolution: float) -> list[tuple[float, float | None]]:
    """(level, half level or None) of every pass :func:`solve_chsck` may make (m_tol doubles the level)."""
    level = resolution if method == "doubling" else 1.0
    levels = [level]
    while m_tol is not None and 2 * levels[-1] <= max_resolution:
        levels.append(2 * levels[-1])
    return [(lv, lv / 2 if estimate else None) for lv in levels]


def _uniform_cost(t_max: float, step: float, keep_two_time: bool) -> tuple[float, float]:
    """(steps n, bytes) of one uniform run: packed C and R (8 n² bytes), with keep_two_time the
    full C, R and their mask (17 n² more)."""
    n = t_max / step
    return n, (8.0 + (17.0 if keep_two_time else 0.0)) * (min(n, 1e100) + 1) ** 2


def _doubling_cost(t_max: float, level: float, linear: bool) -> tuple[float, float]:
    """(step doublings D, bytes) of one doubling run at ``level``.

    The first window spans N·δ_min and each compression doubles it, so D = ceil(log2(t_max /
    (N δ_min))) (an escape hold, which grows the window at a fixed step, only lowers it). Memory:
    _WINDOW_ARRAYS square arrays at the largest capacity (hold_limit·N rows in full runs, N in
    linear mode, where nothing is held) and the band stencils, ~nodes²/2 entries, with the nodes
    of the band grid at the last step h = 2^D δ_min and the widest band (N/8 cells while held).
    """
    s = _doubling_settings(level)
    window, delta_min, eta = float(s["window"]), s["delta_min"], s["eta"]
    span = window * delta_min
    doublings = max(0.0, math.ceil(math.log2(t_max / span) - 1e-12)) if t_max > span else 0.0
    capacity = window if linear else _DoublingSolver.HOLD_LIMIT * window
    memory = _WINDOW_ARRAYS * 8.0 * (capacity + 1) ** 2
    if doublings > 0 and eta < 1:
        log_ratio = math.log(eta) + doublings * math.log(2.0)  # log of h / (δ_min/η) at the last step
        cells = s["band_cells"] if linear else max(s["band_cells"], window / 8)
        nodes = 2 + 1 / eta + max(0.0, log_ratio / math.log1p(eta)) + cells + (1 + math.log(cells)) / eta
        memory += _STENCIL_ENTRY_BYTES * nodes**2 / 2
    return doublings, memory


def _check_cost(method, t_max, resolution, step, linear, estimate, m_tol, max_resolution, workers, keep_two_time):
    """Refuse, with the numbers, a run whose work or memory would pass the module's bounds."""
    gib = 2.0**30
    for level, half in _levels_run(method, resolution, estimate, m_tol, max_resolution):
        runs = [level] + ([half] if half is not None else [])
        memory = []
        for lv in runs:
            which = "main" if lv == level else "half-resolution (error estimate)"
            if method == "uniform":
                n, bytes_ = _uniform_cost(t_max, step / lv, keep_two_time)
                if n > MAX_UNIFORM_STEPS:
                    raise ParameterError(
                        f"uniform scheme: t_max = {t_max:g} at step {step / lv:g} ({which} run) needs {n:.3g} steps, "
                        f"more than MAX_UNIFORM_STEPS = {MAX_UNIFORM_STEPS} (work O(n^3)); use method='doubling' "
                        "for long times or a larger step"
                    )
            else:
                doublings, bytes_ = _doubling_cost(t_max, lv, linear)
                if lv <= MIN_DOUBLING_RESOLUTION and doublings > 0:
                    raise ParameterError(
                        f"doubling scheme: resolution {lv:g} ({which} run) is at or below {MIN_DOUBLING_RESOLUTION:g}: "
                        "its band sub-grid is empty (eta = 1/(16 resolution) >= 1) and the run would never end; "
                        f"use resolution > {2 * MIN_DOUBLING_RESOLUTION:g} with the error estimate"
                    )
                if doublings > MAX_DOUBLINGS:
                    raise ParameterError(
                        f"doubling scheme: t_max = {t_max:g} at resolution {lv:g} ({which} run) needs {doublings:.0f} "
                        f"step doublings, more than MAX_DOUBLINGS = {MAX_DOUBLINGS} "
                        f"(t_max <= {_doubling_settings(lv)['window'] * _doubling_settings(lv)['delta_min'] * 2.0**MAX_DOUBLINGS:.3g})"
                    )
            memory.append(bytes_)
        peak = sum(memory) if workers == 2 else max(memory)
        if peak > MAX_MEMORY_BYTES:
            detail = f"resolution {level:g}" if method == "doubling" else f"step {step / level:g}, t_max = {t_max:g}"
            raise ParameterError(
                f"{method} scheme at {detail}{' with workers=2' if workers == 2 and half is not None else ''} would need "
                f"~{peak / gib:.3g} GiB, more than MAX_MEMORY_BYTES = {MAX_MEMORY_BYTES / gib:g} GiB"
            )


def _signal_terms(params: ModelParams, m: float, linear: bool) -> tuple[float, float, float]:
    """(f'(m), m f'(m), f(m)) in the full model; their O(m) parts (m/Δ2, 0, 0) in linear mode."""
    if linear:
        return params.d2f(0.0) * m, 0.0, 0.0
    return float(params.df(m)), float(m * params.df(m)), float(params.f(m))


def _energy_split(params: ModelParams, m: float, weights: np.ndarray, c: np.ndarray, linear: bool):
    """(ε2, εp) of theory.md §C.1 from nodal response weights ∫R(t,s)g(s)ds ≈ Σ weights·g."""
    eps2 = -params.inv_delta2 * np.dot(weights, c)
    epsp = -params.inv_delta_p * np.dot(weights, c ** (params.p - 1))
    if not linear:  # in linear mode m is the rescaled O(m0) amplitude: its powers may overflow
        eps2 -= m * m * params.inv_delta2 / 2
        epsp -= m**params.p * params.inv_delta_p / params.p
    return float(eps2), float(epsp)


# ---------------------------------------------------------------------------------------------
# Reference scheme: uniform grid, Heun + trapezoid
# ---------------------------------------------------------------------------------------------


@njit(cache=True, fastmath=_FAST)
def _memory_sums(C, R, i, h, a, b, ap, S1, S2, S3):  # pragma: no cover - compiled
    """Trapezoid memory sums of row i for every t_l <= t_i (packed lower-triangular C, R).

    S1[l] = Σ_s a_s C(t_l, t_s)                      (a carries weights: ∫R f'' C(t_l,·))
    S2[l] = h Σ_{s<=l} w_s b_s R(t_l, t_s)           (∫_0^{t_l} f'(C(t_i,s)) R(t_l,s) ds)
    S3[l] = h Σ_{l<=s<=i} w_s ap_s R(t_s, t_l)       (∫_{t_l}^{t_i} R f'' R(s,t_l) ds)
    """
    for l in range(i + 1):
        S1[l] = 0.0
        S3[l] = 0.0
    for r in range(i + 1):
        o = r * (r + 1) // 2
        acc1 = 0.0
        acc2 = 0.0
        ar = a[r]
        apr = ap[r]
        for s in range(r):
            cv = C[o + s]
            rv = R[o + s]
            acc1 += a[s] * cv
            S1[s] += ar * cv
            acc2 += b[s] * rv
            S3[s] += apr * rv
        S1[r] += acc1 + ar * C[o + r]
        if r > 0:
            S2[r] = h * (acc2 + 0.5 * b[r] * R[o + r] - 0.5 * b[0] * R[o])
        else:
            S2[0] = 0.0
        S3[r] += apr * R[o + r]
    oi = i * (i + 1) // 2
    for l in range(i + 1):
        S3[l] = h * (S3[l] - 0.5 * ap[l] * R[l * (l + 1) // 2 + l] - 0.5 * ap[i] * R[oi + l])


def _solve_uniform(
    params: ModelParams,
    m0: float,
    n_steps: int,
    h: float,
    temperature: float = 0.0,
    linear: bool = False,
):
    """Heun/trapezoid integration of §C.1 on t_i = i h, i = 0..n_steps.

    Returns (m, log_m_ratio, mu, energy, eps2, epsp, packed C, packed R). In linear mode m holds
    m/m0 divided by a running scale, log_m_ratio = log(m/m0) (NaN otherwise). R is stored with
    R(t_i, t_i) = 1, the left limit R(t, t⁻) used by the quadratures.
    """
    n = n_steps + 1
    size = n * (n + 1) // 2
    C = np.zeros(size)
    R = np.zeros(size)
    m = np.zeros(n)
    log_m_ratio = np.full(n, np.nan)
    mu = np.zeros(n)
    energy = np.zeros(n)
    eps2 = np.zeros(n)
    epsp = np.zeros(n)
    C[0] = R[0] = 1.0
    m[0] = 1.0 if linear else m0
    if linear:
        log_m_ratio[0] = 0.0
    S1, S2, S3 = np.zeros(n), np.zeros(n), np.zeros(n)
    scale = 0.0

    def evaluate(i: int):
        o = i * (i + 1) // 2
        c = C[o : o + i + 1]
        r = R[o : o + i + 1]
        w = np.full(i + 1, h)
        w[0] *= 0.5
        w[-1] *= 0.5
        if i == 0:
            w[0] = 0.0
        wr = w * r
        fp = params.df(c)
        fpp = params.d2f(c)
        df_m, m_df_m, f_m = _signal_terms(params, m[i], linear)
        mu_i = temperature + m_df_m + np.dot(wr, fp + fpp * c)
        a = wr * fpp
        fm = -mu_i * m[i] + df_m + np.dot(a, m[: i + 1])
        _memory_sums(C, R, i, h, a, fp, r * fpp, S1, S2, S3)
        drive = 0.0 if linear else df_m
        fc = -mu_i * c + drive * m[: i + 1] + S1[: i + 1] + S2[: i + 1]
        fr = -mu_i * r + S3[: i + 1]
        e2, ep = _energy_split(params, m[i], wr, c, linear)
        return mu_i, -f_m - np.dot(wr, fp), e2, ep, fm, fc, fr

    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported, not warned
        mu[0], energy[0], eps2[0], epsp[0], fm, fc, fr = evaluate(0)
        for i in range(n - 1):
            o = i * (i + 1) // 2
            o1 = (i + 1) * (i + 2) // 2
            c_old = C[o : o + i + 1].copy()
            r_old = R[o : o + i + 1].copy()
            C[o1 : o1 + i + 1] = c_old + h * fc
            R[o1 : o1 + i + 1] = r_old + h * fr
            C[o1 + i + 1] = R[o1 + i + 1] = 1.0
            m[i + 1] = m[i] + h * fm
            _, _, _, _, fm_p, fc_p, fr_p = evaluate(i + 1)
            C[o1 : o1 + i + 1] = c_old + 0.5 * h * (fc + fc_p[: i + 1])
            R[o1 : o1 + i + 1] = r_old + 0.5 * h * (fr + fr_p[: i + 1])
            m[i + 1] = m[i] + 0.5 * h * (fm + fm_p)
            if linear:
                if abs(m[i + 1]) > _RESCALE_ABOVE:
                    m[: i + 2] /= _RESCALE_ABOVE
                    scale += math.log(_RESCALE_ABOVE)
                log_m_ratio[i + 1] = math.log(abs(m[i + 1])) + scale
            mu[i + 1], energy[i + 1], eps2[i + 1], epsp[i + 1], fm, fc, fr = evaluate(i + 1)
            if not (math.isfinite(mu[i + 1]) and math.isfinite(m[i + 1])):
                raise DynamicsBlowUp(f"non-finite values at t = {(i + 1) * h:g} (step h = {h:g})")
    return m, log_m_ratio, mu, energy, eps2, epsp, C, R


# ---------------------------------------------------------------------------------------------
# Long-time scheme: Kim-Latz doubling window + near-diagonal band
# ---------------------------------------------------------------------------------------------


def _band_grid(h: float, band_cells: int, delta_min: float, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """Lag nodes of the band [0, band_cells·h] and the indices of the coarse lags q·h in them.

    Steps are δ_min up to δ_min/η, then at most η·τ, so that a mode e^{-λτ} is integrated with
    step·λ <= η·λτ where it still has weight; every coarse lag q·h is a node.
    """
    nodes = [0.0]
    tau = 0.0
    uniform_end = min(h, delta_min / eta)
    while tau + delta_min < uniform_end * (1 - 1e-12):
        tau += delta_min
        nodes.append(tau)
    while tau * (1 + eta) < h * (1 - 0.3 * eta):
        tau *= 1 + eta
        nodes.append(tau)
    nodes.append(h)
    coarse = [0, len(nodes) - 1]
    for q in range(1, band_cells):
        pieces = max(1, math.ceil(1.0 / (eta * q) - 1e-9))
        for piece in range(1, pieces + 1):
            nodes.append(h * (q + piece / pieces))
        coarse.append(len(nodes) - 1)
    return np.array(nodes), np.array(coarse, dtype=np.int64)


def _lagrange_stencils(nodes: np.ndarray, x: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and weights (n, 4) of cubic Lagrange interpolation at the points x.

    Each point uses the 4 nodes around it among nodes[0..top] (fewer, zero-padded, if top < 3).
    """
    x = np.asarray(x, dtype=float)
    top = np.broadcast_to(np.asarray(top, dtype=np.int64), x.shape)
    count = np.minimum(4, top + 1)
    a = np.searchsorted(nodes, x, side="right") - 1
    start = np.minimum(np.maximum(a - 1, 0), top - count + 1)
    idx = np.minimum(start[:, None] + np.arange(4)[None, :], nodes.size - 1)
    xs = nodes[idx]
    valid = np.arange(4)[None, :] < count[:, None]
    weights = np.ones((x.size, 4))
    for k in range(4):
        for other in range(4):
            if other == k:
                continue
            factor = (x - xs[:, other]) / np.where(valid[:, other], xs[:, k] - xs[:, other], 1.0)
            weights[:, k] *= np.where(valid[:, other], factor, 1.0)
    weights[~valid] = 0.0
    return start, weights


def _interpolation_matrix(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Matrix M with M @ y(nodes) = cubic interpolant of y at the points x."""
    start, weights = _lagrange_stencils(nodes, x, nodes.size - 1)
    matrix = np.zeros((x.size, nodes.size))
    for k in range(4):
        np.add.at(matrix, (np.arange(x.size), np.minimum(start + k, nodes.size - 1)), weights[:, k])
    return matrix


@dataclass
class _BandStencils:
    """Interpolation stencils of the band convolution, fixed for one sub-grid."""

    tau: np.ndarray
    coarse: np.ndarray
    offsets: np.ndarray  # entries of node k: offsets[k] .. offsets[k+1]-1 (lags τ_k - τ_j, j <= J_k)
    last: np.ndarray  # J_k
    start: np.ndarray
    weights: np.ndarray
    half_start: np.ndarray
    half_weights: np.ndarray

    @classmethod
    def build(cls, tau: np.ndarray, coarse: np.ndarray) -> "_BandStencils":
        size = tau.size
        last = np.zeros(size, dtype=np.int64)
        last[1:] = np.searchsorted(tau, 0.5 * tau[1:], side="right") - 1
        counts = np.zeros(size + 1, dtype=np.int64)
        counts[2:] = last[1:] + 1
        offsets = np.cumsum(counts)
        node = np.repeat(np.arange(size), counts[1:])
        j = np.arange(offsets[-1]) - offsets[node]
        start, weights = _lagrange_stencils(tau, tau[node] - tau[j], node)
        half_start, half_weights = _lagrange_stencils(tau, 0.5 * tau, np.arange(size))
        return cls(tau, coarse, offsets, last, start, weights, half_start, half_weights)


@njit(cache=True, fastmath=_FAST)
def _interp(values, start, w):  # pragma: no cover - compiled
    return w[0] * values[start] + w[1] * values[start + 1] + w[2] * values[start + 2] + w[3] * values[start + 3]


@njit(cache=True, fastmath=_FAST)
def _fd_weights(x0, x1, x2, at):  # pragma: no cover - compiled
    """Weights of the 3-point derivative at node ``at`` (0, 1 or 2) of nodes x0 < x1 < x2."""
    h1 = x1 - x0
    h2 = x2 - x1
    if at == 0:
        return -(2 * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2), -h1 / (h2 * (h1 + h2))
    if at == 1:
        return -h2 / (h1 * (h1 + h2)), (h2 - h1) / (h1 * h2), h1 / (h2 * (h1 + h2))
    return h2 / (h1 * (h1 + h2)), -(h1 + h2) / (h1 * h2), (2 * h2 + h1) / (h2 * (h1 + h2))


@njit(cache=True, fastmath=_FAST)
def _corrected_trapezoid(x, g, n):  # pragma: no cover - compiled
    """∫ g over nodes x[0..n-1]: trapezoid + Euler-Maclaurin end corrections per interval,
    δ²/12 (g'_left - g'_right), with 3-point derivatives: fourth-order on smooth g."""
    total = 0.0
    if n < 2:
        return 0.0
    if n == 2:
        return 0.5 * (x[1] - x[0]) * (g[0] + g[1])
    prev_d = 0.0
    for j in range(n):
        if j == 0:
            w0, w1, w2 = _fd_weights(x[0], x[1], x[2], 0)
            d = w0 * g[0] + w1 * g[1] + w2 * g[2]
        elif j == n - 1:
            w0, w1, w2 = _fd_weights(x[n - 3], x[n - 2], x[n - 1], 2)
            d = w0 * g[n - 3] + w1 * g[n - 2] + w2 * g[n - 1]
        else:
            w0, w1, w2 = _fd_weights(x[j - 1], x[j], x[j + 1], 1)
            d = w0 * g[j - 1] + w1 * g[j] + w2 * g[j + 1]
        if j > 0:
            step = x[j] - x[j - 1]
            total += 0.5 * step * (g[j - 1] + g[j]) + step * step / 12.0 * (prev_d - d)
        prev_d = d
    return total


@njit(cache=True, fastmath=_FAST)
def _band_convolution(k, tau, rho, kern, a, known, inv_h2, known2, offsets, last, start, weights, hs, hw, xs, ga, gb):  # pragma: no cover
    """∫_0^{τ_k} ρ_t(u) f''(C(t,t-u)) ρ_{t-u}(τ_k - u) du, split at τ_k/2 (see _band_march).

    Both halves are integrated over u (resp. v = τ_k - u) in [0, τ_k/2], where the first factor
    (resp. last) is fast and sits on the nodes while the other is smooth and interpolated
    (cubic). The drifts are ∂_tρ = a ρ + known and ∂²_tρ = inv_h2 ρ + known2 (BDF2 / second
    difference in t with the previous rows' bands folded into ``known``, ``known2``).
    """
    tk = tau[k]
    J = last[k]
    base = offsets[k]
    for j in range(J + 1):
        e = base + j
        s = start[e]
        w = weights[e]
        r_x = _interp(rho, s, w)
        u = tau[j]
        lag = tk - u
        d_x = a * r_x + _interp(known, s, w)
        d2_x = inv_h2 * r_x + _interp(known2, s, w)
        d_j = a * rho[j] + known[j]
        d2_j = inv_h2 * rho[j] + known2[j]
        xs[j] = u
        ga[j] = rho[j] * kern[j] * (r_x - u * d_x + 0.5 * u * u * d2_x)
        gb[j] = r_x * _interp(kern, s, w) * (rho[j] - lag * d_j + 0.5 * lag * lag * d2_j)
    n = J + 1
    u = 0.5 * tk
    if u > tau[J] * (1 + 1e-12):
        s = hs[k]
        w = hw[k]
        r_h = _interp(rho, s, w)
        d_h = a * r_h + _interp(known, s, w)
        d2_h = inv_h2 * r_h + _interp(known2, s, w)
        xs[n] = u
        ga[n] = r_h * _interp(kern, s, w) * (r_h - u * d_h + 0.5 * u * u * d2_h)
        gb[n] = ga[n]
        n += 1
    return _corrected_trapezoid(xs, ga, n) + _corrected_trapezoid(xs, gb, n)


@njit(cache=True, fastmath=_FAST)
def _band_march(mu, a, inv_h2, tau, kern, known, known2, offsets, last, start, weights, hs, hw, rho, slope, psi, psi_int):  # pragma: no cover
    """March the lag equation of the band outward from R(t,t⁻) = 1.

    In lag coordinates ρ_t(τ) = R(t, t-τ) obeys, for fixed t (theory.md §C.1, R equation):
        dρ/dτ = -μ ρ - ∂_tρ + ∫_0^τ ρ_t(u) f''(C(t,t-u)) ρ_{t-u}(τ-u) du,
    with ρ_{t-u}(v) = ρ_t(v) - u ∂_tρ(v) + u²/2 ∂²_tρ(v): the drift along the diagonal, from
    BDF2 in t over this row and the two before it (implicit in this row's ρ). The march is the
    Hermite (trapezoid + δ²/12 slope-derivative) rule with 3-point derivatives of the slope,
    implicit in ρ_k; slope = dρ/dτ; psi = ∫_0^τ ρ and psi_int = ∫_0^τ ψ (Hermite).
    """
    size = tau.size
    xs = np.empty(size + 1)
    ga = np.empty(size + 1)
    gb = np.empty(size + 1)
    rho[0] = 1.0
    slope[0] = -mu - (a + known[0])
    psi[0] = 0.0
    psi_int[0] = 0.0
    decay = mu + a
    for k in range(1, size):
        step = tau[k] - tau[k - 1]
        rho[k] = rho[k - 1] + step * slope[k - 1]
        conv = 0.0
        for _ in range(2):
            conv = _band_convolution(k, tau, rho, kern, a, known, inv_h2, known2, offsets, last, start, weights, hs, hw, xs, ga, gb)
            source = conv - known[k]  # slope_k = -decay ρ_k + source
            if k == 1:
                rho[k] = (rho[k - 1] + 0.5 * step * (slope[k - 1] + source)) / (1.0 + 0.5 * step * decay)
            else:
                p0, p1, p2 = _fd_weights(tau[k - 2], tau[k - 1], tau[k], 1)  # derivative at k-1
                q0, q1, q2 = _fd_weights(tau[k - 2], tau[k - 1], tau[k], 2)  # derivative at k
                c = step * step / 12.0
                coef_k = 0.5 * step + c * (p2 - q2)
                known_part = rho[k - 1] + 0.5 * step * slope[k - 1] + c * ((p0 - q0) * slope[k - 2] + (p1 - q1) * slope[k - 1])
                rho[k] = (known_part + coef_k * source) / (1.0 + coef_k * decay)
        slope[k] = -decay * rho[k] + conv - known[k]
        psi[k] = psi[k - 1] + 0.5 * step * (rho[k - 1] + rho[k]) + step * step / 12.0 * (slope[k - 1] - slope[k])
        psi_int[k] = psi_int[k - 1] + 0.5 * step * (psi[k - 1] + psi[k]) + step * step / 12.0 * (rho[k - 1] - rho[k])


@njit(cache=True, fastmath=_FAST)
def _near_start_correction(i3, x_row, xv_row, X, Xh, fpp, i, far, band_cells):  # pragma: no cover
    """Replace, in ∫_{t_j}^{t_i} R f'' χ(s, t_j) ds, the cells l = j+1..j+Kb (l <= i-3) where χ(s, t_j)
    rises fast: point values of χ at the cell ends -> its exact cell average Xh[l, l-j]."""
    for j in range(far):
        for q in range(1, band_cells + 1):
            l = j + q
            if l > i - 3:
                break
            dx = x_row[l - 1] - x_row[l]
            moment = xv_row[l] - x_row[l]
            point = fpp[l - 1] * X[l - 1, j] * (dx - moment) + fpp[l] * X[l, j] * moment
            i3[j] += dx * 0.5 * (fpp[l - 1] + fpp[l]) * Xh[l, q] - point


def _cumulative_hermite(tau: np.ndarray, values: np.ndarray, derivative: np.ndarray) -> np.ndarray:
    """∫_0^τ_k g for g known with its derivative at the nodes (Hermite-corrected trapezoid)."""
    step = np.diff(tau)
    pieces = 0.5 * step * (values[:-1] + values[1:]) + step**2 / 12.0 * (derivative[:-1] - derivative[1:])
    return np.concatenate([[0.0], np.cumsum(pieces)])


def _cumulative_trapezoid(tau: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(0.5 * np.diff(tau) * (values[:-1] + values[1:]))])


def _interpolate_cubic(x_nodes: np.ndarray, y_nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise cubic Lagrange interpolation (4 nearest nodes) of y(x) at the points x."""
    start, weights = _lagrange_stencils(x_nodes, x, x_nodes.size - 1)
    idx = np.minimum(start[:, None] + np.arange(4)[None, :], x_nodes.size - 1)
    return np.sum(weights * y_nodes[idx], axis=1)


@dataclass
class _Band:
    """Near-diagonal response of one row on the band sub-grid: ρ = R(t, t-τ), ψ = χ(t, t-τ)."""

    rho: np.ndarray
    psi: np.ndarray


class _AndersonMixer:
    """Anderson acceleration of a fixed-point map y -> G(y) (type II, small history)."""

    def __init__(self, depth: int = 5):
        self.depth = depth
        self.ys: list[np.ndarray] = []
        self.gs: list[np.ndarray] = []

    def next(self, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.ys.append(y)
        self.gs.append(g)
        if len(self.ys) > self.depth + 1:
            self.ys.pop(0)
            self.gs.pop(0)
        if len(self.ys) == 1:
            return g
        residuals = [gk - yk for gk, yk in zip(self.gs, self.ys)]
        d_res = np.array([residuals[k + 1] - residuals[k] for k in range(len(residuals) - 1)]).T
        d_g = np.array([self.gs[k + 1] - self.gs[k] for k in range(len(self.gs) - 1)]).T
        gamma, *_ = np.linalg.lstsq(d_res, residuals[-1], rcond=None)
        return g - d_g @ gamma


class _DoublingSolver:
    """Kim-Latz window with near-diagonal band, T = 0 (see the module docstring).

    Window arrays (index = time index in the window, t_k = k h):
    C[i, j]  symmetric; X[i, j] = χ(t_i, t_j) for j <= i; Xv[i, l] = (1/h)∫_cell l χ(t_i, s) ds;
    Xh[l, q] = (1/h)∫_{t_{l-1}}^{t_l} χ(s, t_{l-q}) ds for q <= band_cells;
    W[i, s] nodal weights with ∫_0^{t_i} R(t_i, s) g(s) ds ≈ Σ_s W[i, s] g(t_s), exact for g
    linear in each cell (first moments of R from Xv: ∫_cell R (s - t_{l-1})/h = Xv - X).
    """

    TOLERANCE = 1e-10
    #: accepted when Newton stalls: 1e-8 relative on a row is far below the discretisation error
    ACCEPTABLE = 1e-8
    ANDERSON_ITERATIONS = 12
    MAX_NEWTON_STEPS = 8

    #: the band keeps at least this many cells when its span is capped (BDF2 χ columns start beyond it)
    MIN_BAND_CELLS = 4

    #: full runs fit the m quadrature to e^{κt} only where |κ|h exceeds this (see _local_growth)
    GROWTH_FIT_MIN = 0.01
    #: the escape hold looks this many times the current time ahead (module docstring, "escape hold")
    HOLD_HORIZON = 4.0
    #: an escape hold grows the window to at most this many times N rows
    HOLD_LIMIT = 8

    def __init__(self, params, m0, window, band_cells, delta_min, eta, linear, band_span=math.inf,
                 escape_bound=math.inf, hold_limit=HOLD_LIMIT):
        if window % 2 or window < 8 * band_cells:
            raise ParameterError(f"window must be even and >= 8 band_cells, got {window}, {band_cells}")
        self.params = params
        self.linear = linear
        self.m0 = m0
        self.N = window
        self.capacity = window  # rows the window arrays hold now (> N while an escape is held)
        self.filled = 0  # index of the last computed row
        self.escape_bound = math.inf if linear else escape_bound
        self.hold_limit = hold_limit
        self.Kb = self.Kb0 = band_cells
        self.band_span = band_span
        self.delta_min = delta_min
        self.eta = eta
        size = window + 1
        self.C = np.zeros((size, size))
        self.X = np.zeros((size, size))
        self.Xv = np.zeros((size, size))
        self.W = np.zeros((size, size))
        self.Xh = np.zeros((size, band_cells + 1))
        self.m = np.zeros(size)
        self.mu = np.zeros(size)
        self.energy = np.zeros(size)
        self.eps = np.zeros((size, 2))
        self.scale = 0.0
        self.bands: dict[int, _Band] = {}
        self.out: list[tuple] = []
        self.max_iterations_used = 0
        self.max_abs_c = 0.0

    # --- first window: reference scheme at step δ_min ---------------------------------------
    def start(self) -> None:
        N, h = self.N, self.delta_min
        m, log_ratio, mu, energy, e2, ep, Cp, Rp = _solve_uniform(self.params, self.m0, N, h, 0.0, self.linear)
        self.h = h
        R = np.zeros((N + 1, N + 1))
        for i in range(N + 1):
            o = i * (i + 1) // 2
            self.C[i, : i + 1] = Cp[o : o + i + 1]
            R[i, : i + 1] = Rp[o : o + i + 1]
        self.C = np.tril(self.C) + np.tril(self.C, -1).T
        for i in range(1, N + 1):
            row = R[i, : i + 1]
            self.X[i, :i] = np.cumsum((0.5 * h * (row[1:] + row[:-1]))[::-1])[::-1]
            self.Xv[i, 1 : i + 1] = 0.5 * (self.X[i, :i] + self.X[i, 1 : i + 1]) + h / 12.0 * (row[1:] - row[:-1])
        for l in range(1, N + 1):
            for q in range(1, min(self.Kb, l) + 1):
                self.Xh[l, q] = self._trapezoid_xh(self.X, l, q)
        self.m[:] = m
        self.mu[:] = mu
        self.energy[:] = energy
        self.eps[:, 0], self.eps[:, 1] = e2, ep
        for i in range(N + 1):
            self._record(i, log_ratio[i] if self.linear else math.nan)
        self._fine_response = R  # used once, to seed the bands after the first compression
        for i in range(N + 1):
            self.W[i, : i + 1] = self._weights(i)
        self.filled = N

    # --- bookkeeping -------------------------------------------------------------------------
    def _record(self, i: int, log_ratio: float) -> None:
        self.out.append(
            (self.time_of(i), self.m[i], self.mu[i], self.energy[i], self.eps[i, 0], self.eps[i, 1], log_ratio)
        )

    def time_of(self, i: int) -> float:
        return i * self.h

    def _weights(self, i: int) -> np.ndarray:
        """Nodal weights of row i from its χ values and cell averages (see class docstring)."""
        if i == 0:
            return np.zeros(1)
        x = self.X[i, : i + 1]
        d_x = x[:-1] - x[1:]  # cell l = 1..i at index l-1
        moment = self.Xv[i, 1 : i + 1] - x[1:]
        w = np.zeros(i + 1)
        w[1:] += moment
        w[:-1] += d_x - moment
        return w

    # --- compression ------------------------------------------------------------------------
    def make_room(self) -> None:
        """At a full window: hold the step through an escape (grow the window) or compress."""
        if self._hold():
            self.capacity += self.N // 2
            self._resize(self.capacity)
            if self.Kb * self.h < self.time_of(self.filled) * self.Kb0 / self.N and 2 * self.Kb <= self.N // 8:
                self._widen_band()
        else:
            self.compress()

    def _hold(self) -> bool:
        """Whether doubling the step now would cross an escape with 2h·|dm/dt| > escape_bound.

        |dm/dt| is the larger of its present value and the one predicted by extrapolating the
        present growth rate λ = d log m/dt over HOLD_HORIZON times the present time, λ·min(m e^{λH}, 1)
        (|m| <= 1). Never past hold_limit·N rows (memory stays bounded).
        """
        i, h = self.filled, self.h
        if (
            not math.isfinite(self.escape_bound)
            or self._fine_response is not None  # the first window (step δ_min) always compresses
            or self.capacity + self.N // 2 > self.hold_limit * self.N
        ):
            return False
        m1, m2 = self.m[i], self.m[i - 1]
        rate = abs(m1 - m2) / h
        growth = math.log(m1 / m2) / h if m1 * m2 > 0 else 0.0
        predicted = 0.0
        if growth > 0:
            exponent = min(growth * self.HOLD_HORIZON * self.time_of(i), 700.0)
            predicted = growth * min(abs(m1) * math.exp(exponent), 1.0)
        return 2 * h * max(rate, predicted) > self.escape_bound

    def _widen_band(self) -> None:
        """Double the band's cells at a fixed step (escape hold: the lag span keeps growing as t).

        Xh of the new cells q > Kb by the trapezoid in s, as a compression does for its merged cells.
        """
        i, h, old_kb = self.filled, self.h, self.Kb
        keep = {k: self._band_source(k, self.X, h) for k in (i, i - 1, i - 2)}
        self.Kb = 2 * old_kb
        # a compression that halved Kb keeps Xh's width: columns past old_kb are unused there
        xh = np.zeros((self.Xh.shape[0], max(self.Kb + 1, self.Xh.shape[1])))
        xh[:, : old_kb + 1] = self.Xh[:, : old_kb + 1]
        for l in range(1, i + 1):
            for q in range(old_kb + 1, min(self.Kb, l) + 1):
                xh[l, q] = self._trapezoid_xh(self.X, l, q)
        self.Xh = xh
        self._set_band_grid()
        self.bands = {k: self._resample(src, self.stencils.tau) for k, src in keep.items()}

    def _set_band_grid(self) -> None:
        tau, coarse = _band_grid(self.h, self.Kb, self.delta_min, self.eta)
        self.stencils = _BandStencils.build(tau, coarse)
        self.band_cell = np.searchsorted(coarse, np.arange(1, tau.size), side="left")  # cell q of each sub-interval
        self.c_to_band = _interpolation_matrix(np.arange(self.Kb + 4) * self.h, tau)

    def _resize(self, capacity: int) -> None:
        """Window arrays for rows 0..capacity, the leading rows kept."""
        size = capacity + 1
        for name in ("C", "X", "Xv", "W"):
            old = getattr(self, name)
            new = np.zeros((size, size))
            keep = min(size, old.shape[0])
            new[:keep, :keep] = old[:keep, :keep]
            setattr(self, name, new)
        for name in ("Xh", "m", "mu", "energy", "eps"):
            old = getattr(self, name)
            new = np.zeros((size, *old.shape[1:]))
            keep = min(size, old.shape[0])
            new[:keep] = old[:keep]
            setattr(self, name, new)

    def compress(self) -> None:
        """Keep every other row and column of the filled window, double the step."""
        N, half, Kb = self.filled, self.filled // 2, self.Kb
        # the band's lag span Kb·h stays at most band_span while it can: halving Kb keeps the
        # kept bands covering exactly the new band (module docstring, "band span")
        new_kb = Kb // 2 if (Kb * 2 * self.h > self.band_span and Kb // 2 >= self.MIN_BAND_CELLS) else Kb
        old_X = self.X.copy()
        first_cell = self._first_cell_integrals(half)
        even = np.arange(0, N + 1, 2)
        old_h = self.h
        # bands of the rows that stay needed: old N, N-2, N-4 -> new half, half-1, half-2
        keep = {}
        for new_index in (half, half - 1, half - 2):
            keep[new_index] = self._band_source(2 * new_index, old_X, old_h)
        self.C = self.C[np.ix_(even, even)].copy()
        self.X = old_X[np.ix_(even, even)].copy()
        xv = np.zeros((half + 1, half + 1))
        for k in range(1, half + 1):
            xv[k, 1 : k + 1] = 0.5 * (self.Xv[2 * k, 1 : 2 * k : 2] + self.Xv[2 * k, 2 : 2 * k + 1 : 2])
        self.Xv = xv
        self._calibrate_first_cell(first_cell, half)
        xh = np.zeros((half + 1, self.Xh.shape[1]))
        for l in range(1, half + 1):
            for q in range(1, min(new_kb, l) + 1):
                xh[l, q] = 0.5 * (self._xh_old(2 * l - 1, 2 * q - 1, old_X) + self._xh_old(2 * l, 2 * q, old_X))
        self.Xh = xh
        self.Kb = Kb = new_kb
        for name in ("m", "mu", "energy", "eps"):
            setattr(self, name, getattr(self, name)[even].copy())
        self.h = 2 * old_h
        self.W = np.zeros((half + 1, half + 1))
        self.capacity = max(self.N, half)
        self.filled = half
        self._resize(self.capacity)
        for k in range(half + 1):
            self.W[k, : k + 1] = self._weights(k)
        self._set_band_grid()
        self.bands = {k: self._resample(src, self.stencils.tau) for k, src in keep.items()}
        self._fine_response = None

    def _first_cell_integrals(self, half: int) -> np.ndarray:
        """Before compression: ∫_0^{2h} R(t_2k, s) κ(C(t_2k, s)) ds, κ = f' + f''C (the μ integrand), k >= 2.

        Quadrature over the two cells that the compression merges into the new first cell.
        """
        out = np.full(half + 1, np.nan)
        for k in range(2, half + 1):
            i = 2 * k
            x, g = self.X[i, :3], self._mu_integrand(self.C[i, :3])
            moment = self.Xv[i, 1:3] - x[1:]
            out[k] = np.sum((x[:-1] - x[1:] - moment) * g[:-1] + moment * g[1:])
        return out

    def _calibrate_first_cell(self, integrals: np.ndarray, half: int) -> None:
        """Effective centroid of R in the merged first cell [0, h] (module docstring, "initial layer").

        C(t, s) has a layer at s = O(1) (the fast start from the random initial condition), so
        the μ integrand is far from linear on [0, h] once h >> 1 and the merged cell's exact
        moments of R do not integrate it. The right-node weight is chosen so that the μ
        integrand keeps the value it had on the finer grid; kept only if the centroid stays in
        the cell. New rows transport it (:meth:`_near_rows`).
        """
        for k in range(2, half + 1):
            g0, g1 = self._mu_integrand(self.C[k, :2])
            mass = self.X[k, 0] - self.X[k, 1]
            if abs((g1 - g0) * mass) < 1e-14:
                continue
            right = (integrals[k] - mass * g0) / (g1 - g0)
            if 0.0 <= right / mass <= 1.0:
                self.Xv[k, 1] = self.X[k, 1] + right

    def _mu_integrand(self, c):
        return self.params.df(c) + self.params.d2f(c) * c

    def _xh_old(self, l: int, q: int, old_X: np.ndarray) -> float:
        if q <= self.Kb:
            return self.Xh[l, q]
        return self._trapezoid_xh(old_X, l, q)

    @staticmethod
    def _trapezoid_xh(X: np.ndarray, l: int, q: int) -> float:
        """Xh[l, q] by the trapezoid in s, ½(χ(t_{l-1}, t_{l-q}) + χ(t_l, t_{l-q})), where no band gives it."""
        return 0.5 * (X[l - 1, l - q] + X[l, l - q])

    def _band_source(self, i: int, X: np.ndarray, h: float):
        """(lags, ρ, ψ) of row i before compression: band nodes, then coarse lags beyond it."""
        lags = np.arange(i + 1) * h
        psi_coarse = X[i, i::-1]  # ψ(q h) = χ(t_i, t_{i-q})
        if self._fine_response is not None:
            rho_coarse = self._fine_response[i, i::-1]
            return lags, rho_coarse, psi_coarse
        rho_coarse = np.gradient(psi_coarse, h)
        band = self.bands.get(i)
        if band is None:
            return lags, rho_coarse, psi_coarse
        tau = self.stencils.tau
        beyond = lags > tau[-1] * (1 + 1e-12)
        return (
            np.concatenate([tau, lags[beyond]]),
            np.concatenate([band.rho, rho_coarse[beyond]]),
            np.concatenate([band.psi, psi_coarse[beyond]]),
        )

    @staticmethod
    def _resample(source, tau: np.ndarray) -> _Band:
        lags, rho, psi = source
        return _Band(_interpolate_cubic(lags, rho, tau), _interpolate_cubic(lags, psi, tau))

    # --- one new row -------------------------------------------------------------------------
    def _band_for(self, i: int, kern: np.ndarray, mu: float):
        """Band of row i (ρ, dρ/dτ, ψ) for the multiplier μ and kernel f''(C(t_i, t_i - τ))."""
        st, h = self.stencils, self.h
        r1, r2 = self.bands[i - 1].rho, self.bands[i - 2].rho
        rho = np.zeros(st.tau.size)
        slope = np.zeros_like(rho)
        psi = np.zeros_like(rho)
        psi_int = np.zeros_like(rho)
        _band_march(mu, 1.5 / h, 1.0 / h**2, st.tau, kern, (r2 - 4 * r1) / (2 * h), (r2 - 2 * r1) / h**2,
                    st.offsets, st.last, st.start, st.weights, st.half_start, st.half_weights, rho, slope, psi, psi_int)
        return rho, slope, psi, psi_int

    def _near_rows(self, i: int, x_far: np.ndarray, psi: np.ndarray, psi_integral: np.ndarray):
        """Row i of χ and of its cell averages, the band supplying the lags up to Kb·h."""
        Kb, h, coarse = self.Kb, self.h, self.stencils.coarse
        far = i - Kb
        x_row = np.zeros(i + 1)
        x_row[:far] = x_far
        x_row[far:i] = psi[coarse[Kb:0:-1]]
        xv_row = np.zeros(i + 1)
        # far cells: the centroid of R in the cell is transported from the previous row, where
        # it was exact (band cell, merged cell) or transported itself: the trapezoid (centroid
        # 1/2) would throw away the merged moments at every compression
        cells_far = np.arange(1, far + 1)
        mass_prev = self.X[i - 1, cells_far - 1] - self.X[i - 1, cells_far]
        moment_prev = self.Xv[i - 1, cells_far] - self.X[i - 1, cells_far]
        safe = np.abs(mass_prev) > 1e-300
        centroid = np.clip(np.where(safe, moment_prev / np.where(safe, mass_prev, 1.0), 0.5), 0.0, 1.0)
        xv_row[cells_far] = x_row[cells_far] + centroid * (x_row[cells_far - 1] - x_row[cells_far])
        cells = psi_integral[coarse[1:]] - psi_integral[coarse[:-1]]  # lag cells q = 1..Kb
        xv_row[i - Kb + 1 : i + 1] = cells[::-1] / h
        return x_row, xv_row

    def _solve_band_and_multiplier(self, i, c_row, x_far, m_i, mu, mu_kernel, state):
        """Band of row i at the multiplier μ, and a Newton update of μ = m f'(m) + ∫R(f'+f''C).

        μ and the near-diagonal response are strongly coupled (∂χ/∂μ < 0), so μ gets a Newton
        step with the derivative measured once per row; the fixed point is unchanged.
        """
        kern = self.params.d2f(self.c_to_band @ c_row[i : i - self.Kb - 4 : -1])
        _, m_df_m, _ = _signal_terms(self.params, m_i, self.linear)

        def residual(value):
            rho, slope, psi, psi_int = self._band_for(i, kern, value)
            x_row, xv_row = self._near_rows(i, x_far, psi, psi_int)
            self.X[i, : i + 1] = x_row
            self.Xv[i, : i + 1] = xv_row
            w = self._weights(i)
            return m_df_m + np.dot(w, mu_kernel) - value, (rho, slope, psi, x_row, xv_row, w)

        r, pack = residual(mu)
        if "dres" not in state:
            step = 1e-6 * (1 + abs(mu))
            state["dres"] = (residual(mu + step)[0] - r) / step
        return mu - r / state["dres"], pack

    def _row_map(self, i: int, y: np.ndarray, state: dict) -> np.ndarray:
        """One fixed-point sweep for row i; y = (C_i,0..i-1, X_i,0..i-Kb-1, m_i, μ_i)."""
        params, h, Kb = self.params, self.h, self.Kb
        far = i - Kb  # columns 0..far-1 have their χ from BDF2
        c_row = np.append(y[:i], 1.0)
        m_i = y[-2]
        fp = params.df(c_row)
        fpp = params.d2f(c_row)
        mu_i = y[-1]
        mu_next, (rho, slope, psi, x_row, xv_row, w) = self._solve_band_and_multiplier(
            i, c_row, y[i : i + far], m_i, mu_i, fp + fpp * c_row, state
        )
        state["rho"], state["psi"] = rho, psi
        self.X[i, : i + 1] = x_row
        self.Xv[i, : i + 1] = xv_row
        self.C[i, : i + 1] = c_row
        self.C[: i + 1, i] = c_row
        self.m[i] = m_i
        self.W[i, : i + 1] = w
        df_m, _, f_m = _signal_terms(params, m_i, self.linear)
        v = w * fpp
        kappa = self._local_growth(i)
        if not self.linear and abs(kappa * h) < self.GROWTH_FIT_MIN:
            kappa = 0.0  # plain rules (transported far-cell centroids) where the fit gains nothing
        memory_m = np.dot(self._overlap_weights(i, kappa, rho, slope, x_row, w) * fpp, self.m[: i + 1])
        i1 = self.C[: i + 1, : i + 1] @ v
        i2 = self.W[: i + 1, : i + 1] @ fp
        i3 = v @ self.X[: i + 1, : i + 1]
        _near_start_correction(i3, x_row, xv_row, self.X, self.Xh, fpp, i, far, Kb)
        k = 2.0 * h / 3.0
        self_memory = w[i] * fpp[i]
        drive = 0.0 if self.linear else df_m
        # C_ij, j < i
        b_c = (4 * self.C[i - 1, :i] - self.C[i - 2, :i]) / 3
        diag_c = mu_i - self_memory - np.diag(self.W)[:i] * fpp[:i]
        f_c = -mu_i * c_row[:i] + drive * self.m[:i] + i1[:i] + i2[:i]
        c_new = (b_c + k * (f_c + diag_c * c_row[:i])) / (1 + k * diag_c)
        # χ_ij, j < i - Kb
        b_x = (4 * self.X[i - 1, :far] - self.X[i - 2, :far]) / 3
        diag_x = mu_i - self_memory
        f_x = 1.0 - mu_i * x_row[:far] + i3[:far]
        x_new = (b_x + k * (f_x + diag_x * x_row[:far])) / (1 + k * diag_x)
        # m_i: exponentially fitted BDF2 (exact for m ∝ e^{κt}, see _local_growth); the drive
        # f'(m) = (f'(m)/m) m is implicit too (it nearly cancels μ - memory)
        growth = math.exp(kappa * h)
        b_m = (4 * self.m[i - 1] * growth - self.m[i - 2] * growth**2) / 3
        f_m_dot = -mu_i * m_i + df_m + memory_m - kappa * m_i
        diag_m = diag_x + kappa - (df_m / m_i if m_i != 0 else params.d2f(0.0))
        m_new = (b_m + k * (f_m_dot + diag_m * m_i)) / (1 + k * diag_m)
        state["energy"] = -f_m - np.dot(w, fp)
        state["eps"] = _energy_split(params, m_i, w, c_row, self.linear)
        return np.concatenate([c_new, x_new, [m_new, mu_next]])

    def advance_row(self, i: int) -> None:
        far = i - self.Kb
        # initial guess: quadratic extrapolation along each column (geometric for m)
        guess_c = 3 * self.C[i - 1, :i] - 3 * self.C[i - 2, :i] + self.C[i - 3, :i]
        guess_x = 3 * self.X[i - 1, :far] - 3 * self.X[i - 2, :far] + self.X[i - 3, :far]
        ratio = self.m[i - 1] / self.m[i - 2] if self.m[i - 2] != 0 else 1.0
        guess_m = self.m[i - 1] * ratio if ratio > 0 else self.m[i - 1]
        guess_mu = 3 * self.mu[i - 1] - 3 * self.mu[i - 2] + self.mu[i - 3]
        y = np.concatenate([guess_c, guess_x, [guess_m, guess_mu]])
        state: dict = {}
        scale = 1.0 + np.abs(y)  # iterations work on y/scale: m may be huge in linear mode
        evaluations = [0]

        def residual(z):
            evaluations[0] += 1
            g = self._row_map(i, z * scale, state)
            if not np.all(np.isfinite(g)):
                raise DynamicsBlowUp(f"non-finite values at t = {self.time_of(i):g} (window step h = {self.h:g})")
            return g / scale - z

        z = y / scale
        r = residual(z)
        mixer = _AndersonMixer()
        for _ in range(self.ANDERSON_ITERATIONS):
            if np.max(np.abs(r)) < self.TOLERANCE:
                break
            z_next = mixer.next(z, z + r)
            r_next = residual(z_next)
            if np.max(np.abs(r_next)) > np.max(np.abs(r)) * 10:
                break  # diverging: leave it to Newton from the better point
            z, r = z_next, r_next
        newton_steps = 0
        while np.max(np.abs(r)) >= self.TOLERANCE:
            newton_steps += 1
            if newton_steps > self.MAX_NEWTON_STEPS:
                if np.max(np.abs(r)) < self.ACCEPTABLE:
                    break  # finite-difference Jacobians stall near 1e-9 late in long runs
                raise DynamicsBlowUp(
                    f"row at t = {self.time_of(i):g} did not converge (residual {np.max(np.abs(r)):.2e}, "
                    f"window step h = {self.h:g}); increase the resolution"
                )
            z, r = self._newton_step(z, r, residual)
        g = (z + r) * scale
        self.max_iterations_used = max(self.max_iterations_used, evaluations[0])
        self._row_map(i, g, state)  # store the converged row consistently
        self.mu[i] = g[-1]
        self.m[i] = g[-2]
        self.energy[i] = state["energy"]
        self.eps[i] = state["eps"]
        self.bands[i] = _Band(state["rho"], state["psi"])
        self.bands.pop(i - 5, None)
        self._store_xh(i)
        log_ratio = math.nan
        if self.linear:
            if abs(self.m[i]) > _RESCALE_ABOVE:
                self.m[: i + 1] /= _RESCALE_ABOVE
                self.scale += math.log(_RESCALE_ABOVE)
            log_ratio = math.log(abs(self.m[i])) + self.scale
        self.max_abs_c = max(self.max_abs_c, float(np.max(np.abs(self.C[i, :i]))))
        self._record(i, log_ratio)

    def _local_growth(self, i: int) -> float:
        """κ = d log m/dt over the last step (0 if m changed sign).

        In m0 → 0⁺ runs m grows like e^{λt} without end, and in full runs from small m0 for
        the whole approach to the escape (theory.md §C.3), with λh ~ 0.1 at the window steps
        there: linear interpolation of m between grid points loses (λh)²/8 of the m memory at
        every step. So the m memory and the m step are written for m = e^{κt}·(linear), exact
        for pure exponentials and still second order (and the plain rules) once m saturates
        and κ -> 0. Full runs use it only where |κ|h >= GROWTH_FIT_MIN (the fitted far cells
        take R constant in each cell). Measured effects: docs/dynamics.md section 3.
        """
        a, b = self.m[i - 1], self.m[i - 2]
        if a * b <= 0:
            return 0.0
        return float(np.clip(math.log(a / b) / self.h, -2.0 / self.h, 2.0 / self.h))

    def _overlap_weights(self, i, kappa, rho, slope, x_row, w):
        """Nodal weights ŵ_s with ∫_0^{t_i} R(t_i,s) g(s) m(s) ds ≈ Σ_s ŵ_s g_s m_s, m = e^{κs}·(linear).

        κ = 0 gives the ordinary weights w. Otherwise band cells integrate ρ(τ) against the two
        interpolation shapes on the sub-grid (Hermite-corrected trapezoid, ρ' known); far cells
        take R ≈ ΔX/h in the cell and integrate the shapes exactly.
        """
        if kappa == 0.0:
            return w
        h, Kb = self.h, self.Kb
        tau = self.stencils.tau
        out = np.zeros(i + 1)
        x = kappa * h
        phi_left = (math.exp(x) - 1 - x) / x**2  # ∫_0^1 e^{xv}(1-v) dv
        phi_right = (x - 1 + math.exp(-x)) / x**2  # ∫_0^1 e^{-x(1-v)} v dv
        far = i - Kb
        d_x = x_row[:far] - x_row[1 : far + 1]  # cells 1..far
        out[:far] += d_x * phi_left
        out[1 : far + 1] += d_x * phi_right
        q = self.band_cell + 1  # cell of each sub-interval; node i-q at lag q h, node i-q+1 at (q-1) h
        low, high = (q - 1) * h, q * h
        total_far = np.zeros(q.size)
        total_near = np.zeros(q.size)
        for end, sign in ((tau[:-1], 1.0), (tau[1:], -1.0)):
            index = slice(0, -1) if sign > 0 else slice(1, None)
            r, dr = rho[index], slope[index]
            e_far = np.exp(kappa * (high - end))
            e_near = np.exp(-kappa * (end - low))
            g_far = r * e_far * (end - low) / h
            g_near = r * e_near * (high - end) / h
            dg_far = dr * e_far * (end - low) / h + r * e_far * (1 - kappa * (end - low)) / h
            dg_near = dr * e_near * (high - end) / h - r * e_near * (1 + kappa * (high - end)) / h
            step = tau[1:] - tau[:-1]
            total_far += 0.5 * step * g_far + sign * step**2 / 12 * dg_far
            total_near += 0.5 * step * g_near + sign * step**2 / 12 * dg_near
        np.add.at(out, i - q, total_far)
        np.add.at(out, i - q + 1, total_near)
        return out

    @staticmethod
    def _newton_step(z, r, residual):
        """One Jacobian-free Newton-GMRES step on residual(z) = G(z) - z (finite differences)."""
        from scipy.sparse.linalg import LinearOperator, gmres

        def jacobian_times(v):
            norm = np.linalg.norm(v)
            if norm == 0:
                return np.zeros_like(v)
            epsilon = 1e-7 / norm
            return (residual(z + epsilon * v) - r) / epsilon

        operator = LinearOperator((z.size, z.size), matvec=jacobian_times, dtype=float)
        dz, _ = gmres(operator, -r, rtol=1e-3, restart=80, maxiter=1)
        size = np.max(np.abs(r))
        for _ in range(6):  # backtracking: accept the first step that reduces the residual
            z_new = z + dz
            r_new = residual(z_new)
            if np.max(np.abs(r_new)) < size:
                break
            dz = 0.5 * dz
        return z_new, r_new

    def two_time_snapshot(self) -> dict | None:
        """C and χ on the current window (rows filled so far)."""
        if not self.out:
            return None
        filled = self.filled + 1
        return {"t": np.arange(filled) * self.h, "C": self.C[:filled, :filled].copy(), "chi": self.X[:filled, :filled].copy()}

    def _store_xh(self, l: int) -> None:
        """Xh[l, q]: average over s in [t_{l-1}, t_l] of χ(s, t_{l-q}) from the band of row l."""
        st, h = self.stencils, self.h
        psi_now = self.bands[l].psi
        psi1, psi2 = self.bands[l - 1].psi, self.bands[l - 2].psi
        d1 = (3 * psi_now - 4 * psi1 + psi2) / (2 * h)
        d2 = (psi_now - 2 * psi1 + psi2) / h**2
        rho = self.bands[l].rho
        tau = st.tau
        for q in range(1, self.Kb + 1):
            a, b = st.coarse[q - 1], st.coarse[q]
            seg = tau[a : b + 1]
            back = q * h - seg  # time offset t_l - s along the characteristic
            main = _cumulative_hermite(seg, psi_now[a : b + 1], rho[a : b + 1])[-1]
            drift = _cumulative_trapezoid(seg, -back * d1[a : b + 1] + 0.5 * back**2 * d2[a : b + 1])[-1]
            self.Xh[l, q] = (main + drift) / h


def _doubling_settings(resolution: float) -> dict:
    """Window, band and sub-grid of the doubling scheme at a resolution level (1 = default).

    Doubling the level halves every length of the discretisation (window step, band sub-grid,
    smallest lag step), which is what the error estimate assumes.
    """
    window = 2 * max(16, int(round(128 * resolution)))
    return {
        "window": window,
        "band_cells": max(4, int(round(16 * resolution))),
        "delta_min": 0.01 / resolution,
        "eta": 1.0 / (16 * resolution),
        "band_span": 40.0,
        "escape_bound": 0.002 / resolution,
    }


def _run_doubling(params, m0, t_max, resolution, linear):
    """Columns (t, m, mu, energy, eps2, epsp, log_m_ratio), diagnostics and failure message.

    The run ends at the first row at or after t_max (rows are the window's grid points).
    """
    settings = _doubling_settings(resolution)
    solver = _DoublingSolver(params, m0, linear=linear, **settings)
    failure = None
    try:
        solver.start()
        while solver.time_of(solver.filled) < t_max * (1 - 1e-12):
            if solver.filled == solver.capacity:
                solver.make_room()
            else:
                solver.advance_row(solver.filled + 1)
                solver.filled += 1
    except DynamicsBlowUp as exc:
        failure = str(exc)
    columns = np.array(solver.out).T if solver.out else np.zeros((7, 0))
    if linear:
        columns[1] = np.nan  # m is stored rescaled; log_m_ratio carries it
    info = {
        **settings,
        "max_row_evaluations": solver.max_iterations_used,
        "max_abs_c": solver.max_abs_c,
        "final_step": getattr(solver, "h", settings["delta_min"]),
        "final_band_cells": solver.Kb,
        "final_capacity": solver.capacity,
        "two_time": solver.two_time_snapshot(),
    }
    return columns, info, failure


def _run_uniform(params, m0, t_max, step, temperature, linear, keep_two_time):
    """Same outputs as :func:`_run_doubling` for the uniform reference scheme."""
    n_steps = int(round(t_max / step))
    if n_steps < 2 or abs(n_steps * step - t_max) > 1e-9 * t_max:
        raise ParameterError(f"t_max = {t_max:g} must be a multiple (>= 2) of the step {step:g}")
    failure = None
    try:
        m, log_ratio, mu, energy, e2, ep, C, R = _solve_uniform(params, m0, n_steps, step, temperature, linear)
        count = n_steps + 1
    except DynamicsBlowUp as exc:
        failure = str(exc)
        return np.zeros((7, 0)), {"step": step}, failure
    t = np.arange(count) * step
    columns = np.array([t, m if not linear else np.full(count, np.nan), mu, energy, e2, ep, log_ratio])
    info = {"step": step, "max_abs_c": float(np.max(np.abs(C))), "two_time": None}
    if keep_two_time:
        rows = np.arange(count)
        lower = rows[:, None] >= rows[None, :]
        full_c = np.zeros((count, count))
        full_r = np.zeros((count, count))
        full_c[lower] = C
        full_r[lower] = R
        info["two_time"] = {"t": t, "C": full_c, "R": full_r}
    return columns, info, failure


def _match_times(fine_t: np.ndarray, coarse_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fine, coarse) of the times both grids share (the coarse grid is nested)."""
    unit = np.min(np.diff(fine_t)) / 4
    fine_keys = {int(round(t / unit)): k for k, t in enumerate(fine_t)}
    pairs = [(fine_keys[key], k) for k, t in enumerate(coarse_t) if (key := int(round(t / unit))) in fine_keys]
    if not pairs:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    fine_idx, coarse_idx = np.array(pairs).T
    return fine_idx, coarse_idx


def _monitors(params: ModelParams, columns: np.ndarray, temperature: float, info: dict) -> dict:
    t, m, mu, energy, e2, ep, _ = columns
    increase = float(np.max(np.diff(energy), initial=0.0))
    return {
        "energy_increase": max(0.0, increase),
        "c_bound_violation": max(0.0, info.get("max_abs_c", 1.0) - 1.0),
        "mu_identity_residual": float(np.max(np.abs(mu - (temperature - 2 * e2 - params.p * ep)), initial=0.0)),
    }


def _run_level(method, params, m0, t_max, step, temperature, linear, keep_two_time, level):
    """One run of either scheme at a resolution level (the step is ``step / level`` on the uniform grid)."""
    if method == "doubling":
        return _run_doubling(params, m0, t_max, level, linear)
    return _run_uniform(params, m0, t_max, step / level, temperature, linear, keep_two_time)


def solve_chsck(
    params: ModelParams,
    t_max: float,
    m0: float = 1e-10,
    *,
    method: str = "doubling",
    resolution: float = 1.0,
    step: float = 0.02,
    temperature: float = 0.0,
    linear: bool = False,
    error_estimate: bool = True,
    m_tol: float | None = None,
    max_resolution: float = 4.0,
    keep_two_time: bool = False,
    workers: int = 1,
) -> DynamicsResult:
    """Solve the CHSCK equations of theory.md §C.1 from m(0) = m0 up to t_max.

    ``method="doubling"`` (long times; T = 0 only) at ``resolution`` (1 = window of 256 points,
    band of 16 cells; every length scales as 1/resolution), or ``method="uniform"`` (reference
    scheme, any T >= 0) with time step ``step``. With ``error_estimate`` the run is repeated at
    half the resolution (twice the step) and the solution is returned on the grid the two runs
    share, with m_error = |m - m_half|/3 (Richardson for a second-order scheme). ``m_tol``
    (absolute, on m) makes the solver double the resolution (halve the step) until max m_error
    <= m_tol or the resolution would pass ``max_resolution``; status 1 if the tolerance was not
    met.
    ``linear=True`` solves the m0 -> 0+ limit (theory.md §C.3; m0 is ignored and log_m_ratio
    = log(m/m0) is returned; m and m_error are NaN, the error estimate applies to log_m_ratio).
    A blow-up or a row that does not converge gives status 1, a message and the solution up to
    there. ``keep_two_time`` adds C and R (uniform: whole grid) or C and χ (doubling: last
    window) in ``two_time``. ``workers=2`` runs the half-resolution run in a second process
    (fork) at the same time as the main one: the error estimate then costs no extra wall time
    on two cores (each process runs single-threaded numba/BLAS as configured by the caller).
    """
    _check_arguments(params, m0, t_max, temperature, linear)
    if method not in ("doubling", "uniform"):
        raise ParameterError(f"method must be 'doubling' or 'uniform', got {method!r}")
    if method == "doubling" and temperature != 0.0:
        raise ParameterError("the doubling scheme is written for T = 0 (gradient flow); use method='uniform' for T > 0")
    if not (math.isfinite(resolution) and resolution > 0 and math.isfinite(step) and step > 0):
        raise ParameterError(f"resolution and step must be finite and > 0, got {resolution!r}, {step!r}")
    if m_tol is not None and not (m_tol > 0):
        raise ParameterError(f"m_tol must be > 0, got {m_tol!r}")
    if m_tol is not None and not (math.isfinite(max_resolution) and max_resolution > 0):
        raise ParameterError(f"max_resolution must be finite and > 0, got {max_resolution!r}")
    if workers not in (1, 2):
        raise ParameterError(f"workers must be 1 or 2, got {workers!r}")
    estimate = error_estimate or m_tol is not None
    _check_cost(method, t_max, resolution, step, linear, estimate, m_tol, max_resolution, workers, keep_two_time)

    run = partial(_run_level, method, params, m0, t_max, step, temperature, linear, keep_two_time)
    level = resolution if method == "doubling" else 1.0
    while True:
        if estimate and workers == 2:
            with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
                coarse_run = pool.submit(run, level / 2)
                columns, info, failure = run(level)
                coarse_columns, _, coarse_failure = coarse_run.result()
        else:
            columns, info, failure = run(level)
            if failure is None and estimate:
                coarse_columns, _, coarse_failure = run(level / 2)
        m_error = np.full(columns.shape[1], np.nan)
        if failure is None and estimate:
            if coarse_failure is not None:
                failure = f"half-resolution run for the error estimate failed: {coarse_failure}"
            else:
                fine_idx, coarse_idx = _match_times(columns[0], coarse_columns[0])
                value = 6 if linear else 1
                m_error = np.abs(columns[value, fine_idx] - coarse_columns[value, coarse_idx]) / 3.0
                columns = columns[:, fine_idx]
        within = m_tol is None or (failure is None and np.nanmax(m_error, initial=0.0) <= m_tol)
        if within or failure is not None or 2 * level > max_resolution:
            break
        level *= 2
    status, message = 0, "ok"
    if failure is not None:
        status, message = 1, failure
    elif not within:
        status, message = 1, f"m_tol = {m_tol:g} not reached (max m_error {np.nanmax(m_error):.2e}) at level {level:g}"
    resolution_info = {"method": method, "level": level}
    resolution_info.update({k: v for k, v in info.items() if k != "two_time"})
    return DynamicsResult(
        t=columns[0],
        m=columns[1],
        mu=columns[2],
        energy=columns[3],
        m_error=m_error,
        log_m_ratio=columns[6] if linear else None,
        method=method,
        resolution=resolution_info,
        status=status,
        message=message,
        monitors=_monitors(params, columns, temperature, info),
        two_time=info.get("two_time") if keep_two_time else None,
    )
