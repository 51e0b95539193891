"""The doubling scheme's row equations at an exact solution (issue 14 item 3).

The window of :class:`~bigbadminima.dynamics.doubling._DoublingSolver` is filled with the exact
pure-matrix solution of theory.md §C.4 (C, χ and its cell averages, the near-diagonal bands, m,
μ), and one sweep of :meth:`_row_map` is applied to the exact row. What comes back differs from
the exact row by the scheme's local error only: O(h³) for the BDF2 rows of C, χ and m (a step of
2h/3 times a second-order consistency error) and O(h²) for μ, whose equation is a quadrature of
second order. A discretised row cannot return the exact solution to rounding: the test measures
the defect at three steps and asks for those orders, checks the row's band (ρ, ψ) against the
exact response, and shows that the exact solution of a model 10 % off in 1/Δ2 leaves a defect of
the first order in h (the equations are wrong for it).

Exact two-time functions (x(t) ∝ e^{tM} x(0), theory.md §C.4), with Γ(τ) = m0² A(τ) + (1 - m0²)
Zsc(τ), Zsc(τ) = ∫ρ_sc(λ) e^{λτ} dλ, Λ(t) = Γ(2t):

    C(t, t') = Γ(t + t') / √(Λ(t) Λ(t')),   R(t, t') = Zsc(t - t') √(Λ(t')/Λ(t)),
    m(t) = m0 A(t) / √Λ(t),                  μ(t) = Γ'(2t) / Γ(2t).

Integrals of R (χ, the cell averages Xv and Xh) by 12-point Gauss-Legendre on pieces of length ≤ h:
the integrands are entire, so these are exact to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bigbadminima import dynamics as d
from bigbadminima.dynamics.band import _Band
from bigbadminima.dynamics.row import _RowState
from bigbadminima.params import ModelParams

from .test_dynamics import _semicircle_sums, _spectral_sums

THETA, M0 = 2.5, 0.02
T_ROW = 4.0  # the row tested: in the middle of the growth of m (m = 0.475, μ = 3.169)
NODES, WEIGHTS = np.polynomial.legendre.leggauss(12)
NODES, WEIGHTS = 0.5 * (NODES + 1), 0.5 * WEIGHTS  # on [0, 1]


class PureMatrix:
    """The exact pure-matrix solution at 1/Δ2 = θ from m0 (vectorised in its arguments)."""

    def __init__(self, theta: float, m0: float):
        self.theta, self.m0 = theta, m0

    def zsc(self, tau):
        tau = np.asarray(tau, dtype=float)
        return _semicircle_sums(self.theta, tau.ravel() / 2)[0].reshape(tau.shape)

    def _spike(self, tau):
        value, slope = _spectral_sums(self.theta, np.asarray(tau, dtype=float).ravel(), 1.0)
        return value.reshape(np.shape(tau)), slope.reshape(np.shape(tau))

    def gamma(self, tau):
        return self.m0**2 * self._spike(tau)[0] + (1 - self.m0**2) * self.zsc(tau)

    def m(self, t):
        return self.m0 * self._spike(t)[0] / np.sqrt(self.gamma(2 * np.asarray(t)))

    def mu(self, t):
        tau = 2 * np.asarray(t, dtype=float)
        dz = _semicircle_sums(self.theta, tau.ravel() / 2)[1]
        slope = self.m0**2 * self._spike(tau)[1] + (1 - self.m0**2) * (0.5 * dz).reshape(tau.shape)
        return slope / self.gamma(tau)

    def C(self, t, s):
        t, s = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(s, dtype=float))
        return self.gamma(t + s) / np.sqrt(self.gamma(2 * t) * self.gamma(2 * s))

    def R(self, t, s):
        t, s = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(s, dtype=float))
        return self.zsc(t - s) * np.sqrt(self.gamma(2 * s) / self.gamma(2 * t))

    def pieces(self, a, b, width):
        """Gauss nodes and weights on [a, b] (arrays of equal shape) cut into ⌈(b-a)/width⌉ pieces."""
        count = max(1, int(math.ceil(np.max(b - a) / width)))
        edges = a[..., None] + (b - a)[..., None] * np.arange(count + 1) / count
        left, length = edges[..., :-1, None], np.diff(edges, axis=-1)[..., None]
        nodes = (left + length * NODES).reshape(*a.shape, -1)
        weights = (length * WEIGHTS).reshape(*a.shape, -1)
        return nodes, weights

    def chi(self, t, s, width):
        """χ(t, s) = ∫_s^t R(t, u) du (arrays t, s of equal shape)."""
        t, s = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(s, dtype=float))
        u, w = self.pieces(s, t, width)
        return np.sum(w * self.R(t[..., None], u), axis=-1)


def exact_solver(solution: PureMatrix, level: int, span: float) -> tuple[d._DoublingSolver, int]:
    """A doubling solver of the pure-matrix model at 1/Δ2 = THETA, step h = 0.2/level and a band of
    span/h cells, whose window holds ``solution`` in rows 0..i-1 and the bands of rows i-1, i-2
    (i: the row at T_ROW)."""
    h = 0.2 / level
    band_cells = int(round(span / h))
    i = int(round(T_ROW / h))
    window = max(8 * band_cells, i + i % 2)
    params = ModelParams.from_inv_delta2(3, THETA, math.inf)
    solver = d._DoublingSolver(params, M0, window=window, band_cells=band_cells, delta_min=0.01 / level,
                               eta=1.0 / (16 * level), linear=False)
    solver.h, solver._fine_response = h, None
    solver._set_band_grid()
    t = np.arange(i + 1) * h
    solver.C[: i + 1, : i + 1] = solution.C(t[:, None], t[None, :])
    solver.m[: i + 1], solver.mu[: i + 1] = solution.m(t), solution.mu(t)
    # χ(t_k, t_j) from the cell integrals of R(t_k, ·), Xv from their first moments
    for k in range(1, i + 1):
        left = t[:k]
        u, w = solution.pieces(left, left + h, h)
        r = solution.R(t[k], u)
        cells = np.sum(w * r, axis=-1)
        moments = np.sum(w * r * (u - left[:, None]), axis=-1) / h
        solver.X[k, :k] = np.cumsum(cells[::-1])[::-1]
        solver.Xv[k, 1 : k + 1] = solver.X[k, 1 : k + 1] + (cells - moments)
        solver.W[k, : k + 1] = solver._weights(k)
    # Xh[l, q] = (1/h) ∫_{t_{l-1}}^{t_l} χ(s, t_{l-q}) ds, χ(s, t_{l-q}) = ∫_{t_{l-1}}^s R(s, ·) plus
    # the integrals of R(s, ·) over the whole cells l-q+1 .. l-1
    for l in range(1, i + 1):
        s = t[l - 1] + h * NODES
        partial = np.sum((s - t[l - 1])[:, None] * WEIGHTS * solution.R(s[:, None], t[l - 1] + np.outer(s - t[l - 1], NODES)), axis=1)
        lefts = t[max(0, l - band_cells) : l - 1]  # cells l-Kb+1 .. l-1, latest last
        whole = np.sum(h * WEIGHTS * solution.R(s[:, None, None], lefts[None, :, None] + h * NODES), axis=2)
        chi = partial[:, None] + np.cumsum(np.pad(whole[:, ::-1], ((0, 0), (1, 0))), axis=1)  # column q-1
        for q in range(1, min(band_cells, l) + 1):
            solver.Xh[l, q] = np.dot(WEIGHTS, chi[:, q - 1])
    tau = solver.stencils.tau
    for k in (i - 1, i - 2):
        solver.bands[k] = _Band(solution.R(t[k], t[k] - tau), solution.chi(np.full(tau.size, t[k]), t[k] - tau, h))
    return solver, i


def row_defects(exact: PureMatrix, level: int, span: float = 0.8) -> dict[str, float]:
    """Max |G(y) - y| of one sweep of row i of the THETA solver at y = the row of ``exact``, its
    window filled with ``exact`` too, per block: C_i,j (j < i), χ_i,j (j < i - Kb), m_i, μ_i; and
    the max error of the row's band (ρ, ψ) against ``exact``."""
    solver, i = exact_solver(exact, level, span)
    h, far = solver.h, i - solver.Kb
    t = np.arange(i + 1) * h
    row_c = exact.C(t[i], t[:i])
    row_x = exact.chi(np.full(far, t[i]), t[:far], h)
    y = np.concatenate([row_c, row_x, [exact.m(t[i]), exact.mu(t[i])]])
    state = _RowState()
    g = solver._row_map(i, y, state)
    defect = np.abs(g - y)
    tau = solver.stencils.tau
    rho = exact.R(t[i], t[i] - tau)
    psi = exact.chi(np.full(tau.size, t[i]), t[i] - tau, h)
    return {"C": defect[:i].max(), "chi": defect[i : i + far].max(), "m": defect[-2], "mu": defect[-1],
            "band rho": np.abs(state.rho - rho).max(), "band psi": np.abs(state.psi - psi).max()}


