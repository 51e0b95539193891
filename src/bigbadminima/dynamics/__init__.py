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
from numba import njit

from ..params import ModelParams, ParameterError
from .band import _Band, _band_grid, _band_march, _BandStencils
from .guards import (
    MAX_DOUBLINGS,
    MAX_MEMORY_BYTES,
    MAX_UNIFORM_STEPS,
    MIN_DOUBLING_RESOLUTION,
    _check_arguments,
    _check_cost,
    _doubling_cost,
)
from .nonlinear import _AndersonMixer, _newton_step
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
from .settings import _FAST, _RESCALE_ABOVE, HOLD_LIMIT, _doubling_settings
from .terms import _energy_split, _signal_terms
from .uniform import _memory_sums, _run_uniform, _solve_uniform

__all__ = ["DynamicsBlowUp", "DynamicsResult", "solve_chsck"]

#: names the tests and the cost guards' users read from the package (re-exported)
_REEXPORTED = (
    MAX_DOUBLINGS, MAX_MEMORY_BYTES, MAX_UNIFORM_STEPS, MIN_DOUBLING_RESOLUTION, _doubling_cost,
    _corrected_trapezoid, _fd_weights, _interpolation_matrix, _lagrange_stencils, _memory_sums,
    _band_grid, _BandStencils, _band_march,
)


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
    HOLD_LIMIT = HOLD_LIMIT

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
            z, r = _newton_step(z, r, residual)
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
