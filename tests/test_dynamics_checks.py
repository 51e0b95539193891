"""The checks of the large-N curves (figure dynamics) pass on curves that behave as theory.md says and fail
on a plausible error of each kind: a first passage 10 % late, an end state 10 % off, a plateau μ 10 % low,
an escape below the threshold, a run stopped before its end state."""

import math

import numpy as np
import pandas as pd
import pytest

from bigbadminima import landscape as L
from bigbadminima.cli import main
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import dynamics_curve_checks, evaluate_checks, validate_checks

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


def checked(*curves):
    return evaluate_checks(validate_checks(dynamics_curve_checks(pd.concat(curves, ignore_index=True)), "dynamics"))


def failed(table):
    return set(table.loc[~table["passed"], "quantity"])


GOOD = dict(escape=dict(inv_delta2=2.5, t_escape=199.5), below=dict(inv_delta2=1.8))


def test_curves_as_theory_says_pass_every_row():
    table = checked(curve(**GOOD["escape"]), curve(**GOOD["below"]))
    assert table["passed"].all(), table[~table["passed"]].to_string()
    assert len(table) == 6  # first passage, three end-state rows, plateau μ, no escape below


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


def test_check_dynamics_command_writes_the_table(tmp_path):
    path, out = tmp_path / "dynamics.csv", tmp_path / "checks.csv"
    pd.concat([curve(**GOOD["escape"]), curve(**GOOD["below"])]).to_csv(path, index=False)
    assert main(["check-dynamics", "--table", str(path), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 6
    assert math.isclose(pd.read_csv(out)["expected"].iloc[0], 199.5)
