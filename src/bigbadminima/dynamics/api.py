"""The solver's entry point: :func:`solve_chsck`, the scheme registry :data:`METHODS`, the error estimate."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

from ..params import ModelParams, ParameterError
from .doubling import _run_doubling
from .guards import _check_arguments, _check_cost
from .result import DynamicsResult, Trajectory
from .uniform import _run_uniform


def _doubling_level(params, m0, t_max, step, temperature, linear, keep_two_time, level):
    """The doubling scheme at resolution ``level`` (T = 0; step and keep_two_time do not apply)."""
    return _run_doubling(params, m0, t_max, level, linear)


def _uniform_level(params, m0, t_max, step, temperature, linear, keep_two_time, level):
    """The uniform scheme at step ``step / level``."""
    return _run_uniform(params, m0, t_max, step / level, temperature, linear, keep_two_time)


#: The schemes by name: each runs one level and returns (its Trajectory, diagnostics, failure
#: message or None).
METHODS = {"doubling": _doubling_level, "uniform": _uniform_level}


def _match_times(fine_t: np.ndarray, coarse_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices (fine, coarse) of the times both grids share (the coarse grid is nested)."""
    unit = np.min(np.diff(fine_t)) / 4
    fine_keys = {int(round(t / unit)): k for k, t in enumerate(fine_t)}
    pairs = [(fine_keys[key], k) for k, t in enumerate(coarse_t) if (key := int(round(t / unit))) in fine_keys]
    if not pairs:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    fine_idx, coarse_idx = np.array(pairs).T
    return fine_idx, coarse_idx


def _monitors(params: ModelParams, run: Trajectory, temperature: float, info: dict) -> dict:
    mu, energy, e2, ep = run.mu, run.energy, run.eps2, run.epsp
    increase = float(np.max(np.diff(energy), initial=0.0))
    return {
        "energy_increase": max(0.0, increase),
        "c_bound_violation": max(0.0, info.get("max_abs_c", 1.0) - 1.0),
        "mu_identity_residual": float(np.max(np.abs(mu - (temperature - 2 * e2 - params.p * ep)), initial=0.0)),
    }


def _run_level(method, params, m0, t_max, step, temperature, linear, keep_two_time, level):
    """One run of either scheme at a resolution level (the step is ``step / level`` on the uniform grid)."""
    return METHODS[method](params, m0, t_max, step, temperature, linear, keep_two_time, level)


def _check_options(params, t_max, m0, method, resolution, step, temperature, linear, error_estimate, m_tol,
                   max_resolution, keep_two_time, workers) -> bool:
    """Refuse bad arguments and runs over the cost bounds; return whether the error estimate runs."""
    _check_arguments(params, m0, t_max, temperature, linear)
    if method not in METHODS:
        raise ParameterError(f"method must be {' or '.join(map(repr, METHODS))}, got {method!r}")
    if method == "doubling" and temperature != 0.0:
        raise ParameterError("the doubling scheme is written for T = 0 (gradient flow; why: docs/dynamics.md "
                             "section 1); use method='uniform' for T > 0")
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
    return estimate


def _run_pass(run, level: float, estimate: bool, workers: int, linear: bool):
    """One pass at ``level``: the run and, with the estimate, its half-resolution partner (in a
    second process with workers=2); the run's Trajectory on the grid both share, m_error = |m - m_half|/3
    (Richardson for a second-order scheme; on log_m_ratio in linear mode) and the failure."""
    if estimate and workers == 2:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
            coarse_run = pool.submit(run, level / 2)
            fine, info, failure = run(level)
            coarse, _, coarse_failure = coarse_run.result()
    else:
        fine, info, failure = run(level)
        if failure is None and estimate:
            coarse, _, coarse_failure = run(level / 2)
    m_error = np.full(len(fine), np.nan)
    if failure is None and estimate:
        if coarse_failure is not None:
            failure = f"half-resolution run for the error estimate failed: {coarse_failure}"
        else:
            fine_idx, coarse_idx = _match_times(fine.t, coarse.t)
            value = "log_m_ratio" if linear else "m"
            m_error = np.abs(getattr(fine, value)[fine_idx] - getattr(coarse, value)[coarse_idx]) / 3.0
            fine = fine.take(fine_idx)
    return fine, info, failure, m_error


def _make_result(params, method, level, run, info, failure, m_error, within, m_tol, temperature, linear,
                 keep_two_time) -> DynamicsResult:
    """The :class:`DynamicsResult` of the last pass: status and message, resolution info, monitors."""
    status, message = 0, "ok"
    if failure is not None:
        status, message = 1, failure
    elif not within:
        status, message = 1, f"m_tol = {m_tol:g} not reached (max m_error {np.nanmax(m_error):.2e}) at level {level:g}"
    resolution_info = {"method": method, "level": level}
    resolution_info.update({k: v for k, v in info.items() if k != "two_time"})
    return DynamicsResult(
        t=run.t,
        m=run.m,
        mu=run.mu,
        energy=run.energy,
        m_error=m_error,
        log_m_ratio=run.log_m_ratio if linear else None,
        method=method,
        resolution=resolution_info,
        status=status,
        message=message,
        monitors=_monitors(params, run, temperature, info),
        two_time=info.get("two_time") if keep_two_time else None,
    )


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
    window; its columns t' inside an escape lose accuracy at every compression, measured up to
    1.7e-2, while m, μ, ε do not: docs/dynamics.md section 3) in ``two_time``. ``workers=2`` runs
    the half-resolution run in a second process (fork) at the same time as the main one: the
    error estimate then costs no extra wall time on two cores (each process runs single-threaded
    numba/BLAS as configured by the caller).
    """
    estimate = _check_options(params, t_max, m0, method, resolution, step, temperature, linear, error_estimate,
                              m_tol, max_resolution, keep_two_time, workers)
    run = partial(_run_level, method, params, m0, t_max, step, temperature, linear, keep_two_time)
    level = resolution if method == "doubling" else 1.0
    while True:
        trajectory, info, failure, m_error = _run_pass(run, level, estimate, workers, linear)
        within = m_tol is None or (failure is None and np.nanmax(m_error, initial=0.0) <= m_tol)
        if within or failure is not None or 2 * level > max_resolution:
            break
        level *= 2
    return _make_result(params, method, level, trajectory, info, failure, m_error, within, m_tol, temperature,
                        linear, keep_two_time)
