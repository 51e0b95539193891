"""Tests of the escape-time, growth-rate and threshold fits on data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bigbadminima.fits import (
    escape_time,
    extrapolate_rate,
    growth_rate,
    power_law_threshold,
    threshold_from_rates,
)
from bigbadminima.landscape import gf_threshold
from bigbadminima.params import ModelParams


def test_escape_time_interpolates_the_first_crossing():
    t = np.linspace(0, 10, 11)
    m = 0.1 * t  # crosses 0.4 at t = 4 exactly, again irrelevant later
    m[8:] = 0.2
    assert escape_time(t, m) == pytest.approx(4.0, abs=1e-12)
    assert math.isnan(escape_time(t, np.zeros_like(t)))


def test_growth_rate_of_an_exponential_is_its_exponent():
    t = np.concatenate([np.linspace(0.5, 10, 200), np.linspace(10.5, 1000, 400)])
    centres, rates = growth_rate(t, 0.03 * t + 2.0)
    assert centres.size > 20
    np.testing.assert_allclose(rates, 0.03, rtol=1e-10)


def test_rate_extrapolation_recovers_the_limit():
    # λ(t) = λ_∞ + a t^(-β) with 1e-5 noise: λ_∞ back within 3 standard errors, and the error
    # is not absurdly small or large (the noise level sets it).
    rng = np.random.default_rng(3)
    t = np.geomspace(100, 5000, 40)
    rates = 0.0103 + 0.2 * t**-0.6 + 1e-5 * rng.standard_normal(t.size)
    fit = extrapolate_rate(t, rates, t_min=100)
    assert abs(fit.rate_inf - 0.0103) < 3 * fit.rate_inf_err
    assert 1e-6 < fit.rate_inf_err < 1e-3
    assert fit.exponent == pytest.approx(0.6, abs=0.1)


def closed_form_rate(theta: np.ndarray, p: int, delta_p: float) -> np.ndarray:
    """(θ - σ)²/θ, σ = √(θ + (p-1)/Δp): the outlier growth rate of theory.md §D.6."""
    sigma = np.sqrt(theta + (p - 1) / delta_p)
    return (theta - sigma) ** 2 / theta


@pytest.mark.parametrize("p, delta_p", [(3, 1.0), (4, 4.0)])
def test_threshold_fit_finds_where_the_rate_vanishes(p, delta_p):
    # Noise-free rates of the §D.6 shape on a grid above threshold: the quadratic fit of √(θλ)
    # must land on the closed form to 0.05 % (its model error is ~1e-4 relative).
    exact = gf_threshold(p, delta_p)
    theta = exact + np.array([0.1, 0.2, 0.35, 0.5, 0.75, 1.0]) * (exact - 1)
    rates = closed_form_rate(theta, p, delta_p)
    fit = threshold_from_rates(theta, rates, 1e-6 * np.ones_like(rates))
    assert abs(fit.threshold - exact) < 5e-4 * exact
    assert fit.ci_low <= fit.threshold <= fit.ci_high


def test_threshold_interval_covers_the_truth_under_noise():
    # With rate errors of 2e-4 (the scale of the CHSCK extrapolations) the 95 % interval must
    # contain θ_c in most of 40 independent draws (binomial: >= 33 expected ~95 %).
    exact = 2.0
    theta = np.array([2.1, 2.2, 2.35, 2.5, 2.75, 3.0])
    truth = closed_form_rate(theta, 3, 1.0)
    rng = np.random.default_rng(11)
    covered = 0
    for seed in range(40):
        noisy = truth + 2e-4 * rng.standard_normal(theta.size)
        fit = threshold_from_rates(theta, noisy, 2e-4 * np.ones_like(theta), samples=400, seed=seed)
        covered += fit.ci_low <= exact <= fit.ci_high
    assert covered >= 33


def test_power_law_fit_recovers_its_own_model():
    theta = np.array([2.05, 2.1, 2.2, 2.3, 2.5, 2.8])
    times = 40.0 * (theta - 1.9) ** -1.3
    theta_c, amplitude, gamma = power_law_threshold(theta, times)
    assert theta_c == pytest.approx(1.9, abs=1e-4)
    assert gamma == pytest.approx(1.3, abs=1e-3)
    assert amplitude == pytest.approx(40.0, rel=1e-3)


def test_rates_are_positive_only_above_the_closed_form():
    # Sanity of the shape used in these tests (theory.md §D.6): the outlier exists iff θ > σ.
    params = ModelParams.from_inv_delta2(3, 2.0, 1.0)
    assert params.inv_delta2 == pytest.approx(params.sigma)
