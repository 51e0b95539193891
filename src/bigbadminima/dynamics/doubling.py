"""The long-time scheme: a Kim-Latz window whose step doubles, with a near-diagonal band (T = 0).

The solver combines the window (window.py), the band (band.py), the row equations (row.py) and
the hold / compress policy (policy.py); :func:`_run_doubling` runs it to t_max.
"""

from __future__ import annotations

import math

import numpy as np

from ..params import ParameterError
from .band import _Band, _BandRowsMixin
from .base import Scheme
from .nonlinear import _solve_row
from .policy import _PolicyMixin
from .result import DynamicsBlowUp, Trajectory
from .row import _RowMixin, _RowState
from .settings import HOLD_LIMIT, _doubling_settings
from .window import _WindowMixin


class _DoublingSolver(_WindowMixin, _BandRowsMixin, _RowMixin, _PolicyMixin, Scheme):
    """Kim-Latz window with near-diagonal band, T = 0 (docs/dynamics.md section 1).

    The window arrays (C, X, Xv, Xh, W) are described in :mod:`.window`; :meth:`step` makes room
    at a full window (:class:`~.policy._PolicyMixin`) or computes the next row.
    """

    def __init__(self, params, m0, window, band_cells, delta_min, eta, linear, band_span=math.inf,
                 escape_bound=math.inf, hold_limit=HOLD_LIMIT):
        if window % 2 or window < 8 * band_cells:
            raise ParameterError(f"window must be even and >= 8 band_cells, got {window}, {band_cells}")
        self.params = params
        self.linear = linear
        self.m0 = m0
        self.rows = window  # nominal rows N of the window (a hold grows the capacity past it)
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

    def _initial_guess(self, i: int) -> np.ndarray:
        """Quadratic extrapolation along each column (geometric for m) of row i's unknowns."""
        far = i - self.Kb
        guess_c = 3 * self.C[i - 1, :i] - 3 * self.C[i - 2, :i] + self.C[i - 3, :i]
        guess_x = 3 * self.X[i - 1, :far] - 3 * self.X[i - 2, :far] + self.X[i - 3, :far]
        ratio = self.m[i - 1] / self.m[i - 2] if self.m[i - 2] != 0 else 1.0
        guess_m = self.m[i - 1] * ratio if ratio > 0 else self.m[i - 1]
        guess_mu = 3 * self.mu[i - 1] - 3 * self.mu[i - 2] + self.mu[i - 3]
        return np.concatenate([guess_c, guess_x, [guess_m, guess_mu]])

    def advance_row(self, i: int) -> None:
        """Compute and commit row i: the fixed point of :meth:`_row_map` from the extrapolated guess."""
        y = self._initial_guess(i)
        state = _RowState()
        scale = 1.0 + np.abs(y)  # iterations work on y/scale: m may be huge in linear mode
        evaluations = [0]

        def residual(z):
            evaluations[0] += 1
            g = self._row_map(i, z * scale, state)
            if not np.all(np.isfinite(g)):
                raise DynamicsBlowUp(f"non-finite values at t = {self.time_of(i):g} (window step h = {self.h:g})")
            return g / scale - z

        z, r, converged = _solve_row(residual, y / scale)
        if not converged:
            raise DynamicsBlowUp(
                f"row at t = {self.time_of(i):g} did not converge (residual {np.max(np.abs(r)):.2e}, "
                f"window step h = {self.h:g}); increase the resolution"
            )
        g = (z + r) * scale
        self.max_iterations_used = max(self.max_iterations_used, evaluations[0])
        self._store_row(i, g, state)  # the window holds the converged row, not the last one swept
        self._commit_row(i, g, state)

    @property
    def t(self) -> float:
        return self.time_of(self.filled)

    def step(self) -> None:
        """One step of the scheme: make room at a full window, else compute the next row."""
        if self.filled == self.capacity:
            self.make_room()
        else:
            self.advance_row(self.filled + 1)
            self.filled += 1


def _run_doubling(params, m0, t_max, resolution, linear):
    """The :class:`Trajectory`, diagnostics and failure message (None if it finished).

    The run ends at the first row at or after t_max (rows are the window's grid points).
    """
    settings = _doubling_settings(resolution)
    solver = _DoublingSolver(params, m0, linear=linear, **settings)
    failure = None if solver.run(t_max) else solver.message
    run = Trajectory(*np.array(solver.out).T) if solver.out else Trajectory.empty()
    if linear:
        run.m[:] = np.nan  # m is stored rescaled; log_m_ratio carries it
    info = {
        **settings,
        "max_row_evaluations": solver.max_iterations_used,
        "max_abs_c": solver.max_abs_c,
        "final_step": getattr(solver, "h", settings["delta_min"]),
        "final_band_cells": solver.Kb,
        "final_capacity": solver.capacity,
        "two_time": solver.two_time_snapshot(),
    }
    return run, info, failure
