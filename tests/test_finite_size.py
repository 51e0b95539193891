"""Escape times, early stopping and error bars of the finite-size stage (theory.md §B.2, §F.3)."""

import math

import numpy as np
import pandas as pd
import pytest

from bigbadminima.cli import main
from bigbadminima.finite_size import fit_log_growth, first_passage_time, run_until_escape, wilson_interval
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams

from .conftest import instance_set


def test_first_passage_interpolates_between_records():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    overlap = np.array([[0.1, 0.6, 0.1], [0.3, 0.7, 0.2], [0.7, 0.2, 0.3], [0.9, 0.1, 0.4]])
    crossing = first_passage_time(times, overlap, 0.5)
    # column 0 crosses between t = 1 (0.3) and t = 2 (0.7): halfway; column 1 starts above; column 2 never
    assert crossing[0] == pytest.approx(1.5, abs=1e-15) and crossing[1] == 0.0 and np.isnan(crossing[2])


def test_early_stopping_changes_no_verdict_and_no_escape_time():
    """Runs stopped at their escape, against the same runs carried to the horizon: the same
    successes (m(t_h) > 0.5 exactly for the escaped runs: no run falls back below 0.5), and
    the same escape times. Dropping escaped replicas changes only the batch around the
    others (BLAS rounding, ~1e-15), hence 1e-8 on times of O(1-10)."""
    params = ModelParams.from_inv_delta2(3, 2.5, 1.0)
    instance = Instance.generate(InstanceSpec(params, 48, 3), "packed")
    x0 = initial_conditions(instance, 12)
    horizon, record_every = 20.0, 0.5
    stopped = run_until_escape(instance, x0, horizon, 0.1, record_every=record_every, segment=5.0)
    full = run_gradient_flow(instance, x0, horizon, 0.1, points_per_decade=200, resolution=record_every)
    np.testing.assert_allclose(np.diff(full.times), record_every)  # every record time is on the grid
    assert 0 < stopped.success.sum() < 12  # both outcomes present, so the comparison means something
    np.testing.assert_array_equal(stopped.success, full.overlap[-1] > 0.5)
    reference = first_passage_time(full.times, full.overlap, 0.5)
    np.testing.assert_allclose(stopped.escape_time, reference, rtol=1e-8, equal_nan=True)
    assert (stopped.final_time[stopped.success] < horizon).any()  # some runs did stop early
    np.testing.assert_array_equal(stopped.final_time[~stopped.success], horizon)


def test_segments_must_fit_the_recording_grid():
    instance = Instance.generate(InstanceSpec(ModelParams.from_inv_delta2(3, 2.5, 1.0), 16, 1), "packed")
    with pytest.raises(ValueError, match="multiples of record_every"):
        run_until_escape(instance, initial_conditions(instance, 2), 10.25, 0.1, record_every=0.5)


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


def test_log_growth_fit_recovers_a_known_law():
    rng = np.random.default_rng(0)
    n = np.repeat([64, 128, 256, 512, 1024], 40)
    times = 1.5 + 2.0 * np.log(n) + rng.normal(0, 0.5, n.size)
    fit = fit_log_growth(n, times)
    # estimates within 3 standard errors, and the standard error is the textbook σ/√(Σ(ln N - mean)²)
    assert abs(fit["slope_per_log_n"] - 2.0) < 3 * fit["slope_stderr"]
    assert abs(fit["intercept"] - 1.5) < 3 * fit["intercept_stderr"]
    expected_stderr = 0.5 / math.sqrt(np.sum((np.log(n) - np.log(n).mean()) ** 2))
    assert fit["slope_stderr"] == pytest.approx(expected_stderr, rel=0.15)
    with pytest.raises(ValueError, match="two sizes"):
        fit_log_growth([64, 64], [1.0, 2.0])


def test_cli_run_and_summary(tmp_path):
    tables = []
    for n in (16, 24):
        out = tmp_path / f"runs_{n}.csv"
        assert main(["finite-size-run", "--p", "3", "--n", str(n), "--inv-delta2", "3", "--delta-p", "1",
                     "--seeds", "1", "2", *instance_set(tmp_path, n, 3, [1, 2]), "--replicas", "3",
                     "--horizon", "10", "--out", str(out)]) == 0
        tables.append(str(out))
    outputs = {name: tmp_path / f"{name}.csv" for name in ("runs", "success", "escape", "fit")}
    assert main(["finite-size-summary", *tables, "--escape-inv-delta2", "3",
                 *[f"--{name}-out={path}" for name, path in outputs.items()]]) == 0
    runs, success = pd.read_csv(outputs["runs"]), pd.read_csv(outputs["success"])
    assert len(runs) == 12 and list(success["runs"]) == [6, 6]
    assert (success["ci_low"] <= success["probability"]).all() and (success["probability"] <= success["ci_high"]).all()
    escaped = runs[runs["success"]]
    assert (escaped["escape_time"] <= escaped["final_time"]).all() and runs["initial_overlap"].gt(0).all()


def test_cli_rejects_bad_input_with_a_message(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    arguments = ["finite-size-run", "--p", "3", "--n", "16", "--inv-delta2", "3", "--delta-p", "1",
                 "--replicas", "2", *instance_set(tmp_path, 16, 3, [1]), "--out", str(out)]
    assert main([*arguments, "--seeds", "1", "1", "--horizon", "5"]) == 2
    assert "--seeds repeats a value" in capsys.readouterr().err
    assert main([*arguments, "--seeds", "1", "--horizon", "5.2"]) == 2
    assert "multiples of record_every" in capsys.readouterr().err
    assert not out.exists()
    assert main(["finite-size-summary", str(tmp_path / "missing.csv"), "--escape-inv-delta2", "3",
                 *[f"--{name}-out={tmp_path / name}.csv" for name in ("runs", "success", "escape", "fit")]]) == 2
    assert "does not exist" in capsys.readouterr().err
