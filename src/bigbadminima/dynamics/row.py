"""The equations of one new row of the doubling window (far part: BDF2 in t, implicit diagonal).

:meth:`_RowMixin._row_map` is one fixed-point sweep y -> G(y) of row i, y = (C_i,0..i-1,
X_i,0..i-Kb-1, m_i, μ_i), with the band and μ solved inside it; the overlap quadrature is fitted
to m ∝ e^{κt} where m grows exponentially.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from .settings import _FAST, GROWTH_FIT_MIN, KAPPA_CLIP, MU_STEP
from .terms import _energy_split, _signal_terms


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


@njit(cache=True, fastmath=_FAST)
def _memory_products(C, W, X, v, fp, i, i1, i2, i3):  # pragma: no cover - compiled
    """The three memory sums of row i's sweep over rows and columns 0..i, in one pass over the
    lower triangles (half the memory traffic of three dense products):

    i1 = C v   (C symmetric)     i1[j] = Σ_s C(t_j, t_s) v_s      ≈ ∫_0^{t_i} R f''(C(t_i,s)) C(t_j,s) ds
    i2 = W fp  (W lower)         i2[j] = Σ_{s<=j} W[j, s] fp_s    ≈ ∫_0^{t_j} R(t_j,s) f'(C(t_i,s)) ds
    i3 = vᵀ X  (X lower)         i3[j] = Σ_{l>=j} v_l χ(t_l, t_j)
    """
    for l in range(i + 1):
        i1[l] = 0.0
        i3[l] = 0.0
    for l in range(i + 1):
        c_row, w_row, x_row = C[l], W[l], X[l]
        vl = v[l]
        acc1 = 0.0
        acc2 = 0.0
        for s in range(l):
            c = c_row[s]
            acc1 += c * v[s]
            i1[s] += c * vl
            acc2 += w_row[s] * fp[s]
            i3[s] += vl * x_row[s]
        i1[l] += acc1 + c_row[l] * vl
        i2[l] = acc2 + w_row[l] * fp[l]
        i3[l] += vl * x_row[l]


@dataclass
class _RowState:
    """What the sweeps of one row share and leave to its commit: dres/dμ (measured once per row),
    the band (ρ, ψ) and the energy (ε, (ε2, εp)) of the last sweep."""

    dres: float | None = None
    rho: np.ndarray | None = None
    psi: np.ndarray | None = None
    energy: float = math.nan
    eps: tuple[float, float] = (math.nan, math.nan)


class _StoredRow(NamedTuple):
    """What :meth:`_RowMixin._store_row` computed for row i, for the rest of the sweep."""

    c_row: np.ndarray  # C(t_i, t_j), j = 0..i
    fp: np.ndarray  # f'(c_row)
    fpp: np.ndarray  # f''(c_row)
    rho: np.ndarray  # band ρ(τ) = R(t_i, t_i - τ)
    slope: np.ndarray  # dρ/dτ
    x_row: np.ndarray  # χ(t_i, t_j)
    xv_row: np.ndarray  # cell averages of χ(t_i, ·)
    w: np.ndarray  # nodal weights of ∫R(t_i, s) g(s) ds
    mu_next: float  # Newton update of μ_i
    df_m: float  # f'(m_i) (its O(m) part in linear mode)


class _RowMixin:
    """Row residual and overlap quadrature of :class:`~bigbadminima.dynamics.doubling._DoublingSolver`."""

    def _solve_band_and_multiplier(self, i, c_row, x_far, m_df_m, mu, mu_kernel, state):
        """Band of row i at the multiplier μ, and a Newton update of μ = m f'(m) + ∫R(f'+f''C).

        μ and the near-diagonal response are strongly coupled (∂χ/∂μ < 0), so μ gets a Newton
        step with the derivative measured once per row; the fixed point is unchanged.
        """
        kern = self.params.d2f(self.c_to_band @ c_row[i : i - self.Kb - 4 : -1])

        def residual(value):
            rho, slope, psi, psi_int = self._band_for(i, kern, value)
            x_row, xv_row = self._near_rows(i, x_far, psi, psi_int)
            self.X[i, : i + 1] = x_row
            self.Xv[i, : i + 1] = xv_row
            w = self._weights(i)
            return m_df_m + np.dot(w, mu_kernel) - value, (rho, slope, psi, x_row, xv_row, w)

        r, pack = residual(mu)
        if state.dres is None:
            step = MU_STEP * (1 + abs(mu))
            state.dres = (residual(mu + step)[0] - r) / step
        return mu - r / state.dres, pack

    def _store_row(self, i: int, y: np.ndarray, state: _RowState) -> _StoredRow:
        """Put row i = y into the window: C, m, and from the band at μ_i the near χ, the cell
        averages and the nodal weights W (the band, ε and (ε2, εp) into ``state``)."""
        params, far = self.params, i - self.Kb  # columns 0..far-1 have their χ from BDF2
        c_row = np.append(y[:i], 1.0)
        m_i, mu_i = y[-2], y[-1]
        fp = params.df(c_row)
        fpp = params.d2f(c_row)
        df_m, m_df_m, f_m = _signal_terms(params, m_i, self.linear)
        mu_next, (rho, slope, psi, x_row, xv_row, w) = self._solve_band_and_multiplier(
            i, c_row, y[i : i + far], m_df_m, mu_i, fp + fpp * c_row, state
        )
        state.rho, state.psi = rho, psi
        self.X[i, : i + 1] = x_row
        self.Xv[i, : i + 1] = xv_row
        self.C[i, : i + 1] = c_row
        self.C[: i + 1, i] = c_row
        self.m[i] = m_i
        self.W[i, : i + 1] = w
        state.energy = -f_m - np.dot(w, fp)
        state.eps = _energy_split(params, m_i, w, c_row, self.linear)
        return _StoredRow(c_row, fp, fpp, rho, slope, x_row, xv_row, w, mu_next, df_m)

    def _row_map(self, i: int, y: np.ndarray, state: _RowState) -> np.ndarray:
        """One fixed-point sweep for row i; y = (C_i,0..i-1, X_i,0..i-Kb-1, m_i, μ_i)."""
        params, h, Kb = self.params, self.h, self.Kb
        far = i - Kb  # columns 0..far-1 have their χ from BDF2
        c_row, fp, fpp, rho, slope, x_row, xv_row, w, mu_next, df_m = self._store_row(i, y, state)
        m_i, mu_i = y[-2], y[-1]
        v = w * fpp
        kappa = self._local_growth(i)
        if not self.linear and abs(kappa * h) < GROWTH_FIT_MIN:
            kappa = 0.0  # plain rules (transported far-cell centroids) where the fit gains nothing
        memory_m = np.dot(self._overlap_weights(i, kappa, rho, slope, x_row, w) * fpp, self.m[: i + 1])
        i1, i2, i3 = np.empty(i + 1), np.empty(i + 1), np.empty(i + 1)
        _memory_products(self.C, self.W, self.X, v, fp, i, i1, i2, i3)
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
        return np.concatenate([c_new, x_new, [m_new, mu_next]])
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
        return float(np.clip(math.log(a / b) / self.h, -KAPPA_CLIP / self.h, KAPPA_CLIP / self.h))

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
