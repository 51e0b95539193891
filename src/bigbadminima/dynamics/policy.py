"""Decisions of the doubling scheme at a full window: hold the step, compress, widen the band.

The pure functions decide from the window's state (docs/dynamics.md section 1, "escape hold",
"band span"); :class:`_PolicyMixin` applies them to the solver.
"""

from __future__ import annotations

import math

from .settings import BAND_WIDEST, HOLD_HORIZON, MIN_BAND_CELLS


def _escape_ahead(m1: float, m2: float, h: float, t: float, escape_bound: float) -> bool:
    """Whether 2h·|dm/dt| > escape_bound, m1 = m(t), m2 = m(t - h).

    |dm/dt| is the larger of its present value |m1 - m2|/h and the one predicted by
    extrapolating the growth rate λ = log(m1/m2)/h over HOLD_HORIZON·t: λ·min(|m1| e^{λ·HOLD_HORIZON·t}, 1).
    """
    rate = abs(m1 - m2) / h
    growth = math.log(m1 / m2) / h if m1 * m2 > 0 else 0.0
    predicted = 0.0
    if growth > 0:
        exponent = min(growth * HOLD_HORIZON * t, 700.0)  # e^700: no overflow, m capped at 1 anyway
        predicted = growth * min(abs(m1) * math.exp(exponent), 1.0)
    return 2 * h * max(rate, predicted) > escape_bound


def _widen_band_now(band_cells: int, h: float, t: float, band_cells0: int, window: int) -> bool:
    """During a hold: double the band while its span Kb·h lags t·Kb0/N and 2Kb <= N/BAND_WIDEST."""
    return band_cells * h < t * band_cells0 / window and 2 * band_cells <= window // BAND_WIDEST


def _band_cells_after_compression(band_cells: int, h: float, band_span: float) -> int:
    """Kb after a compression at step h -> 2h: halved while the span 2h·Kb passes band_span and
    Kb/2 >= MIN_BAND_CELLS (the kept bands then cover the new band exactly)."""
    return band_cells // 2 if (band_cells * 2 * h > band_span and band_cells // 2 >= MIN_BAND_CELLS) else band_cells


class _PolicyMixin:
    """At a full window: hold the step through an escape (grow the window) or compress."""

    def make_room(self) -> None:
        """At a full window: hold the step through an escape (grow the window) or compress."""
        if self._hold():
            self.capacity += self.rows // 2
            self._resize(self.capacity)
            if _widen_band_now(self.Kb, self.h, self.time_of(self.filled), self.Kb0, self.rows):
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
            or self.in_first_window  # the first window (step δ_min) always compresses
            or self.capacity + self.rows // 2 > self.hold_limit * self.rows
        ):
            return False
        return _escape_ahead(self.m[i], self.m[i - 1], h, self.time_of(i), self.escape_bound)
