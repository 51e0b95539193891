"""Escape times, outcomes, error bars and large-N references of the finite-size stage (theory.md §B.2, §D.6, §F.3)."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from bigbadminima.cli import main
from bigbadminima.finite_size import (
    MEDIAN_ABS_NORMAL,
    asymptotic_midpoint,
    asymptotic_slope,
    crossing_point,
    escape_statistics,
    first_passage_time,
    fit_log_growth,
    horizon_for_size,
    large_n_prediction,
    median_escape_time,
    run_outcome,
    run_to_horizon,
    summarise_runs,
    typical_initial_overlap,
    wilson_interval,
)
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.landscape import threshold_growth_rate
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams

from .conftest import instance_set


def test_first_passage_interpolates_between_records():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    overlap = np.array([[0.1, 0.6, 0.1], [0.3, 0.7, 0.2], [0.7, 0.2, 0.3], [0.9, 0.1, 0.4]])
    crossing = first_passage_time(times, overlap, 0.5)
    # column 0 crosses between t = 1 (0.3) and t = 2 (0.7): halfway; column 1 starts above; column 2 never
    assert crossing[0] == pytest.approx(1.5, abs=1e-15) and crossing[1] == 0.0 and np.isnan(crossing[2])


def test_escape_sign_and_staying_separate_success_from_the_negative_branch_transients_and_trapped_runs():
    times = np.arange(5.0)
    overlap = np.array([
        # success   negative   transient (back below)   transient (sign change)   trapped
        [0.05, 0.05, 0.05, 0.05, 0.05],
        [0.30, -0.30, 0.45, 0.45, 0.10],
        [0.50, -0.50, 0.45, 0.45, 0.20],
        [0.70, -0.70, 0.30, -0.45, 0.30],
        [0.80, -0.80, 0.20, -0.80, 0.35],
    ])
    escape_time, sign, stayed = escape_statistics(times, overlap, 0.4)
    assert escape_time[0] == pytest.approx(1.5) and escape_time[1] == pytest.approx(1.5)
    assert escape_time[2] == pytest.approx((0.4 - 0.05) / 0.4)  # |m| passes 0.4 between t = 0 and 1
    np.testing.assert_array_equal(sign, [1, -1, 1, 1, 0])
    np.testing.assert_array_equal(stayed, [True, True, False, False, False])
    assert np.isnan(escape_time[4])
    np.testing.assert_array_equal(run_outcome(sign, stayed), ["success", "negative", "transient", "transient", "trapped"])


def test_runs_to_the_horizon_record_what_the_flow_records():
    """The outcome of each run is read off the same records as a plain gradient-flow run: same escape times,
    end overlaps and energies; the success criterion needs m ≥ ½ m* to the end, which a first passage does not."""
    params = ModelParams.from_inv_delta2(3, 2.5, 1.0)
    instance = Instance.generate(InstanceSpec(params, 48, 3), "packed")
    x0 = initial_conditions(instance, 12)
    horizon, record_every, level = 20.0, 0.5, 0.4
    runs = run_to_horizon(instance, x0, horizon, 0.1, level, record_every=record_every)
    full = run_gradient_flow(instance, x0, horizon, 0.1, points_per_decade=200, resolution=record_every)
    np.testing.assert_allclose(np.diff(full.times), record_every)  # every record time is on the grid
    np.testing.assert_allclose(runs.escape_time, first_passage_time(full.times, np.abs(full.overlap), level),
                               rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(runs.final_overlap, full.overlap[-1], rtol=1e-12)
    np.testing.assert_allclose(runs.final_energy, full.energy[-1], rtol=1e-12)
    assert 0 < runs.success.sum() < 12  # both outcomes present, so the comparison means something
    np.testing.assert_array_equal(runs.success, (full.overlap >= level).any(axis=0) & runs.stayed & (runs.escape_sign > 0))
    with pytest.raises(ValueError, match="multiple of record_every"):
        run_to_horizon(instance, x0, 10.25, 0.1, level, record_every=0.5)
    with pytest.raises(ValueError, match="escape overlap"):
        run_to_horizon(instance, x0, 10.0, 0.1, 1.2)


def test_typical_initial_overlap_is_the_median_of_random_starts():
    """Monte Carlo: the median of m(0) over 4000 uniform starts at N = 400 against Φ⁻¹(3/4)/√N; the sample
    median's standard error is √(1/4)/(√n f(median)) with f the density of |g|/√N at its median."""
    instance = Instance.generate(InstanceSpec(ModelParams.from_inv_delta2(3, 2.5, 1.0), 400, 5), "packed")
    starts = initial_conditions(instance, 4000)
    median = float(np.median(instance.overlap(starts)))
    density = 2 * math.exp(-MEDIAN_ABS_NORMAL**2 / 2) / math.sqrt(2 * math.pi) * math.sqrt(400)
    standard_error = 0.5 / (math.sqrt(4000) * density)
    assert abs(median - typical_initial_overlap(400)) < 4 * standard_error
    assert MEDIAN_ABS_NORMAL == pytest.approx(0.674489750196082, abs=1e-15)


