"""Unit tests of the pieces of the CHSCK solvers (issue 14 item 3), each fast (no long solve).

Quadratures and interpolation exact on the polynomials they are built for, the uniform
scheme's memory sums and the doubling row's fused products against direct sums, the band
march against the exact response when f'' = 0 (pure decay e^{-μτ}), a compression conserving
the stored integrals, the grid matching of the error estimate. The whole file runs in a few
seconds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bigbadminima import dynamics as d
from bigbadminima.dynamics.row import _memory_products
from bigbadminima.params import ModelParams, ParameterError

REFERENCE = ModelParams.from_inv_delta2(3, 2.5, 1.0)
RNG_SEED = 20191208


def nonuniform_nodes(count: int, seed: int = RNG_SEED) -> np.ndarray:
    steps = np.random.default_rng(seed).uniform(0.05, 0.3, count - 1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def polynomial(coefficients):
    value = np.polynomial.Polynomial(coefficients)
    return value, value.deriv(), value.integ()


# --- quadratures and interpolation ----------------------------------------------------------

@pytest.mark.parametrize("at", [0, 1, 2])
def test_three_point_derivative_is_exact_on_quadratics(at):
    g, dg, _ = polynomial([0.3, -1.7, 2.2])
    x0, x1, x2 = 0.1, 0.35, 0.9
    w0, w1, w2 = d._fd_weights(x0, x1, x2, at)
    assert w0 * g(x0) + w1 * g(x1) + w2 * g(x2) == pytest.approx(dg((x0, x1, x2)[at]), abs=1e-13)


@pytest.mark.parametrize("coefficients", [[1.0], [0.5, -2.0], [0.2, 1.1, -0.7]])
def test_corrected_trapezoid_is_exact_on_quadratics(coefficients):
    x = nonuniform_nodes(17)
    g, _, integral = polynomial(coefficients)
    value = d._corrected_trapezoid(x, g(x), x.size)
    assert value == pytest.approx(integral(x[-1]) - integral(x[0]), abs=1e-13)


def test_corrected_trapezoid_is_fourth_order_on_smooth_functions():
    errors = []
    for count in (21, 41, 81):
        x = np.linspace(0.0, 2.0, count) ** 1.5  # non-uniform, smooth map
        errors.append(abs(d._corrected_trapezoid(x, np.exp(-x), count) - (1 - math.exp(-x[-1]))))
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(orders > 3.7), orders


def test_corrected_trapezoid_on_two_and_fewer_nodes():
    x = np.array([0.0, 0.5])
    assert d._corrected_trapezoid(x, np.array([1.0, 3.0]), 2) == 1.0
    assert d._corrected_trapezoid(x, np.array([1.0, 3.0]), 1) == 0.0


@pytest.mark.parametrize("coefficients", [[1.0], [0.5, -2.0], [0.2, 1.1, -0.7], [0.1, -0.4, 0.3, 0.25]])
def test_cumulative_hermite_is_exact_on_cubics(coefficients):
    x = nonuniform_nodes(15)
    g, dg, integral = polynomial(coefficients)
    np.testing.assert_allclose(d._cumulative_hermite(x, g(x), dg(x)), integral(x) - integral(0.0), rtol=0, atol=1e-13)


@pytest.mark.parametrize("coefficients", [[1.0], [0.5, -2.0]])
def test_cumulative_trapezoid_is_exact_on_linear_functions(coefficients):
    x = nonuniform_nodes(15)
    g, _, integral = polynomial(coefficients)
    np.testing.assert_allclose(d._cumulative_trapezoid(x, g(x)), integral(x) - integral(0.0), rtol=0, atol=1e-13)


def test_cubic_interpolation_is_exact_on_cubics():
    nodes = nonuniform_nodes(12)
    g, _, _ = polynomial([0.1, -0.4, 0.3, 0.25])
    x = np.linspace(nodes[0], nodes[-1], 57)
    np.testing.assert_allclose(d._interpolate_cubic(nodes, g(nodes), x), g(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(d._interpolation_matrix(nodes, x) @ g(nodes), g(x), rtol=0, atol=1e-12)


def test_lagrange_stencils_use_only_nodes_up_to_top():
    nodes = nonuniform_nodes(10)
    top = np.array([0, 1, 2, 5, 9])
    x = nodes[top] * 0.9
    start, weights = d._lagrange_stencils(nodes, x, top)
    used = start[:, None] + np.arange(4)[None, :]
    assert np.all((used <= top[:, None]) | (weights == 0.0))
    # with fewer than 4 nodes the stencil reproduces the polynomial of that degree
    g, _, _ = polynomial([0.7, -0.3])
    values = np.sum(weights * g(nodes)[np.minimum(used, nodes.size - 1)], axis=1)
    np.testing.assert_allclose(values[1:], g(x[1:]), rtol=0, atol=1e-13)
    assert values[0] == pytest.approx(g(nodes[0]))  # one node: the constant through it


# --- band sub-grid --------------------------------------------------------------------------

@pytest.mark.parametrize("resolution", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("h", [0.02, 0.64, 40.96])
def test_band_grid_nodes(resolution, h):
    s = d._doubling_settings(resolution)
    kb, delta, eta = s["band_cells"], s["delta_min"], s["eta"]
    if h < 2 * delta:
        pytest.skip("the band grid is built at compressions only, where h >= 2 δ_min")
    tau, coarse = d._band_grid(h, kb, delta, eta)
    assert tau[0] == 0.0 and np.all(np.diff(tau) > 0)
    np.testing.assert_allclose(tau[coarse], np.arange(kb + 1) * h, rtol=1e-13, atol=0)
    steps = np.diff(tau)
    first_cell = tau[1:] <= h * (1 + 1e-12)
    # inside the first cell: steps of δ_min near 0, then at most η·τ (plus the closing step)
    assert np.all(steps[first_cell][:-1] <= np.maximum(delta, eta * tau[:-1][first_cell][:-1]) * (1 + 1e-9))


# --- uniform scheme: memory sums ------------------------------------------------------------

def test_memory_sums_match_direct_sums():
    rng = np.random.default_rng(RNG_SEED)
    n, h = 9, 0.1
    i = n - 1
    full_c = rng.normal(size=(n, n))
    full_c = np.tril(full_c) + np.tril(full_c, -1).T
    full_r = np.tril(rng.normal(size=(n, n)))
    packed = [np.concatenate([m[r, : r + 1] for r in range(n)]) for m in (full_c, full_r)]
    a, b, ap = rng.normal(size=(3, n))
    S1, S2, S3 = np.zeros(n), np.zeros(n), np.zeros(n)
    d._memory_sums(packed[0], packed[1], i, h, a, b, ap, S1, S2, S3)

    def trapezoid(count):
        w = np.ones(count)
        w[0] = w[-1] = 0.5
        return w if count > 1 else np.zeros(1)

    for l in range(i + 1):
        assert S1[l] == pytest.approx(np.dot(a, full_c[l, :]), abs=1e-12)
        s = np.arange(l + 1)
        assert S2[l] == pytest.approx(h * np.sum(trapezoid(l + 1) * b[s] * full_r[l, s]), abs=1e-12)
        s = np.arange(l, i + 1)
        assert S3[l] == pytest.approx(h * np.sum(trapezoid(i - l + 1) * ap[s] * full_r[s, l]), abs=1e-12)


def test_fused_memory_products_match_the_dense_products():
    # The doubling row's three memory sums read only the lower triangles (C symmetric, W and χ
    # lower-triangular, in arrays larger than the rows used, as in the window): they must equal
    # the dense products to rounding, including the corner cases i = 0 and 1.
    rng = np.random.default_rng(RNG_SEED)
    size = 12
    lower = np.tril(rng.normal(size=(size, size)))
    C = lower + np.tril(lower, -1).T
    W, X = np.tril(rng.normal(size=(size, size))), np.tril(rng.normal(size=(size, size)))
    for i in (0, 1, 7, size - 1):
        v, fp = rng.normal(size=(2, i + 1))
        i1, i2, i3 = (np.full(i + 1, np.nan) for _ in range(3))
        _memory_products(C, W, X, v, fp, i, i1, i2, i3)
        block = slice(0, i + 1)
        np.testing.assert_allclose(i1, C[block, block] @ v, rtol=0, atol=1e-13)
        np.testing.assert_allclose(i2, W[block, block] @ fp, rtol=0, atol=1e-13)
        np.testing.assert_allclose(i3, v @ X[block, block], rtol=0, atol=1e-13)


# --- band march: exact response when f'' = 0 ------------------------------------------------

def band_march_error(resolution: float, mu: float = 4.68, h: float = 0.64, band_cells: int = 16):
    """Max error of the band march against ρ = e^{-μτ} (f'' = 0, time-translation invariant rows),
    on the sub-grid (δ_min, η) of ``resolution`` over a fixed span band_cells·h."""
    s = d._doubling_settings(resolution)
    tau, coarse = d._band_grid(h, band_cells, s["delta_min"], s["eta"])
    st = d._BandStencils.build(tau, coarse)
    exact = np.exp(-mu * tau)
    # the two previous rows equal this one: BDF2 drift (3ρ - 4ρ1 + ρ2)/(2h) = 0 at the exact ρ
    known, known2 = (exact - 4 * exact) / (2 * h), (exact - 2 * exact) / h**2
    rho, slope, psi, psi_int = (np.zeros(tau.size) for _ in range(4))
    d._band_march(mu, 1.5 / h, 1.0 / h**2, tau, np.zeros(tau.size), known, known2, st.offsets, st.last,
                  st.start, st.weights, st.half_start, st.half_weights, rho, slope, psi, psi_int)
    return {
        "rho": np.max(np.abs(rho - exact)),
        "slope": np.max(np.abs(slope + mu * exact)),
        "psi": np.max(np.abs(psi - (1 - exact) / mu)),
        "psi_int": np.max(np.abs(psi_int - (tau / mu - (1 - exact) / mu**2))),
    }


def test_band_march_reproduces_pure_decay_when_the_kernel_vanishes():
    # measured at resolutions 1 / 2 / 4: ρ 8.1e-6 / 1.0e-6 / 1.3e-7 (third order: the march is the
    # Hermite rule with 3-point slope derivatives), ψ 4.6e-6 / 6.0e-7 / 7.4e-8
    errors = [band_march_error(r) for r in (1.0, 2.0, 4.0)]
    for name in errors[0]:
        values = [e[name] for e in errors]
        assert values[0] < 1e-4, (name, values)
        orders = np.log2(np.array(values[:-1]) / np.array(values[1:]))
        assert np.all(orders > 2.7), (name, values)


# --- doubling window: compression -----------------------------------------------------------

def test_compression_conserves_the_stored_integrals():
    # First window (uniform start, 128 steps at resolution 0.5), then one compression. The nodal
    # weights of a kept row integrate every g that is linear in each merged cell exactly as the
    # fine weights did (the merged cells keep the exact mass and first moment of R); g is
    # constant on the first merged cell, whose centroid a compression recalibrates on purpose.
    solver = d._DoublingSolver(REFERENCE, 0.1, linear=False, **d._doubling_settings(0.5))
    solver.start()
    h, n = solver.h, solver.filled
    old_c, old_x, old_w = solver.C.copy(), solver.X.copy(), solver.W.copy()
    solver.compress()
    assert solver.h == 2 * h and solver.filled == n // 2
    even = np.arange(0, n + 1, 2)
    np.testing.assert_array_equal(solver.C[: n // 2 + 1, : n // 2 + 1], old_c[np.ix_(even, even)])
    np.testing.assert_array_equal(solver.X[: n // 2 + 1, : n // 2 + 1], old_x[np.ix_(even, even)])
    worst = 0.0
    for k in range(2, n // 2 + 1):
        fine_t = np.arange(2 * k + 1) * h
        coarse_t = np.arange(k + 1) * 2 * h
        # constants (the mass χ(t, 0)) survive the recalibration too: it only moves the centroid
        for g in (lambda t: np.ones_like(t), lambda t: 0.3 + np.maximum(t - 2 * h, 0.0)):
            before = np.dot(old_w[2 * k, : 2 * k + 1], g(fine_t))
            after = np.dot(solver.W[k, : k + 1], g(coarse_t))
            worst = max(worst, abs(before - after) / max(1.0, abs(before)))
    assert worst < 1e-13, worst


# --- error estimate: matching the two grids -------------------------------------------------

def test_match_times_pairs_the_shared_grid_points():
    fine = np.concatenate([np.arange(0, 2.56, 0.01), np.arange(2.56, 5.12 + 1e-9, 0.02)])
    coarse = np.concatenate([np.arange(0, 2.56, 0.02), np.arange(2.56, 5.12 + 1e-9, 0.04)])
    fine_idx, coarse_idx = d._match_times(fine, coarse)
    np.testing.assert_allclose(fine[fine_idx], coarse[coarse_idx], rtol=0, atol=1e-12)
    assert coarse_idx.size == coarse.size  # every coarse point is on the fine grid
    empty = d._match_times(np.array([0.0, 1.0]), np.array([0.5]))
    assert empty[0].size == 0 and empty[1].size == 0


# --- escape-hold policy on a synthetic m(t) -------------------------------------------------

def policy_solver(m_of_t, h: float = 0.64, filled: int = 256, linear: bool = False, capacity: int | None = None):
    """A doubling solver (resolution 1, window 256) in the state _hold reads: a full window of
    step h with m(t_k) = m_of_t(k h), past the first window."""
    solver = d._DoublingSolver(REFERENCE, 1e-10, linear=linear, **d._doubling_settings(1.0))
    solver.h, solver.filled = h, filled
    solver.capacity = capacity if capacity is not None else filled
    solver._fine_response = None
    solver.m = m_of_t(np.arange(filled + 1) * h)
    return solver


def test_hold_policy_on_synthetic_overlaps():
    bound = d._doubling_settings(1.0)["escape_bound"]  # 0.002
    # settled m: nothing changes, compress
    assert not policy_solver(lambda t: np.full(t.shape, 0.8269))._hold()
    # exponential approach to the escape: λ = 0.1 at t = 164 from m = 1e-6 predicts m -> 1 within
    # 4 t, 2h·λ = 0.128 > bound: hold
    growing = lambda t: 1e-6 * np.exp(0.1 * (t - t[-1]))  # noqa: E731
    assert 2 * 0.64 * 0.1 > bound and policy_solver(growing)._hold()
    # the same growth far too slow to reach the escape within 4 t: 2h·λ·m e^{4λt} < bound
    slow = lambda t: 1e-30 * np.exp(1e-4 * (t - t[-1]))  # noqa: E731
    assert not policy_solver(slow)._hold()
    # never beyond HOLD_LIMIT·N rows, never in linear mode, never in the first window
    assert not policy_solver(growing, capacity=8 * 256)._hold()
    assert not policy_solver(growing, linear=True)._hold()
    first = policy_solver(growing)
    first._fine_response = np.zeros((2, 2))
    assert not first._hold()


def test_policy_decisions_are_pure_functions_of_the_window_state():
    from bigbadminima.dynamics import policy

    # the escape test alone, on (m(t), m(t - h), h, t): the same cases as the solver's _hold above
    assert not policy._escape_ahead(0.8269, 0.8269, 0.64, 164.0, 0.002)
    assert policy._escape_ahead(1e-6, 1e-6 * math.exp(-0.1 * 0.64), 0.64, 164.0, 0.002)
    assert not policy._escape_ahead(1e-30, 1e-30 * math.exp(-1e-4 * 0.64), 0.64, 164.0, 0.002)
    # a sign change of m gives no growth rate: only the present |dm/dt| counts
    assert policy._escape_ahead(1e-3, -1e-3, 0.1, 10.0, 0.002)
    # band span: Kb halves past band_span (40) down to MIN_BAND_CELLS (4), never below
    assert policy._band_cells_after_compression(16, 1.28, 40.0) == 8  # 2h·Kb = 40.96 > 40
    assert policy._band_cells_after_compression(16, 1.0, 40.0) == 16
    assert policy._band_cells_after_compression(16, 2.56, 40.0) == 8
    assert policy._band_cells_after_compression(4, 100.0, 40.0) == 4
    # widening during a hold: while Kb·h lags t·Kb0/N and 2Kb <= N/8
    assert policy._widen_band_now(16, 0.16, 41.0, 16, 256)
    assert not policy._widen_band_now(16, 0.16, 10.0, 16, 256)
    assert not policy._widen_band_now(32, 0.16, 1e4, 16, 256)  # 2·32 > 256/8


def test_solve_row_converges_on_a_contraction_and_reports_a_stall():
    from bigbadminima.dynamics import nonlinear

    matrix = np.array([[0.5, 0.2], [-0.1, 0.3]])
    fixed = np.linalg.solve(np.eye(2) - matrix, np.array([1.0, -2.0]))
    z, r, converged = nonlinear._solve_row(lambda z: matrix @ z + np.array([1.0, -2.0]) - z, np.zeros(2))
    assert converged and np.max(np.abs(r)) < 1e-10
    np.testing.assert_allclose(z + r, fixed, rtol=0, atol=1e-10)
    # no fixed point (G(z) = z + 1, residual 1 everywhere): neither Anderson nor Newton can reduce the residual
    _, _, converged = nonlinear._solve_row(lambda z: np.ones_like(z), np.zeros(3))
    assert not converged


def test_the_scheme_registry_and_status():
    assert set(d.METHODS) == {"doubling", "uniform"}
    scheme = d.uniform._UniformScheme(REFERENCE, 0.1, 10, 0.1)
    assert scheme.status == "running"
    assert scheme.run(1.0) and scheme.status == "finished" and scheme.i == 10 and scheme.t == pytest.approx(1.0)
    np.testing.assert_array_equal(scheme.m, d.uniform._uniform_run(REFERENCE, 0.1, 10, 0.1).m)
    with pytest.raises(ParameterError, match="method must be 'doubling' or 'uniform'"):
        d.solve_chsck(REFERENCE, 1.0, method="euler")
