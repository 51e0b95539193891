"""The band: the near-diagonal response on a lag sub-grid and its march (docs/dynamics.md section 1).

The sub-grid (:func:`_band_grid`), its convolution stencils (:class:`_BandStencils`), the band
convolution and the march of the lag equation (compiled), and one row's band (:class:`_Band`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from .quadrature import _corrected_trapezoid, _fd_weights, _interp, _lagrange_stencils
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