LEVELS = (1, 2, 4)  # h = 0.2, 0.1, 0.05 at a band span of 0.8


@pytest.fixture(scope="module")
def defects():
    return [row_defects(PureMatrix(THETA, M0), level) for level in LEVELS]


# The orders the scheme is built for: the BDF2 rows (step 2h/3) have a local error O(h³), μ is a
# second-order quadrature. Measured (levels 1, 2, 4, 8): C 2.87, 2.90, 2.94; χ 2.73, 2.86, 2.93;
# m 3.04, 3.01, 3.13; μ 1.87, 1.96, 1.98, approaching them from below: 0.35 below the design
# order leaves room for the first pair and still fails a term one order short.
ORDERS = {"C": 3.0, "chi": 3.0, "m": 3.0, "mu": 2.0}
# The band's error does not fall with h at a fixed lag span: the march takes the earlier rows'
# responses ρ_{t-u} to second order in u (band.py, _band_convolution), and u reaches half the
# span. Measured: ρ 4.4e-6, 6.9e-7, 4.2e-7, 2.7e-7 and ψ 1.9e-6, 4.1e-7, 1.2e-7, 5.6e-8 at levels
# 1, 2, 4, 8; at level 4 ρ is 1.1e-7, 4.2e-7, 8.6e-7 at spans 0.4, 0.8, 1.6 (docs/dynamics.md section 3).
BAND_ERROR = 1e-5


