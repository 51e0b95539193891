"""Tuning knobs of the CHSCK solvers, each named with its meaning (docs/dynamics.md section 2).

:func:`doubling_settings` gives the resolution-dependent ones of the doubling scheme (every
length scales as 1/resolution); the fixed constants follow it.
"""

from __future__ import annotations

#: numba fastmath flags of the compiled loops: sums may be reordered and multiply-adds fused
#: (bitwise results can differ between CPUs).
_FAST = {"reassoc", "contract"}

#: Renormalisation of the linearised overlap history once it exceeds this (log of it is kept).
_RESCALE_ABOVE = 1e150

#: an escape hold grows the window to at most this many times N rows
HOLD_LIMIT = 8


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
