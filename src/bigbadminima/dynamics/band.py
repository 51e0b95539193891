"""The band: the near-diagonal response on a lag sub-grid and its march (docs/dynamics.md section 1).

The sub-grid (:func:`_band_grid`), its convolution stencils (:class:`_BandStencils`), the band
convolution and the march of the lag equation (compiled), and one row's band (:class:`_Band`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .quadrature import (
    _corrected_trapezoid,
    _cumulative_hermite,
    _cumulative_trapezoid,
    _fd_weights,
    _interp,
    _interpolate_cubic,
    _interpolation_matrix,
    _lagrange_stencils,
)
from .settings import _FAST


def _band_grid(h: float, band_cells: int, delta_min: float, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """Lag nodes of the band [0, band_cells·h] and the indices of the coarse lags q·h in them.

    Steps are δ_min up to δ_min/η, then at most η·τ, so that a mode e^{-λτ} is integrated with
    step·λ <= η·λτ where it still has weight; every coarse lag q·h is a node.
    """
    nodes = [0.0]
    tau = 0.0
    uniform_end = min(h, delta_min / eta)
    while tau + delta_min < uniform_end * (1 - 1e-12):
        tau += delta_min
        nodes.append(tau)
    while tau * (1 + eta) < h * (1 - 0.3 * eta):
        tau *= 1 + eta
        nodes.append(tau)
    nodes.append(h)
    coarse = [0, len(nodes) - 1]
    for q in range(1, band_cells):
        pieces = max(1, math.ceil(1.0 / (eta * q) - 1e-9))
        for piece in range(1, pieces + 1):
            nodes.append(h * (q + piece / pieces))
        coarse.append(len(nodes) - 1)
    return np.array(nodes), np.array(coarse, dtype=np.int64)


@dataclass
class _BandStencils:
    """Interpolation stencils of the band convolution, fixed for one sub-grid."""

    tau: np.ndarray
    coarse: np.ndarray
    offsets: np.ndarray  # entries of node k: offsets[k] .. offsets[k+1]-1 (lags τ_k - τ_j, j <= J_k)
    last: np.ndarray  # J_k
    start: np.ndarray
    weights: np.ndarray
    half_start: np.ndarray
    half_weights: np.ndarray

    @classmethod
    def build(cls, tau: np.ndarray, coarse: np.ndarray) -> "_BandStencils":
        size = tau.size
        last = np.zeros(size, dtype=np.int64)
        last[1:] = np.searchsorted(tau, 0.5 * tau[1:], side="right") - 1
        counts = np.zeros(size + 1, dtype=np.int64)
        counts[2:] = last[1:] + 1
        offsets = np.cumsum(counts)
        node = np.repeat(np.arange(size), counts[1:])
        j = np.arange(offsets[-1]) - offsets[node]
        start, weights = _lagrange_stencils(tau, tau[node] - tau[j], node)
        half_start, half_weights = _lagrange_stencils(tau, 0.5 * tau, np.arange(size))
        return cls(tau, coarse, offsets, last, start, weights, half_start, half_weights)


@njit(cache=True, fastmath=_FAST)
def _band_convolution(k, tau, rho, kern, a, known, inv_h2, known2, offsets, last, start, weights, hs, hw, xs, ga, gb):  # pragma: no cover
    """∫_0^{τ_k} ρ_t(u) f''(C(t,t-u)) ρ_{t-u}(τ_k - u) du, split at τ_k/2 (see _band_march).

    Both halves are integrated over u (resp. v = τ_k - u) in [0, τ_k/2], where the first factor
    (resp. last) is fast and sits on the nodes while the other is smooth and interpolated
    (cubic). The drifts are ∂_tρ = a ρ + known and ∂²_tρ = inv_h2 ρ + known2 (BDF2 / second
    difference in t with the previous rows' bands folded into ``known``, ``known2``).
    """
    tk = tau[k]
    J = last[k]
    base = offsets[k]
    for j in range(J + 1):
        e = base + j
        s = start[e]
        w = weights[e]
        r_x = _interp(rho, s, w)
        u = tau[j]
        lag = tk - u
        d_x = a * r_x + _interp(known, s, w)
        d2_x = inv_h2 * r_x + _interp(known2, s, w)
        d_j = a * rho[j] + known[j]
        d2_j = inv_h2 * rho[j] + known2[j]
        xs[j] = u
        ga[j] = rho[j] * kern[j] * (r_x - u * d_x + 0.5 * u * u * d2_x)
        gb[j] = r_x * _interp(kern, s, w) * (rho[j] - lag * d_j + 0.5 * lag * lag * d2_j)
    n = J + 1
    u = 0.5 * tk
    if u > tau[J] * (1 + 1e-12):
        s = hs[k]
        w = hw[k]
        r_h = _interp(rho, s, w)
        d_h = a * r_h + _interp(known, s, w)
        d2_h = inv_h2 * r_h + _interp(known2, s, w)
        xs[n] = u
        ga[n] = r_h * _interp(kern, s, w) * (r_h - u * d_h + 0.5 * u * u * d2_h)
        gb[n] = ga[n]
        n += 1
    return _corrected_trapezoid(xs, ga, n) + _corrected_trapezoid(xs, gb, n)


@njit(cache=True, fastmath=_FAST)
def _band_march(mu, a, inv_h2, tau, kern, known, known2, offsets, last, start, weights, hs, hw, rho, slope, psi, psi_int):  # pragma: no cover
    """March the lag equation of the band outward from R(t,t⁻) = 1.

    In lag coordinates ρ_t(τ) = R(t, t-τ) obeys, for fixed t (theory.md §C.1, R equation):
        dρ/dτ = -μ ρ - ∂_tρ + ∫_0^τ ρ_t(u) f''(C(t,t-u)) ρ_{t-u}(τ-u) du,
    with ρ_{t-u}(v) = ρ_t(v) - u ∂_tρ(v) + u²/2 ∂²_tρ(v): the drift along the diagonal, from
    BDF2 in t over this row and the two before it (implicit in this row's ρ). The march is the
    Hermite (trapezoid + δ²/12 slope-derivative) rule with 3-point derivatives of the slope,
    implicit in ρ_k; slope = dρ/dτ; psi = ∫_0^τ ρ and psi_int = ∫_0^τ ψ (Hermite).
    """
    size = tau.size
    xs = np.empty(size + 1)
    ga = np.empty(size + 1)
    gb = np.empty(size + 1)
    rho[0] = 1.0
    slope[0] = -mu - (a + known[0])
    psi[0] = 0.0
    psi_int[0] = 0.0
    decay = mu + a
    for k in range(1, size):
        step = tau[k] - tau[k - 1]
        rho[k] = rho[k - 1] + step * slope[k - 1]
        conv = 0.0
        for _ in range(2):
            conv = _band_convolution(k, tau, rho, kern, a, known, inv_h2, known2, offsets, last, start, weights, hs, hw, xs, ga, gb)
            source = conv - known[k]  # slope_k = -decay ρ_k + source
            if k == 1:
                rho[k] = (rho[k - 1] + 0.5 * step * (slope[k - 1] + source)) / (1.0 + 0.5 * step * decay)
            else:
                p0, p1, p2 = _fd_weights(tau[k - 2], tau[k - 1], tau[k], 1)  # derivative at k-1
                q0, q1, q2 = _fd_weights(tau[k - 2], tau[k - 1], tau[k], 2)  # derivative at k
                c = step * step / 12.0
                coef_k = 0.5 * step + c * (p2 - q2)
                known_part = rho[k - 1] + 0.5 * step * slope[k - 1] + c * ((p0 - q0) * slope[k - 2] + (p1 - q1) * slope[k - 1])
                rho[k] = (known_part + coef_k * source) / (1.0 + coef_k * decay)
        slope[k] = -decay * rho[k] + conv - known[k]
        psi[k] = psi[k - 1] + 0.5 * step * (rho[k - 1] + rho[k]) + step * step / 12.0 * (slope[k - 1] - slope[k])
        psi_int[k] = psi_int[k - 1] + 0.5 * step * (psi[k - 1] + psi[k]) + step * step / 12.0 * (rho[k - 1] - rho[k])


@dataclass
class _Band:
    """Near-diagonal response of one row on the band sub-grid: ρ = R(t, t-τ), ψ = χ(t, t-τ)."""

    rho: np.ndarray
    psi: np.ndarray


class _BandRowsMixin:
    """The band of each row of :class:`~bigbadminima.dynamics.doubling._DoublingSolver`: its
    sub-grid, its march, the near-diagonal part of the row, its widening and resampling."""

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
    def _band_source(self, i: int, X: np.ndarray, h: float):
        """(lags, ρ, ψ) of row i before compression: band nodes, then coarse lags beyond it."""
        lags = np.arange(i + 1) * h
        psi_coarse = X[i, i::-1]  # ψ(q h) = χ(t_i, t_{i-q})
        if self.in_first_window:
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