def test_wilson_interval_closed_forms_and_coverage():
    # k = 0: [0, z²/(n + z²)]; k = n: [n/(n + z²), 1]
    low, high = wilson_interval([0, 10], [10, 10], z=1.96)
    assert low[0] == 0.0 and high[0] == pytest.approx(1.96**2 / (10 + 1.96**2), rel=1e-12)
    assert low[1] == pytest.approx(10 / (10 + 1.96**2), rel=1e-12) and high[1] == 1.0
    # coverage of the 95% interval by exact binomial sums at n = 40 over a range of p: the Wilson
    # interval's coverage oscillates around 95% and stays above ~92% (Brown, Cai, DasGupta 2001)
    n, k = 40, np.arange(41)
    low, high = wilson_interval(k, np.full(41, n))
    for p in np.linspace(0.05, 0.95, 19):
        pmf = np.array([math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in k])
        assert pmf[(low <= p) & (p <= high)].sum() > 0.92
    with pytest.raises(ValueError):
        wilson_interval([3], [2])


def test_log_growth_fit_median_and_crossing():
    n = np.array([64, 128, 256, 512])
    assert fit_log_growth(n, 1.5 + 2.0 * np.log(n)) == pytest.approx((1.5, 2.0), rel=1e-12)
    with pytest.raises(ValueError, match="two sizes"):
        fit_log_growth([64, 64], [1.0, 2.0])
    # censored median: never-escaped runs count as +inf; undefined when half or more never escaped
    assert median_escape_time(np.array([1.0, 2.0, 3.0, np.nan, np.nan])) == 3.0
    assert math.isnan(median_escape_time(np.array([1.0, 2.0, np.nan, np.nan])))
    x = np.array([1.0, 2.0, 3.0])
    assert crossing_point(x, [0.1, 0.3, 0.7]) == pytest.approx(2.5)
    assert crossing_point(x, [0.6, 0.8, 0.9]) == -math.inf and crossing_point(x, [0.1, 0.2, 0.3]) == math.inf


def test_horizon_and_asymptotic_references():
    assert horizon_for_size(64, 6.0, 0.5) == 25.0  # 6 ln 64 = 24.95 rounded up to a multiple of 0.5
    assert horizon_for_size(256, 6.0, 0.5) == 33.5  # 33.27
    assert horizon_for_size(math.e ** 4, 2.0, 0.5) == 8.0  # an exact multiple is not rounded up
    with pytest.raises(ValueError, match="finite number"):
        horizon_for_size(64, math.nan, 0.5)
    # success by c ln N turns on at λ∞ = 1/(2c); b∞ = 1/(2λ∞), infinite at and below the threshold (1/Δ2 = 2)
    for c in (4.0, 6.0, 20.0):
        midpoint = asymptotic_midpoint(3, 1.0, c)
        assert threshold_growth_rate(ModelParams.from_inv_delta2(3, midpoint, 1.0)) == pytest.approx(0.5 / c, rel=1e-9)
        assert asymptotic_slope(ModelParams.from_inv_delta2(3, midpoint, 1.0)) == pytest.approx(c, rel=1e-9)
    assert asymptotic_slope(ModelParams.from_inv_delta2(3, 2.0, 1.0)) == math.inf
    assert asymptotic_midpoint(3, 1.0, 20.0) < asymptotic_midpoint(3, 1.0, 6.0)  # longer horizons: closer to 2


