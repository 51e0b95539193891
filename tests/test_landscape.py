"""Kac-Rice landscape (theory.md §D): reference numbers, limits, independent methods agreeing.

Finite-N checks of the Hessian spectrum live in tests/test_amp.py, which shares the N = 400 instances.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize_scalar

from bigbadminima import landscape as L
from bigbadminima.amp import ml_amp_map
from bigbadminima.params import ModelParams, ParameterError

# theory.md §G: the closed forms are exact and the root-finds quoted to 4-6 digits, so 1e-4 relative
# (the tolerance) is above the rounding of the quoted digits and far below any formula error.
REFERENCE_RTOL = 1e-4
P3 = ModelParams.from_inv_delta2(3, 2.5, 1.0)


@pytest.mark.parametrize(
    ("p", "delta_p", "expected"),
    [(3, 1.0, {"ml_amp": 1.6180, "gf": 2.0000, "triv": 2.1914}), (4, 4.0, {"ml_amp": 1.2071, "gf": 1.5, "triv": 1.6389})],
)
def test_thresholds_match_reference_table(p, delta_p, expected):
    computed = L.thresholds(p, delta_p)
    for name, value in expected.items():
        assert computed[name] == pytest.approx(value, rel=REFERENCE_RTOL), name


def test_state_level_reference_numbers():
    states = L.threshold_states(P3)
    minimum = L.good_minimum(P3)
    assert states.mu == pytest.approx(4.24264, rel=REFERENCE_RTOL)
    assert states.energy == pytest.approx(-1.85616, rel=REFERENCE_RTOL)
    # Σ_th = 0.000657 is quoted to 3 digits: 1e-3 relative is its rounding.
    assert states.complexity == pytest.approx(0.000657, rel=1e-3)
    assert minimum.m == pytest.approx(0.82691, rel=REFERENCE_RTOL)
    assert minimum.mu == pytest.approx(4.67952, rel=REFERENCE_RTOL)
    assert minimum.energy == pytest.approx(-2.09523, rel=REFERENCE_RTOL)


def test_log_potential_against_quadrature_and_its_derivative_against_finite_differences():
    sigma = 1.3
    density = lambda lam: math.sqrt(4 * sigma**2 - lam**2) / (2 * math.pi * sigma**2)  # noqa: E731
    for mu in [-7.0, -2.7, -1.0, 0.0, 0.4, 2.5, 3.5, 9.0]:  # 2σ = 2.6 excluded: Φ'' is singular there
        integral, _ = quad(lambda lam: density(lam) * math.log(abs(lam + mu)), -2 * sigma, 2 * sigma,
                           points=[-mu] if abs(mu) < 2 * sigma else None, limit=200)
        assert L.log_potential(mu, sigma) == pytest.approx(integral, abs=1e-8)  # quad reaches ~1e-10 here
        step = 1e-5  # central difference: error ~ step² Φ''' ~ 1e-10
        numeric = (L.log_potential(mu + step, sigma) - L.log_potential(mu - step, sigma)) / (2 * step)
        assert L.log_potential_derivative(mu, sigma) == pytest.approx(numeric, abs=1e-7)
    # closed values quoted in §D.2
    assert L.log_potential(2 * sigma, sigma) == pytest.approx(0.5 + math.log(sigma), abs=1e-14)
    theta = 2.0
    assert L.log_potential(theta + sigma**2 / theta, sigma) == pytest.approx(
        math.log(theta) + sigma**2 / (2 * theta**2), abs=1e-13
    )


def test_pure_matrix_limit_complexity():
    """Δp = ∞: stationary points are eigenvectors — zero complexity for the bulk ones at m = 0 and
    for the top eigenvector at m² = 1 - Δ2, μ = 1 + 1/Δ2 (§D.2 check (i)); negative elsewhere."""
    params = ModelParams(p=3, delta2=0.4, delta_p=math.inf)
    top = math.sqrt(1 - params.delta2)
    assert L.complexity(params, top, 1 + params.inv_delta2) == pytest.approx(0.0, abs=1e-14)
    bulk = np.linspace(-2 * params.sigma, 2 * params.sigma, 11)
    np.testing.assert_allclose(L.complexity(params, 0.0, bulk), 0.0, atol=1e-14)
    best, _ = L.complexity_max_over_multiplier(params, np.array([0.2, 0.5, 0.7]), minima=False)
    assert np.all(best < -1e-3)
    assert L.good_minimum(params).m == pytest.approx(top, rel=1e-12)
    # ... and the finite-Δp model approaches it
    assert L.good_minimum(ModelParams(p=3, delta2=0.4, delta_p=1e9)).m == pytest.approx(top, rel=1e-8)


@pytest.mark.parametrize("p", [3, 4, 5])
def test_pure_p_spin_limit_gives_the_auffinger_ben_arous_cerny_threshold(p):
    """1/Δ2 → 0: Σ_th = ½ ln(p-1) - (p-2)/p and ε_th = -2√(p-1)/(p√Δp) (ABC 2013, rescaled to f = q^p/(pΔp));
    in a pure p-spin model both threshold-energy definitions (ε_A, ε_B) coincide (§D.4)."""
    delta_p = 2.0
    states = L.threshold_states(ModelParams.from_inv_delta2(p, 1e-12, delta_p))
    assert states.complexity == pytest.approx(0.5 * math.log(p - 1) - (p - 2) / p, rel=1e-9)
    expected_energy = -2 * math.sqrt(p - 1) / (p * math.sqrt(delta_p))
    assert states.energy == pytest.approx(expected_energy, rel=1e-9)
    assert states.energy_marginal_typical == pytest.approx(expected_energy, rel=1e-9)


def test_threshold_complexity_is_the_closed_form_and_positive():
    for p, inv_delta2, delta_p in [(3, 2.5, 1.0), (4, 1.0, 4.0), (3, 0.5, 30.0)]:
        params = ModelParams.from_inv_delta2(p, inv_delta2, delta_p)
        states = L.threshold_states(params)
        assert states.complexity == pytest.approx(float(L.complexity(params, 0.0, states.mu)), abs=1e-14)
        assert states.complexity > 0
        a = params.d2f1 / params.df1  # small-(a-1) expansion of §D.4, (a-1)³/24, to leading order
        if a - 1 < 0.05:
            assert states.complexity == pytest.approx((a - 1) ** 3 / 24, rel=0.1)


def test_energy_resolved_complexity_agrees_with_the_multiplier_form():
    """Maximising Σ(m, ε, μ) over ε gives Σ(m, μ) at the typical energy; maximising the energy-resolved
    Σ(m, ε) over ε gives max_μ Σ(m, μ) (§D.2). Independent maximisations (scipy / dense grid)."""
    for m, mu in [(0.0, 4.3), (0.3, 5.0), (-0.2, 3.0), (0.5, 1.0)]:
        found = minimize_scalar(lambda e: -L.complexity_at_energy(P3, m, e, mu), bracket=(-3.0, -1.0), tol=1e-12)
        assert -found.fun == pytest.approx(float(L.complexity(P3, m, mu)), abs=1e-12)
        assert found.x == pytest.approx(float(L.typical_energy(P3, m, mu)), abs=1e-5)  # tol=1e-12 on a quadratic
    energies = np.linspace(-2.5, 0.5, 30001)  # the most numerous points at m = 0 have ε = 0
    for m in [0.0, 0.3, 0.7]:
        resolved, _ = L.complexity_energy_resolved(P3, m, energies)
        best, _ = L.complexity_max_over_multiplier(P3, m, minima=False)
        # grid step 1e-4 in ε, quadratic maximum: error ~ (1e-4)² × curvature(~10) ≈ 1e-7
        assert resolved.max() == pytest.approx(float(best), abs=1e-7)


def test_energy_resolved_maximiser_against_a_dense_multiplier_grid():
    grid = np.linspace(-20, 20, 400001)  # step 1e-4
    for m, energy in [(0.2, -1.9), (0.0, -1.85), (0.6, -2.0), (-0.4, -1.2)]:
        value, mu = L.complexity_energy_resolved(P3, m, energy)
        brute = L.complexity_at_energy(P3, m, energy, grid)
        assert float(value) == pytest.approx(brute.max(), abs=1e-8)  # (1e-4)² × curvature
        assert float(mu) == pytest.approx(grid[np.argmax(brute)], abs=2e-4)


def test_marginal_energy_is_where_typical_states_become_marginal():
    """ε_B (§D.4): the most numerous stationary points at m = 0 and ε = ε_B have μ = 2σ exactly."""
    states = L.threshold_states(P3)
    _, mu = L.complexity_energy_resolved(P3, 0.0, states.energy_marginal_typical)
    assert float(mu) == pytest.approx(2 * P3.sigma, rel=1e-12)
    # and ε_A is the energy of the most numerous marginal states: Σ(0, ε, 2σ) is maximal there
    found = minimize_scalar(lambda e: -L.complexity_at_energy(P3, 0.0, e, states.mu), bracket=(-2.5, -1.5), tol=1e-12)
    assert found.x == pytest.approx(states.energy, abs=1e-5)


def test_minima_complexity_never_exceeds_stationary_points_and_is_concave_maximum():
    m = np.linspace(-0.95, 0.95, 381)
    minima, mu_min = L.complexity_max_over_multiplier(P3, m)
    everything, mu_all = L.complexity_max_over_multiplier(P3, m, minima=False)
    assert np.all(minima <= everything + 1e-14)
    assert np.all(mu_min >= L.minimum_multiplier(P3, m) - 1e-12)
    mus = np.linspace(-15, 15, 30001)  # brute-force maximum over μ, step 1e-3
    for index in range(0, m.size, 38):
        values = L.complexity(P3, m[index], mus)
        assert everything[index] == pytest.approx(values.max(), abs=1e-6)
        threshold = float(L.minimum_multiplier(P3, m[index]))
        allowed = np.concatenate([[threshold], mus[mus > threshold]])  # the constrained maximum may sit at μ_c
        assert minima[index] == pytest.approx(L.complexity(P3, m[index], allowed).max(), abs=1e-6)


def test_hessian_outlier_and_minimum_condition_are_continuous_at_bbp():
    """At θ(m) = σ the outlier merges with the lower bulk edge and μ_c = 2σ from both sides (§D.1)."""
    params = ModelParams.from_inv_delta2(3, 2.0, 1.0)  # θ(0) = 1/Δ2 = 2 = σ exactly (GF threshold)
    assert float(L.signal_curvature(params, 0.0)) == pytest.approx(params.sigma, rel=1e-15)
    mu = 4.0
    near = L.isolated_eigenvalue(ModelParams.from_inv_delta2(3, 2.0 + 1e-9, 1.0), 0.0, mu)
    assert float(near) == pytest.approx(mu - 2 * params.sigma, abs=1e-6)
    assert math.isnan(float(L.isolated_eigenvalue(ModelParams.from_inv_delta2(3, 1.9, 1.0), 0.0, mu)))
    assert float(L.minimum_multiplier(params, 0.0)) == pytest.approx(2 * params.sigma)


def test_good_minimum_is_the_ml_amp_fixed_point_where_the_complexity_touches_zero():
    for p, inv_delta2, delta_p in [(3, 2.5, 1.0), (4, 2.0, 4.0), (3, 1.7, 0.5)]:
        params = ModelParams.from_inv_delta2(p, inv_delta2, delta_p)
        minimum = L.good_minimum(params)
        assert float(ml_amp_map(params, minimum.m)) == pytest.approx(minimum.m, abs=1e-13)
        best, mu = L.complexity_max_over_multiplier(params, minimum.m, minima=False)
        assert float(best) == pytest.approx(0.0, abs=1e-12)
        assert float(mu) == pytest.approx(minimum.mu, rel=1e-10)
        assert minimum.mu >= float(L.minimum_multiplier(params, minimum.m))  # it is a minimum
        # touched from below: Σ < 0 on both sides
        side, _ = L.complexity_max_over_multiplier(params, minimum.m + np.array([-0.02, 0.02]), minima=False)
        assert np.all(side < 0)


def test_good_minimum_below_any_root_raises():
    with pytest.raises(ParameterError, match="no minimum correlated"):
        L.good_minimum(ModelParams.from_inv_delta2(3, 0.5, 10.0))


def test_gf_threshold_is_where_the_threshold_states_outlier_crosses_zero():
    for p, delta_p in [(3, 1.0), (4, 4.0), (3, 0.05), (5, 20.0)]:
        gf = L.gf_threshold(p, delta_p)
        at = L.threshold_states(ModelParams.from_inv_delta2(p, gf * (1 + 1e-9), delta_p))
        assert at.outlier == pytest.approx(0.0, abs=1e-7)  # outlier ≈ -(θ-σ)²/θ: quadratic in 1e-9
        above = L.threshold_states(ModelParams.from_inv_delta2(p, gf * 1.05, delta_p))
        assert above.outlier < 0
        assert math.isnan(L.threshold_states(ModelParams.from_inv_delta2(p, gf * 0.95, delta_p)).outlier)


def test_ml_amp_threshold_is_where_zero_loses_stability():
    for delta_p in [0.1, 1.0, 4.0, 50.0]:
        params = ModelParams.from_inv_delta2(3, L.ml_amp_threshold(3, delta_p), delta_p)
        slope = float(ml_amp_map(params, 1e-7)) / 1e-7  # m ↦ f'(m)/√(f'(m)²+f'(1)) is linear to O(m)
        assert slope == pytest.approx(1.0, abs=1e-6)


def test_trivialisation_threshold_removes_the_last_spurious_minima():
    """Just below triv: spurious minima at m = 0; just above: Σ_min(m) < 0 on [0, m* - 0.02] (§D.7)."""
    for p, delta_p in [(3, 1.0), (4, 4.0), (3, 0.2), (4, 30.0)]:
        triv = L.triv_threshold(p, delta_p)
        below = ModelParams.from_inv_delta2(p, triv * (1 - 1e-3), delta_p)
        above = ModelParams.from_inv_delta2(p, triv * (1 + 1e-3), delta_p)
        assert float(L.complexity_max_over_multiplier(below, 0.0)[0]) > 0
        m_star = L.good_minimum(above).m
        overlaps = np.linspace(0.0, m_star - 0.02, 2000)
        assert np.all(L.complexity_max_over_multiplier(above, overlaps)[0] < 0)


def test_odd_p_negative_overlap_spurious_minima_outlive_triv():
    """Documented limitation of §D.7 for odd p: at m < 0 spurious minima remain above 1/Δ2^triv."""
    above = ModelParams.from_inv_delta2(3, L.triv_threshold(3, 1.0) * 1.01, 1.0)
    negative = np.linspace(-0.9, -0.01, 891)
    assert L.complexity_max_over_multiplier(above, negative)[0].max() > 1e-4


@pytest.mark.parametrize("p", [3, 4])
def test_thresholds_are_ordered_on_a_grid(p):
    delta_p = np.logspace(-2, 3, 41)
    computed = L.thresholds(p, delta_p)
    assert np.all(computed["ml_amp"] < computed["gf"])
    assert np.all(computed["gf"] < computed["triv"])


def test_threshold_limits():
    # Δp → ∞: all three → 1, with 1/Δ2 - 1 ∝ 1/Δp (§D.6, §E.2)
    for p in (3, 4):
        limit = L.thresholds(p, math.inf)
        assert limit == {"ml_amp": 1.0, "gf": 1.0, "triv": 1.0}
        large = L.thresholds(p, 1e3)
        assert all(1.0 < value < 1.0 + 5 * (p - 1) / 1e3 for value in large.values())
        assert (large["gf"] - 1) * 1e3 == pytest.approx(p - 1, rel=1e-2)  # 1 + (p-1)/Δp + O(Δp⁻²)
        assert (large["ml_amp"] - 1) * 1e3 == pytest.approx(1, rel=1e-2)
    # Δp → 0: growth like Δp^(-1/2): ML-AMP √Δp → 1, GF → √(p-1), triv → ≈1.68 (p=3), ≈2.26 (p=4)
    # (quoted to 3 digits in §D.7: 5e-3 relative)
    tiny = 1e-8
    assert L.ml_amp_threshold(3, tiny) * math.sqrt(tiny) == pytest.approx(1.0, rel=1e-3)
    assert L.gf_threshold(4, tiny) * math.sqrt(tiny) == pytest.approx(math.sqrt(3), rel=1e-3)
    assert L.triv_threshold(3, tiny) * math.sqrt(tiny) == pytest.approx(1.68, rel=5e-3)
    assert L.triv_threshold(4, tiny) * math.sqrt(tiny) == pytest.approx(2.26, rel=5e-3)


def test_gf_and_ml_amp_identity():
    """Δ2^GF(p, Δp) = Δ2^ML-AMP(Δp/(p-1)) (§D.6)."""
    for p in (3, 4, 7):
        for delta_p in (0.01, 1.0, 123.0):
            assert L.gf_threshold(p, delta_p) == pytest.approx(L.ml_amp_threshold(p, delta_p / (p - 1)), rel=1e-14)


@pytest.mark.parametrize(
    ("p", "delta_p", "message"),
    [(2, 1.0, "p must be"), (3, 0.0, "delta_p must be > 0"), (3, -1.0, "> 0"), (3, math.nan, "finite"),
     (3, 1e6, "not resolvable")],
)
def test_threshold_errors(p, delta_p, message):
    with pytest.raises(ParameterError, match=message):
        L.triv_threshold(p, delta_p)


def test_overlap_outside_the_sphere_is_refused():
    with pytest.raises(ParameterError, match="overlap"):
        L.complexity(P3, 1.0, 4.0)


@pytest.mark.parametrize("inv_delta2", [2.0, 2.1, 2.19])
def test_zero_overlap_states_run_from_the_threshold_states_to_the_complexity_zero(inv_delta2):
    """§D.4 closed form at μ = 2σ, Σ = 0 at the last μ, and the outlier changing sign at μ_c(0) = θ + σ²/θ."""
    model = ModelParams.from_inv_delta2(3, inv_delta2, 1.0)
    states = L.zero_overlap_states(model, 101)
    assert states.multiplier[0] == 2 * model.sigma
    assert states.complexity[0] == pytest.approx(L.threshold_states(model).complexity, rel=1e-12)
    assert abs(states.complexity[-1]) < 1e-13 and np.all(np.diff(states.complexity) < 0)
    theta = 1.0 / model.delta2
    if theta > model.sigma:  # above the GF threshold: saddles below the switch, minima from it on
        assert states.switch_multiplier == pytest.approx(theta + model.sigma**2 / theta, rel=1e-14)
        below = states.multiplier < states.switch_multiplier
        assert (states.outlier[below] < 0).all() and (states.outlier[~below] > -1e-12).all()
        assert states.switch_multiplier in states.multiplier
    else:  # at the GF threshold there is no outlier: every such point is a minimum
        assert np.isnan(states.outlier).all()


def test_zero_overlap_states_refuse_the_pure_matrix_limit():
    with pytest.raises(ParameterError, match="finite delta_p"):
        L.zero_overlap_states(ModelParams.from_inv_delta2(3, 2.0, math.inf))
