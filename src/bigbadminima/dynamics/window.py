"""The doubling scheme's window: storage, the first window, resize, compression, row commits.

Window arrays (index = time index in the window, t_k = k h):
C[i, j]  symmetric; X[i, j] = χ(t_i, t_j) for j <= i; Xv[i, l] = (1/h)∫_cell l χ(t_i, s) ds;
Xh[l, q] = (1/h)∫_{t_{l-1}}^{t_l} χ(s, t_{l-q}) ds for q <= band_cells;
W[i, s] nodal weights with ∫_0^{t_i} R(t_i, s) g(s) ds ≈ Σ_s W[i, s] g(t_s), exact for g
linear in each cell (first moments of R from Xv: ∫_cell R (s - t_{l-1})/h = Xv - X).
A compression keeps every other row and column and merges cells exactly (mass and first moment).
"""

from __future__ import annotations

import math

import numpy as np

from .band import _Band
from .policy import _band_cells_after_compression
from .settings import _RESCALE_ABOVE, KEPT_BANDS
from .uniform import _uniform_run


class _WindowMixin:
    """Window storage and compression of :class:`~bigbadminima.dynamics.doubling._DoublingSolver`."""

    def start(self) -> None:
        N, h = self.rows, self.delta_min
        first = _uniform_run(self.params, self.m0, N, h, 0.0, self.linear)
        Cp, Rp = first.C, first.R
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
        self.m[:] = first.m
        self.mu[:] = first.mu
        self.energy[:] = first.energy
        self.eps[:, 0], self.eps[:, 1] = first.eps2, first.epsp
        for i in range(N + 1):
            self._record(i, first.log_m_ratio[i] if self.linear else math.nan)
        self._fine_response = R  # used once, to seed the bands after the first compression
        for i in range(N + 1):
            self.W[i, : i + 1] = self._weights(i)
        self.filled = N

    def _record(self, i: int, log_ratio: float) -> None:
        self.out.append(
            (self.time_of(i), self.m[i], self.mu[i], self.energy[i], self.eps[i, 0], self.eps[i, 1], log_ratio)
        )

    @property
    def in_first_window(self) -> bool:
        """Whether the window is still the first one (step δ_min; its fine R seeds the first bands)."""
        return self._fine_response is not None

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
        filled, half, Kb = self.filled, self.filled // 2, self.Kb
        # the band's lag span Kb·h stays at most band_span while it can: halving Kb keeps the
        # kept bands covering exactly the new band (docs/dynamics.md section 1, "band span")
        new_kb = _band_cells_after_compression(Kb, self.h, self.band_span)
        old_X = self.X.copy()
        first_cell = self._first_cell_integrals(half)
        even = np.arange(0, filled + 1, 2)
        old_h = self.h
        # bands of the rows that stay needed: old filled, filled-2, filled-4 -> new half, half-1, half-2
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
        self.capacity = max(self.rows, half)
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
        """Effective centroid of R in the merged first cell [0, h] (docs/dynamics.md section 1, "initial layer").

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

    def two_time_snapshot(self) -> dict | None:
        """C and χ on the current window (rows filled so far)."""
        if not self.out:
            return None
        filled = self.filled + 1
        return {"t": np.arange(filled) * self.h, "C": self.C[:filled, :filled].copy(), "chi": self.X[:filled, :filled].copy()}

    def _commit_row(self, i: int, g: np.ndarray, state) -> None:
        """Store the converged row i (μ, m, energy, band, Xh, output): the one place a row is committed."""
        self.mu[i] = g[-1]
        self.m[i] = g[-2]
        self.energy[i] = state.energy
        self.eps[i] = state.eps
        self.bands[i] = _Band(state.rho, state.psi)
        self.bands.pop(i - KEPT_BANDS, None)
        self._store_xh(i)
        log_ratio = math.nan
        if self.linear:
            if abs(self.m[i]) > _RESCALE_ABOVE:
                self.m[: i + 1] /= _RESCALE_ABOVE
                self.scale += math.log(_RESCALE_ABOVE)
            log_ratio = math.log(abs(self.m[i])) + self.scale
        self.max_abs_c = max(self.max_abs_c, float(np.max(np.abs(self.C[i, :i]))))
        self._record(i, log_ratio)
