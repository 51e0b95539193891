"""Cost guards of :func:`bigbadminima.dynamics.solve_chsck` (issue 11 item 7).

A run whose work or memory would pass the module's stated bounds (MAX_MEMORY_BYTES,
MAX_UNIFORM_STEPS, MAX_DOUBLINGS, MIN_DOUBLING_RESOLUTION) is refused up front with a
ParameterError that gives the numbers; so are non-finite arguments. Every case here is refused
before the solver allocates anything, so the file runs in well under a second (a guard that
let its case through would make the test hang or run out of memory: each is also timed).
"""

from __future__ import annotations

import math
import time

import pytest

from bigbadminima import dynamics
from bigbadminima.dynamics import solve_chsck
from bigbadminima.params import ModelParams, ParameterError

PARAMS = ModelParams.from_inv_delta2(3, 2.5, 1.0)


def refused(match: str, t_max: float, **options) -> str:
    started = time.perf_counter()
    with pytest.raises(ParameterError, match=match) as caught:
        solve_chsck(PARAMS, t_max, **options)
    assert time.perf_counter() - started < 1.0, "the refusal must come before any integration"
    return str(caught.value)


def test_the_bounds_are_named_at_module_level():
    assert dynamics.MAX_MEMORY_BYTES == 8 * 2**30
    assert dynamics.MAX_UNIFORM_STEPS == 20_000
    assert dynamics.MAX_DOUBLINGS == 40
    assert dynamics.MIN_DOUBLING_RESOLUTION == 1 / 16


def test_an_endless_horizon_is_refused_with_its_doubling_count():
    message = refused("MAX_DOUBLINGS = 40", 1e300)
    assert "996 step doublings" in message and "t_max = 1e+300" in message


def test_the_doubling_bound_allows_the_horizons_the_project_needs():
    # t = 10^6 (issue 14 item 4) at resolution 4 needs 19 doublings and ~3.1 GiB by the estimate
    doublings, memory = dynamics._doubling_cost(1e6, 4.0, linear=False)
    assert doublings == 19 and memory < dynamics.MAX_MEMORY_BYTES
    assert dynamics._doubling_cost(2.5e12, 1.0, linear=False)[0] == 40  # the largest accepted
    refused("needs 41 step doublings", 1.5 * 2.56 * 2.0**40, error_estimate=False)


def test_a_huge_resolution_is_refused_by_its_memory():
    message = refused("MAX_MEMORY_BYTES = 8 GiB", 100.0, resolution=1000.0)
    assert "resolution 1000" in message and "GiB" in message


def test_the_memory_bound_counts_the_escape_hold_and_the_second_process():
    refused("resolution 8 would need ~12.1 GiB", 100.0, resolution=8.0)  # window grown to 8N rows
    refused("resolution 6 with workers=2", 100.0, resolution=6.0, workers=2)
    # m_tol may refine up to max_resolution: the largest level is checked before the first pass
    refused("resolution 8", 100.0, m_tol=1e-3, max_resolution=16.0)
    # linear runs never hold: their window stays at N rows and resolution 8 fits
    assert dynamics._doubling_cost(100.0, 8.0, linear=True)[1] < 2**30


def test_uniform_step_count_and_memory_are_bounded():
    message = refused("MAX_UNIFORM_STEPS = 20000", 1000.0, method="uniform", step=0.02)
    assert "5e+04 steps" in message
    refused("MAX_UNIFORM_STEPS", 1e300, method="uniform")
    # 19000 steps pass the step bound, but the full C and R of keep_two_time do not fit
    refused("step 0.01, t_max = 190 would need ~8.41 GiB", 190.0, method="uniform", step=0.01, keep_two_time=True)
    # the half-step run of m_tol counts too
    refused("step 0.005", 150.0, method="uniform", step=0.01, m_tol=1e-6, max_resolution=2.0)


def test_resolutions_whose_band_grid_is_empty_are_refused():
    # resolution 0.1 runs its error estimate at 0.05 <= 1/16, where the band grid construction never ends
    refused("resolution 0.05 \\(half-resolution", 100.0, resolution=0.1)
    refused("resolution 0.05 \\(main", 100.0, resolution=0.05, error_estimate=False)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"t_max": math.inf}, "t_max must be finite"),
        ({"t_max": math.nan}, "t_max must be finite"),
        ({"t_max": 10.0, "m0": math.nan}, "m0 must be finite"),
        ({"t_max": 10.0, "m0": math.inf}, "m0 must be finite"),
        ({"t_max": 10.0, "m0": math.nan, "linear": True}, "m0 must be finite"),
        ({"t_max": 10.0, "resolution": math.inf}, "resolution and step must be finite"),
        ({"t_max": 10.0, "resolution": math.nan}, "resolution and step must be finite"),
        ({"t_max": 10.0, "method": "uniform", "step": math.inf}, "resolution and step must be finite"),
        ({"t_max": 10.0, "m_tol": 1e-3, "max_resolution": math.inf}, "max_resolution must be finite"),
    ],
)
def test_non_finite_arguments_are_refused(options, match):
    options = dict(options)
    refused(match, options.pop("t_max"), **options)