@pytest.mark.parametrize("block", sorted(ORDERS))
def test_row_equations_hold_at_the_exact_solution_to_the_schemes_order(defects, block):
    values = [entry[block] for entry in defects]
    orders = np.log2(np.array(values[:-1]) / np.array(values[1:]))
    assert np.all(orders > ORDERS[block] - 0.35), (block, values, orders)


def test_the_band_of_the_row_matches_the_exact_response(defects):
    for block in ("band rho", "band psi"):
        values = [entry[block] for entry in defects]
        assert max(values) < BAND_ERROR and values[-1] < values[0], (block, values)


def test_the_exact_solution_of_another_model_leaves_a_first_order_defect():
    # The solver's model is 1/Δ2 = 2.5 and the window holds the solution at 1/Δ2 = 2.75: the time
    # derivative and the memory terms no longer balance. Measured: C defect 3.0e-2, 1.7e-2, 9.5e-3
    # (order 0.8-0.9), μ 0.32 at every step, band ρ 2.7e-3 ... 9.3e-4.
    values = [row_defects(PureMatrix(1.1 * THETA, M0), level) for level in LEVELS]
    c = np.array([entry["C"] for entry in values])
    assert np.all(np.log2(c[:-1] / c[1:]) < 1.3), c
    assert min(entry["band rho"] for entry in values) > 10 * BAND_ERROR
