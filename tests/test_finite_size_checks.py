"""The checks of the finite-size stage (reproduction/finite_size.py, figure finite_size) pass on tables that
behave as theory.md says and fail on a plausible error of each kind: successful runs ending 10 % below m*, a
success criterion that counts transients (lower end overlaps, success at low 1/Δ2), a large-N curve ending
10 % off m* or without its error estimate, a midpoint 0.4 away from the large-N one."""

import math

import pandas as pd
import pytest

from bigbadminima.landscape import good_minimum
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import evaluate_checks, finite_size_checks, validate_checks

GRID = (1.4, 1.7, 2.0, 2.3, 2.6, 3.0)


def m_star(x):
    return good_minimum(ModelParams.from_inv_delta2(3, x, 1.0)).m


def tables(overlap_scale=1.0, overlap_shift=0.0, curve_scale=1.0, curve_error=1e-4, midpoint=1.5, midpoint_high=1.8,
           large_n_midpoint=1.55):
    """finite_size_points/midpoints/slopes as finite-size-summary writes them at N = 64, 256 (the columns the
    checks read): successes end at m* ± a bootstrap interval of ±0.02, the large-N curves at m* (error 1e-4)."""
    points = pd.DataFrame([{
        "p": 3, "delta_p": 1.0, "n": n, "inv_delta2": x, "horizon": 6 * math.log(n), "runs": 24, "instances": 4,
        "successes": 18, "success_overlap_median": m_star(x) * overlap_scale + overlap_shift,
        "success_overlap_median_low": m_star(x) * overlap_scale + overlap_shift - 0.02,
        "success_overlap_median_high": m_star(x) * overlap_scale + overlap_shift + 0.02, "confidence": 0.95,
        "typical_m0": 0.6745 / math.sqrt(n), "large_n_final_overlap": m_star(x) * curve_scale,
        "large_n_overlap_error": curve_error,
    } for n in (64, 256) for x in GRID])
    midpoints = pd.DataFrame([{
        "p": 3, "delta_p": 1.0, "n": n, "horizon": 6 * math.log(n), "horizon_per_log_n": 6.0, "midpoint": midpoint,
        "midpoint_low": -math.inf, "midpoint_high": midpoint_high, "confidence": 0.95,
        "large_n_midpoint": large_n_midpoint if n == 256 else -math.inf,
    } for n in (64, 256)])
    slopes = pd.DataFrame([{"p": 3, "delta_p": 1.0, "inv_delta2": x, "gf_threshold_inv_delta2": 2.0} for x in GRID])
    return points, midpoints, slopes


def failing(*args, **kwargs) -> set[str]:
    table = evaluate_checks(validate_checks(finite_size_checks(*tables(*args, **kwargs)), "test"))
    return set(table.loc[~table["passed"], "quantity"])


SUCCESS = "median end overlap m(t_h) of the successful runs (escaped to m > 0, stayed ≥ ½ m*)"
CURVE = "end overlap m(t_h) of the large-N curve from the typical m(0) = Φ⁻¹(3/4)/√N"
MIDPOINT = "midpoint 1/Δ2_c where P(success by t_h) crosses ½ (linear between grid points)"


def test_tables_as_theory_says_pass_with_rows_at_the_largest_size_above_the_threshold():
    table = evaluate_checks(validate_checks(finite_size_checks(*tables()), "test"))
    assert table["passed"].all(), table[~table["passed"]].to_string()
    # three 1/Δ2 above 1/Δ2^GF = 2 (2 is not above it), two rows each, at N = 256 only; one midpoint row
    assert len(table) == 7 and table["parameters"].str.contains("N=256").all()


def test_successes_ending_below_m_star_fail():
    assert failing(overlap_scale=0.9) == {SUCCESS}


def test_a_criterion_that_counts_transients_fails():
    """Counting the runs that escaped and fell back as successes puts end overlaps below ½ m* into the median
    (at N = 64, 1/Δ2 = 1.4: 9 of 96 runs) and successes at low 1/Δ2: the median drops by the fallen-back share
    and the midpoint moves below the grid."""
    assert SUCCESS in failing(overlap_scale=0.93)
    assert MIDPOINT in failing(midpoint=-math.inf)


def test_a_large_n_curve_off_its_end_state_or_without_an_error_estimate_fails():
    assert failing(curve_scale=1.1) == {CURVE}
    assert failing(curve_error=math.nan) == {CURVE}


def test_a_midpoint_away_from_the_large_n_one_fails_and_an_unplaceable_one_is_no_row():
    assert failing(large_n_midpoint=1.95) == {MIDPOINT}
    assert failing(midpoint=1.45, midpoint_high=1.5) == {MIDPOINT}
    # an interval reaching below the grid (low = -inf) borrows the upper half-width, 0.1 here, on both sides
    assert failing(midpoint=1.8, midpoint_high=1.9, large_n_midpoint=1.65) == {MIDPOINT}
    assert not failing(midpoint=1.7, midpoint_high=1.8, large_n_midpoint=1.62)
    table = finite_size_checks(*tables(large_n_midpoint=-math.inf))
    assert MIDPOINT not in set(table["quantity"])  # the grid cannot place the large-N midpoint: no row


def test_too_few_successes_to_measure_fail():
    points, midpoints, slopes = tables()
    points["success_overlap_median_low"] = math.nan
    points["success_overlap_median_high"] = math.nan
    table = evaluate_checks(validate_checks(finite_size_checks(points, midpoints, slopes), "test"))
    assert not table.loc[table["quantity"] == SUCCESS, "passed"].any()


@pytest.mark.parametrize("shift, fails", [(0.015, False), (-0.015, False), (0.025, True), (-0.025, True)])
def test_the_tolerance_is_the_measured_interval(shift, fails):
    # the interval is ±0.02 about the median: m* inside it passes, outside fails, on either side
    assert (SUCCESS in failing(overlap_shift=shift)) == fails
