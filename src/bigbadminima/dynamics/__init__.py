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
from functools import partial

import numpy as np

from ..params import ModelParams, ParameterError
from .band import _band_grid, _band_march, _BandStencils
from .doubling import _DoublingSolver, _run_doubling
from .guards import (
    MAX_DOUBLINGS,
    MAX_MEMORY_BYTES,
    MAX_UNIFORM_STEPS,
    MIN_DOUBLING_RESOLUTION,
    _check_arguments,
    _check_cost,
    _doubling_cost,
)
from .quadrature import (
    _corrected_trapezoid,
    _cumulative_hermite,
    _cumulative_trapezoid,
    _fd_weights,
    _interpolate_cubic,
    _interpolation_matrix,
    _lagrange_stencils,
)
from .result import DynamicsBlowUp, DynamicsResult
from .settings import _doubling_settings
from .uniform import _memory_sums, _run_uniform

__all__ = ["DynamicsBlowUp", "DynamicsResult", "solve_chsck"]

#: names the tests and the cost guards' users read from the package (re-exported)
_REEXPORTED = (
    MAX_DOUBLINGS, MAX_MEMORY_BYTES, MAX_UNIFORM_STEPS, MIN_DOUBLING_RESOLUTION, _doubling_cost,
    _corrected_trapezoid, _fd_weights, _interpolation_matrix, _lagrange_stencils, _memory_sums,
    _band_grid, _BandStencils, _band_march, _DoublingSolver, _doubling_settings, _cumulative_hermite,
    _cumulative_trapezoid, _interpolate_cubic,
)

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