def test_large_n_prediction_reads_escape_and_success_up_to_the_horizon():
    times = np.linspace(0.0, 10.0, 21)
    overlap = np.clip(0.05 * np.exp(0.5 * times), None, 0.8)
    prediction = large_n_prediction(times, overlap, 0.4, 10.0)
    assert prediction["escape_time"] == pytest.approx(2 * math.log(8), abs=0.05) and prediction["success"]
    assert not large_n_prediction(times, overlap, 0.4, 3.0)["success"]  # escapes only after t = 3


def synthetic_runs(slope: float, seed: int = 0) -> pd.DataFrame:
    """Runs whose escape time is 1 + slope ln N + noise and whose success probability steps from 0.1 to 0.9
    between 1/Δ2 = 2 and 3 at every N: the summary must recover both."""
    rng = np.random.default_rng(seed)
    rows = []
    for n in (64, 128, 256):
        for x in (1.5, 2.0, 3.0, 3.5):
            share = 0.1 if x <= 2.0 else 0.9
            for instance in range(10):
                for replica in range(8):
                    success = rng.random() < share
                    rows.append({"n": n, "inv_delta2": x, "seed": instance, "replica": replica,
                                 "success": success, "escape_sign": 1 if success else 0,
                                 "escape_time": 1 + slope * math.log(n) + rng.normal(0, 0.3) if success else math.nan,
                                 "final_overlap": 0.8 if success else 0.0})
    return pd.DataFrame(rows)


def test_summary_recovers_a_planted_slope_and_midpoint():
    summary = summarise_runs(synthetic_runs(2.0), samples=300, seed=1)
    value, low, high = summary["slopes"][3.0]
    assert low < 2.0 < high and value == pytest.approx(2.0, abs=0.2) and high - low < 0.6
    assert all(math.isnan(summary["slopes"][x][0]) for x in (1.5, 2.0))  # censored medians: no slope
    for n in (64, 128, 256):
        value, low, high = summary["midpoints"][n]
        assert 2.0 < low <= value <= high < 3.0  # P: 0.1 at 2, 0.9 at 3: crossing of ½ halfway, 2.5 ± noise
    assert summary["points"][(64, 3.0)]["success_overlap_median"][0] == 0.8
    # the same seed gives the same intervals (bit for bit); another seed other draws
    again = summarise_runs(synthetic_runs(2.0), samples=300, seed=1)
    assert again["slopes"][3.0] == summary["slopes"][3.0]


def finite_size_curves(tmp_path, sizes, inv_delta2, c):
    """The large-N curves the summary needs: `bigbadminima dynamics` from the typical m(0) of each N to t_h(N)."""
    paths = []
    for n in sizes:
        path = tmp_path / f"curve_{n}.csv"
        assert main(["dynamics", "--p", "3", "--delta-p", "1", "--inv-delta2", str(inv_delta2),
                     "--m0", repr(typical_initial_overlap(n)), "--t-max", repr(horizon_for_size(n, c, 0.5)),
                     "--resolution", "0.5", "--out", str(path)]) == 0
        paths.append(str(path))
    return paths


