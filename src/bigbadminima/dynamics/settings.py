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

# --- one row: the nonlinear solve (nonlinear.py) -----------------------------------------
#: a row is converged when max |residual| (on y/(1+|y|)) is below this
TOLERANCE = 1e-10
#: accepted when Newton stalls: 1e-8 relative on a row is far below the discretisation error
#: (finite-difference Jacobians stall near 1e-9 late in long runs)
ACCEPTABLE = 1e-8
#: Anderson sweeps before Newton-GMRES
ANDERSON_ITERATIONS = 12
#: history kept by the Anderson mixer
ANDERSON_DEPTH = 5
#: an Anderson iterate whose residual grows by this factor ends the sweeps (Newton takes over)
ANDERSON_DIVERGENCE = 10
#: Newton-GMRES steps before giving up ("increase the resolution")
MAX_NEWTON_STEPS = 8
#: GMRES of one Newton step: relative tolerance, restart length, outer iterations
GMRES_RTOL = 1e-3
GMRES_RESTART = 80
GMRES_MAXITER = 1
#: finite-difference step of the Jacobian-vector product, over |v|
JACOBIAN_STEP = 1e-7
#: backtracking halvings of a Newton step
BACKTRACK_HALVINGS = 6
#: relative finite-difference step of dres/dμ (measured once per row): MU_STEP·(1 + |μ|)
MU_STEP = 1e-6

# --- band (band.py, policy.py) ------------------------------------------------------------
#: the band keeps at least this many cells when its span is capped (BDF2 χ columns start beyond it)
MIN_BAND_CELLS = 4
#: rows whose band profiles are kept (drift along the diagonal, compression, widening)
KEPT_BANDS = 5
#: a hold widens the band to at most N / BAND_WIDEST cells
BAND_WIDEST = 8

# --- overlap (row.py) ---------------------------------------------------------------------
#: full runs fit the m quadrature to e^{κt} only where |κ|h exceeds this (see _local_growth)
GROWTH_FIT_MIN = 0.01
#: the fitted growth rate κ is clipped to ±KAPPA_CLIP / h
KAPPA_CLIP = 2.0

# --- escape hold (policy.py) --------------------------------------------------------------
#: the escape hold looks this many times the current time ahead (docs/dynamics.md, "escape hold")
HOLD_HORIZON = 4.0
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
