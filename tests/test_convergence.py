"""Finite N meets large N (bigbadminima.convergence, issue 4 item 4).

The physics tests run gradient flow at N = 64, 128, 256 from m0 = 0.2 (1/Δ2 = 2.5) against the
reference CHSCK scheme from the same m0: the large-N curve must lie in the simultaneous 99 % band of
the median and the spread of the runs must shrink like N^-1/2; the same runs compared with the
large-N curve of a 1/Δ2 20 % off must fail (the comparison can tell a wrong curve).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bigbadminima.cli import main
from bigbadminima.cli.convergence import BAND_LEVEL
from bigbadminima.convergence import (
    RUN_COLUMNS,
    ConvergenceError,
    compare_size,
    convergence_exponent,
    large_n_overlap,
    run_matrix,
    summary_table,
)
from bigbadminima.dynamics import solve_chsck
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import convergence_checks, evaluate_checks, validate_checks

PARAMS = ModelParams.from_inv_delta2(3, 2.5, 1.0)
M0, T_MAX = 0.2, 6.0
SIZES = {64: 32, 128: 32, 256: 16}  # N: instances (2 starts each); ~10 s of flow on one core


def synthetic_runs(n: int, instances: int, replicas: int, rng, bias: float, spread: float) -> pd.DataFrame:
    """m_k(t) = m_∞(t) + bias/N·g(t) + spread/√N·ξ_instance·g(t), g(t) = t e^{-t}: known D(N)."""
    times = np.linspace(0.0, 5.0, 26)
    shape = times * np.exp(-times)
    rows = []
    for seed in range(instances):
        shift = rng.standard_normal()
        for replica in range(replicas):
            overlap = np.tanh(times) + (bias / n + spread * shift / np.sqrt(n)) * shape
            rows.append(pd.DataFrame({"p": 3, "n": n, "delta_p": 1.0, "inv_delta2": 2.5, "m0": 0.0, "t_max": 5.0, "seed": seed,
                                      "replica": replica, "time": times, "overlap": overlap, "energy": 0.0}))
    return pd.concat(rows, ignore_index=True)[RUN_COLUMNS]


def test_median_distance_of_a_known_finite_size_correction():
    # spread 0: every run sits at bias/N·g(t); D = bias/N·max g = bias/(e N) exactly, exponent 1
    rng = np.random.default_rng(0)
    curve_t = np.linspace(0, 5, 501)
    comparisons = [compare_size(n, synthetic_runs(n, 4, 2, rng, 2.0, 0.0), curve_t, np.tanh(curve_t), rng, 200)
                   for n in (50, 100, 200, 400)]
    for comparison in comparisons:
        assert comparison.deviation == pytest.approx(2.0 / (np.e * comparison.n), rel=1e-6)
        assert comparison.summary_row(0.95)["deviation_standard_error"] < 1e-12  # every bootstrap draw is the same
    fit = convergence_exponent(comparisons, "deviation")
    assert fit["exponent"] == pytest.approx(1.0, abs=1e-6)
    assert fit["prefactor"] == pytest.approx(2.0 / np.e, rel=1e-6)


def test_bootstrap_resamples_instances_and_is_reproducible():
    curve_t = np.linspace(0, 5, 501)
    runs = synthetic_runs(100, 10, 3, np.random.default_rng(1), 0.0, 1.0)
    first = compare_size(100, runs, curve_t, np.tanh(curve_t), np.random.default_rng(5), 300)
    again = compare_size(100, runs, curve_t, np.tanh(curve_t), np.random.default_rng(5), 300)
    np.testing.assert_array_equal(first.deviation_draws, again.deviation_draws)
    assert first.instances == 10 and first.runs == 30
    # the band holds the median; the draws scatter on the instance scale spread/√N·max g = 0.037
    assert np.all(first.band_low <= first.median + 1e-12) and np.all(first.median <= first.band_high + 1e-12)
    assert 0.002 < first.summary_row(0.95)["deviation_standard_error"] < 0.037


def test_inputs_are_checked():
    runs = synthetic_runs(100, 3, 1, np.random.default_rng(2), 0.0, 1.0)
    with pytest.raises(ConvergenceError, match="covers t"):
        large_n_overlap(np.linspace(0, 4, 5), np.zeros(5), runs["time"].unique())
    with pytest.raises(ConvergenceError, match="same times"):
        run_matrix(runs.drop(index=3))
    with pytest.raises(ConvergenceError, match="two sizes"):
        convergence_exponent([compare_size(100, runs, np.linspace(0, 5, 11), np.zeros(11), np.random.default_rng(0), 100)])


@pytest.fixture(scope="module")
def finite_runs() -> dict[int, pd.DataFrame]:
    """Gradient flow from m(0) = M0 at each N of SIZES, two starts per instance."""
    out = {}
    for n, instances in SIZES.items():
        frames = []
        for seed in range(1, instances + 1):
            instance = Instance.generate(InstanceSpec(PARAMS, n, seed), tensor_layout="packed")
            flow = run_gradient_flow(instance, initial_conditions(instance, 2, m0=M0), T_MAX, 0.1, points_per_decade=20)
            times, replicas = np.meshgrid(flow.times, np.arange(2), indexing="ij")
            frames.append(pd.DataFrame({"p": 3, "n": n, "delta_p": 1.0, "inv_delta2": 2.5, "m0": M0, "seed": seed,
                                        "replica": replicas.ravel(), "time": times.ravel(),
                                        "overlap": flow.overlap.ravel(), "energy": flow.energy.ravel()}))
        out[n] = pd.concat(frames, ignore_index=True)
    return out


def comparisons_against(params: ModelParams, finite_runs) -> tuple[list, dict, float]:
    large = solve_chsck(params, T_MAX, M0, method="uniform", step=0.02)
    rng = np.random.default_rng(11)
    comparisons = [compare_size(n, runs, large.t, large.m, rng, 400) for n, runs in sorted(finite_runs.items())]
    return comparisons, convergence_exponent(comparisons), float(np.nanmax(large.m_error))


def checks(comparisons, fit, curve_error) -> pd.DataFrame:
    point = {"p": 3, "delta_p": 1.0, "inv_delta2": 2.5, "m0": M0, "curve_overlap_error": curve_error,
             "curve_method": "uniform", "t_max": T_MAX}
    summary = summary_table(comparisons, fit, 0.95, BAND_LEVEL, point)
    return evaluate_checks(validate_checks(convergence_checks(summary), "test"))


def test_finite_n_runs_concentrate_on_the_large_n_curve(finite_runs):
    comparisons, fit, curve_error = comparisons_against(PARAMS, finite_runs)
    rows = checks(comparisons, fit, curve_error)
    # measured on these runs: Z = 1.85, 1.37, 0.53 against 99 % critical values 3.98, 3.94, 4.65;
    # S·√N = 2.05, 1.89, 2.67 and a = 0.31 ± 0.21 (the default pipeline, N = 64..512: a = 0.49 ± 0.09)
    assert rows["passed"].all(), rows[["quantity", "reproduced", "tolerance", "deviation"]]
    assert all(c.standardised_deviation <= c.critical_value(0.99) for c in comparisons)
    assert comparisons[-1].spread < comparisons[0].spread


@pytest.mark.parametrize("wrong_inv_delta2", [2.0, 3.0])
def test_a_large_n_curve_of_another_snr_fails_the_check(finite_runs, wrong_inv_delta2):
    # 20 % off in 1/Δ2 (m* moves by ~0.04, the rise by more): measured Z = 6.7 and 5.1 against 4.65
    comparisons, fit, curve_error = comparisons_against(ModelParams.from_inv_delta2(3, wrong_inv_delta2, 1.0),
                                                        finite_runs)
    assert not checks(comparisons, fit, curve_error)["passed"].iloc[0]


def test_cli_summary_refuses_runs_of_another_m0(tmp_path, capsys):
    runs = synthetic_runs(50, 3, 1, np.random.default_rng(3), 0.0, 1.0)
    runs["m0"] = 0.3
    runs.to_csv(tmp_path / "n50.csv", index=False)
    curve = pd.DataFrame({"time": np.linspace(0, 5, 51), "overlap": 0.5, "multiplier": 1.0, "energy": -1.0,
                          "overlap_error": 0.0, "p": 3, "delta_p": 1.0, "inv_delta2": 2.5, "m0": 0.2, "temperature": 0.0,
                          "method": "uniform", "resolution": 0.02, "linear": False, "t_max": 5.0, "t_end": 5.0})
    curve.to_csv(tmp_path / "curve.csv", index=False)
    outputs = [str(tmp_path / name) for name in ("curves.csv", "summary.csv")]
    status = main(["convergence-summary", str(tmp_path / "n50.csv"), "--curve", str(tmp_path / "curve.csv"),
                   "--bootstrap-seed", "1", "--curves-out", outputs[0], "--summary-out", outputs[1]])
    assert status == 2
    assert "m0 = 0.2" in capsys.readouterr().err
    assert not any((tmp_path / name).exists() for name in ("curves.csv", "summary.csv"))
