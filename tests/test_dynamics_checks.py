"""The checks of the large-N dynamics stage (reproduction/dynamics.py, figures dynamics and escape_time) pass
on tables that behave as theory.md says and fail on a plausible error of each kind: a first passage 10 %
late, an end state 10 % off, a plateau μ 10 % low, an escape below the threshold, a run stopped before its
end state; a growth rate 10 % off; a numerical threshold whose interval misses the closed form."""

import math

import numpy as np
import pandas as pd
import pytest

from bigbadminima import landscape as L
from bigbadminima.cli import main
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import dynamics_checks, evaluate_checks, validate_checks

M0 = 1e-10


def curve(inv_delta2, t_escape=None, t_end=400.0, end_scale=1.0, plateau_scale=1.0, m0=M0):
    """A CHSCK-like run at p=3, Δp=1: log m grows linearly to 0.4 at t_escape then settles at m*; μ ages
    towards 2σ as 1 − 0.05/√t on the plateau (theory.md §C.3)."""
    model = ModelParams.from_inv_delta2(3, inv_delta2, 1.0)
    time = np.linspace(1.0, t_end, 4000)
    mu = 2 * model.sigma * (1 - 0.05 / np.sqrt(time)) * plateau_scale
    energy = np.full_like(time, L.threshold_states(model).energy)
    if t_escape is None:
        overlap = m0 * (1 + time / 100)
    else:
        star = L.good_minimum(model)
        overlap = np.where(time < t_escape, m0 * np.exp(np.log(0.4 / m0) * time / t_escape), 0.4)
        after = time >= t_escape + 50
        overlap[after], mu[after], energy[after] = (end_scale * star.m, end_scale * star.mu,
                                                    end_scale * star.energy)
        between = (time >= t_escape) & ~after
        overlap[between] = np.linspace(0.4, end_scale * star.m, between.sum() + 2)[1:-1]
    return pd.DataFrame({"p": 3, "delta_p": 1.0, "inv_delta2": inv_delta2, "m0": m0, "time": time,
                         "overlap": overlap, "multiplier": mu, "energy": energy})


RATE_POINTS = (2.2, 2.5, 3.0)


def rates(scale_last=1.0, error=1e-3):
    """growth_rates.csv as gf-threshold writes it (two times per run): λ_∞ = (θ − σ)²/θ ± ``error``, the
    largest 1/Δ2's rate multiplied by ``scale_last``."""
    rows = []
    for theta in RATE_POINTS:
        closed = L.threshold_growth_rate(ModelParams.from_inv_delta2(3, theta, 1.0))
        rate = closed * (scale_last if theta == RATE_POINTS[-1] else 1.0)
        rows += [{"p": 3, "delta_p": 1.0, "inv_delta2": theta, "time": t, "rate": rate, "rate_inf": rate,
                  "rate_inf_err": error, "t_max": 2000.0} for t in (100.0, 1000.0)]
    return pd.DataFrame(rows)


def thresholds(found=2.001, low=1.975, high=2.025):
    return pd.DataFrame([{"p": 3, "delta_p": 1.0, "inv_delta2_gf": found, "ci_low": low, "ci_high": high,
                          "confidence": 0.95, "points": 6, "inv_delta2_min": 2.1, "inv_delta2_max": 3.0}])


def checked(*curves, rate_table=None, threshold_table=None):
    table = dynamics_checks(pd.concat(curves, ignore_index=True), rates() if rate_table is None else rate_table,
                            thresholds() if threshold_table is None else threshold_table)
    return evaluate_checks(validate_checks(table, "dynamics"))


def failed(table):
    return set(table.loc[~table["passed"], "quantity"])


GOOD = dict(escape=dict(inv_delta2=2.5, t_escape=199.5), below=dict(inv_delta2=1.8))


def test_curves_as_theory_says_pass_every_row():
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"]))
    assert table["passed"].all(), table[~table["passed"]].to_string()
    # first passage, three end-state rows, plateau μ, no escape below; the rate row; the threshold row
    assert len(table) == 8


@pytest.mark.parametrize(("change", "row"), [
    (dict(t_escape=1.1 * 199.5), "first passage of m(t) above 0.4, large-N gradient flow"),
    (dict(end_scale=1.1), "end state of the escaped runs: largest |overlap m(t_end) − its good-minimum value|"),
])
def test_a_late_escape_or_a_wrong_end_state_fails(change, row):
    assert row in failed(checked(curve(**{**GOOD["escape"], **change}), curve(**GOOD["below"])))


def test_a_plateau_multiplier_10_percent_low_fails():
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"], plateau_scale=0.9))
    assert failed(table) == {"multiplier μ(t_end) on the plateau vs 2√f''(1)"}


def test_an_escape_below_the_threshold_is_counted():
    table = checked(curve(**GOOD["escape"]), curve(inv_delta2=1.8, t_escape=150.0))
    assert "runs below the closed-form GF threshold that reach m = 0.4" in failed(table)


def test_a_run_stopped_before_its_end_state_fails():
    stopped = curve(**GOOD["escape"])
    stopped = stopped[stopped["time"] < 230]  # m between 0.4 and m* at the end
    assert any(q.startswith("end state") for q in failed(checked(stopped, curve(**GOOD["below"]))))


RATE_ROW = "largest |λ_∞ − (θ − σ)²/θ| / its error over the set (growth rate of m on the threshold states)"
THRESHOLD_ROW = "numerical GF threshold 1/Δ2_GF (zero of the fitted √(θ λ_∞))"


@pytest.mark.parametrize("scale", [0.9, 1.1])
def test_a_growth_rate_10_percent_off_fails(scale):
    # λ_∞(3.0) = 0.195: 10 % is 20 errors of 1e-3 (the default runs' errors are 0.6-2e-3)
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"]), rate_table=rates(scale_last=scale))
    assert failed(table) == {RATE_ROW}


@pytest.mark.parametrize(("found", "low", "high"), [(2.06, 2.03, 2.09), (1.95, 1.93, 1.99)])
def test_a_threshold_interval_that_misses_the_closed_form_fails(found, low, high):
    # 3 % high with a ±1.5 % interval; 2.5 % low with an interval whose upper side stops at 1.99
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"]),
                    threshold_table=thresholds(found, low, high))
    assert failed(table) == {THRESHOLD_ROW}


def test_the_threshold_tolerance_is_the_side_of_the_interval_towards_the_closed_form():
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"]), threshold_table=thresholds(1.99, 1.98, 2.05))
    row = table[table["quantity"] == THRESHOLD_ROW].iloc[0]
    assert row["passed"] and math.isclose(row["tolerance"], 0.06)


def test_check_dynamics_command_writes_the_table(tmp_path):
    paths = {name: tmp_path / f"{name}.csv" for name in ("curves", "rates", "thresholds")}
    out = tmp_path / "checks.csv"
    pd.concat([curve(**GOOD["escape"]), curve(**GOOD["below"])]).to_csv(paths["curves"], index=False)
    rates().to_csv(paths["rates"], index=False)
    thresholds().to_csv(paths["thresholds"], index=False)
    assert main(["check-dynamics", *(f"--{name}={path}" for name, path in paths.items()), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 8
    assert math.isclose(pd.read_csv(out)["expected"].iloc[0], 199.5)