def test_cli_run_and_summary(tmp_path):
    tables = []
    for n in (16, 24):
        out = tmp_path / f"runs_{n}.csv"
        assert main(["finite-size-run", "--p", "3", "--n", str(n), "--inv-delta2", "3", "--delta-p", "1",
                     "--seeds", "1", "2", *instance_set(tmp_path, n, 3, [1, 2]), "--replicas", "3",
                     "--horizon-per-log-n", "3", "--out", str(out)]) == 0
        tables.append(str(out))
    curves = finite_size_curves(tmp_path, (16, 24), 3, 3.0)
    outputs = {name: tmp_path / f"{name}.csv" for name in ("runs", "points", "midpoints", "slopes")}
    assert main(["finite-size-summary", *tables, "--curves", *curves, "--bootstrap-seed", "3",
                 "--bootstrap-samples", "100", *[f"--{name}-out={path}" for name, path in outputs.items()]]) == 0
    runs, points = pd.read_csv(outputs["runs"]), pd.read_csv(outputs["points"])
    assert len(runs) == 12 and list(points["runs"]) == [6, 6]
    assert list(runs["horizon"].unique()) == [8.5, 10.0]  # 3 ln 16 = 8.32, 3 ln 24 = 9.53, rounded up
    assert (points[["successes", "negative", "transient", "trapped"]].sum(axis=1) == points["runs"]).all()
    assert (points["wilson_low"] <= points["probability"]).all() and (points["probability"] <= points["wilson_high"]).all()
    assert runs["initial_overlap"].gt(0).all() and points["large_n_success"].all()
    slopes = pd.read_csv(outputs["slopes"])
    assert slopes["asymptotic_slope"].iloc[0] == pytest.approx(0.5 / threshold_growth_rate(ModelParams.from_inv_delta2(3, 3.0, 1.0)))
    # a curve from another m0 than the typical one of a size is refused
    assert main(["finite-size-summary", *tables, "--curves", curves[0], curves[0], "--bootstrap-seed", "3",
                 *[f"--{name}-out={path}" for name, path in outputs.items()]]) == 2


def test_cli_rejects_bad_input_with_a_message(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    arguments = ["finite-size-run", "--p", "3", "--n", "16", "--delta-p", "1",
                 "--replicas", "2", "--out", str(out), "--seeds", "1"]
    with pytest.raises(SystemExit) as exit_status:
        main([*arguments, "--inv-delta2", "3", *instance_set(tmp_path, 16, 3, [1]), "--horizon-per-log-n", "nan"])
    assert exit_status.value.code == 2 and "--horizon-per-log-n: must be finite" in capsys.readouterr().err
    # no minimum correlated with the signal at 1/Δ2 = 1.1: no escape level, refused before any run
    assert main([*arguments, "--inv-delta2", "1.1", *instance_set(tmp_path, 16, 1.1, [1]), "--horizon-per-log-n", "2"]) != 0
    assert "no minimum correlated with the signal" in capsys.readouterr().err
    assert not out.exists()
    assert main(["finite-size-summary", str(tmp_path / "missing.csv"), "--curves", "c.csv", "--bootstrap-seed", "1",
                 *[f"--{name}-out={tmp_path / name}.csv" for name in ("runs", "points", "midpoints", "slopes")]]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_large_config_plans_the_finite_size_study_up_to_n_2048(tmp_path):
    """workflow/config/large.yaml, given after the default config, validates and plans one run and one large-N
    curve per (N, 1/Δ2) of its six sizes, the rest of the DAG unchanged."""
    from .conftest import copy_workflow, run_snakemake

    workdir = copy_workflow(tmp_path)
    completed = run_snakemake(workdir, "--dry-run", "--configfile", "workflow/config/default.yaml",
                              "workflow/config/large.yaml")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    planned = re.search(r"^finite_size_run\s+(\d+)$", completed.stdout, flags=re.M)
    assert planned and int(planned.group(1)) == 36
    assert "results/finite_size/p3/dp1/n2048/id2_3.csv" in completed.stdout


def test_a_grid_value_without_a_good_minimum_is_refused_before_any_job(tmp_path):
    """1/Δ2 = 1.1 has no minimum correlated with the signal (theory.md §D.5), hence no escape level ½ m*."""
    from .conftest import copy_workflow, run_snakemake

    workdir = copy_workflow(tmp_path)
    config = (workdir / "workflow" / "config" / "ci.yaml").read_text()
    (workdir / "bad.yaml").write_text(config.replace("  inv_delta2: [1.6, 3.2]\n", "  inv_delta2: [1.1, 3.2]\n"))
    completed = run_snakemake(workdir, "--dry-run", "--configfile", "bad.yaml")
    message = completed.stdout + completed.stderr
    assert completed.returncode != 0 and "finite_size.inv_delta2: 1.1 has no escape level" in message
    assert "Traceback" not in message and not (workdir / "results").exists()
