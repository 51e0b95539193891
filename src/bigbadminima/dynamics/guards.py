"""Argument checks and cost guards of :func:`~bigbadminima.dynamics.solve_chsck` (issue 11 item 7).

A run is refused up front, with the numbers, if its work or memory would pass the bounds below.
"""

from __future__ import annotations

import math

from ..params import ModelParams, ParameterError
from .settings import HOLD_LIMIT, _doubling_settings

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
    capacity = window if linear else HOLD_LIMIT * window
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
