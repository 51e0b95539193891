"""Checks of the landscape stage (reproduction.landscape_checks, `bigbadminima check-landscape`).

Tables computed from the theory pass every row; tables with a planted error fail the row meant to
catch it; the finite-N tolerance rules hold on fresh small-N measurements (other seeds than the
calibration quoted in bigbadminima.reproduction.landscape); the ci run's landscape rows pass.
"""

import math

import numpy as np
import pandas as pd
import pytest

from bigbadminima import landscape as L
from bigbadminima.amp import ml_amp_state_evolution_limit, run_ml_amp
from bigbadminima.cli import main
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import evaluate_checks, landscape_checks, validate_checks
from bigbadminima.reproduction.dynamics import PLATEAU_APPROACH
from bigbadminima.reproduction.landscape import (
    AMP_BIAS,
    AMP_SPREAD,
    EDGE_TRACY_WIDOM_UNITS,
    GF_ENERGY_BIAS,
    GF_ENERGY_SPREAD,
    GF_MULTIPLIER_BIAS,
    GF_MULTIPLIER_SPREAD,
    MULTIPLIER_FINITE_N,
    REFERENCE_STATES,
    REFERENCE_THRESHOLDS,
)

from .conftest import instance_set

P, DELTA_P = 3, 1.0
MIDDLE = 2.5  # the §G state-level point


def params(inv_delta2, p=P, delta_p=DELTA_P):
    return ModelParams.from_inv_delta2(p, inv_delta2, delta_p)


# --- tables as the landscape commands write them, computed from the theory -----------------------

def threshold_table(grid=np.logspace(-1, 1, 12), orders=(3, 4), gf=L.gf_threshold, triv=L.triv_threshold):
    frames = []
    for p in orders:
        lines = {"ml_amp": L.ml_amp_threshold(p, grid), "gf": gf(p, grid), "triv": triv(p, grid)}
        frames += [pd.DataFrame({"p": p, "delta_p": grid, "threshold": name, "inv_delta2": values})
                   for name, values in lines.items()]
    return pd.concat(frames, ignore_index=True)


def complexity_table(values=(1.8, 2.4), triv_shift=0.0):
    """Σ_min at m = 0 (the figure's m grid has more points; only m = 0 is read by the checks)."""
    triv = L.triv_threshold(P, DELTA_P)
    rows = []
    for inv_delta2, is_triv in [(x, False) for x in values] + [(triv * (1 + triv_shift), True)]:
        sigma, mu = L.complexity_max_over_multiplier(params(inv_delta2), 0.0)
        rows.append(dict(p=P, delta_p=DELTA_P, inv_delta2=inv_delta2, kind="minima", overlap=0.0,
                         complexity=float(sigma), multiplier=float(mu), is_triv=is_triv, triv=triv))
        rows.append(dict(rows[-1], overlap=0.5, complexity=-1.0))
    return pd.DataFrame(rows)


def points_table():
    states, minimum = L.threshold_states(params(MIDDLE)), L.good_minimum(params(MIDDLE))
    return pd.DataFrame([
        dict(p=P, delta_p=DELTA_P, inv_delta2=MIDDLE, state="threshold states (most numerous, ε_A)", overlap=0.0,
             energy=states.energy),
        dict(p=P, delta_p=DELTA_P, inv_delta2=MIDDLE, state="good minimum", overlap=minimum.m,
             energy=minimum.energy),
    ])


def spectrum_table():
    rows = []
    for inv_delta2 in np.linspace(1.0, 4.0, 20):
        states = L.threshold_states(params(inv_delta2))
        rows.append(dict(p=P, delta_p=DELTA_P, inv_delta2=inv_delta2, multiplier=states.mu,
                         complexity=states.complexity))
    return pd.DataFrame(rows)


def plateau_states(n=400, values=(1.8, 3.0), sigma_of=lambda model: model.sigma, seeds=(1, 2)):
    """Threshold states exactly as §D.4 says (μ = 2σ, bulk [0, 4σ], BBP outlier below it)."""
    rows = []
    for inv_delta2 in values:
        model = params(inv_delta2)
        sigma = sigma_of(model)
        theta = inv_delta2
        outlier = 2 * sigma - theta - sigma**2 / theta if theta > sigma else math.nan
        for seed in seeds:
            rows.append(dict(p=P, delta_p=DELTA_P, n=n, inv_delta2=inv_delta2, seed=seed, flow="held", time=40.0,
                             overlap=0.0, multiplier=2 * sigma, highest=4 * sigma,
                             lowest=0.0 if math.isnan(outlier) else outlier,
                             second_lowest=0.0 if not math.isnan(outlier) else 0.01))
    return pd.DataFrame(rows)


def amp_tables(n=400, values=(2.2, 3.0)):
    runs = []
    for inv_delta2 in values:
        m_star = L.good_minimum(params(inv_delta2)).m
        converged = [(m_star - 0.01, 1e-9), (m_star + 0.01, 1e-9), (m_star - 0.02, 1e-9), (m_star + 0.02, 1e-9)]
        for seed, (overlap, step) in enumerate([*converged, (0.1, 1.2), (m_star - 1.2, 1e-9)]):
            runs.append(dict(p=P, delta_p=DELTA_P, n=n, method="ml_amp", inv_delta2=inv_delta2, seed=seed,
                             iteration=60, overlap=overlap, step=step))
    grid = np.linspace(1.0, 4.0, 31)
    fixed_points = [ml_amp_state_evolution_limit(params(x), 0.2) for x in grid]
    theory = pd.DataFrame(dict(p=P, delta_p=DELTA_P, inv_delta2=grid, state_evolution_fixed_point=fixed_points))
    return pd.DataFrame(runs), theory


def trajectories(n=256, values=(1.8, 2.5, 3.0), seeds=(1, 2, 3, 4)):
    """Final points: on the good minimum (escaped) or on the plateau (trapped, m ≈ 0: not counted)."""
    rows = []
    for inv_delta2 in values:
        minimum = L.good_minimum(params(inv_delta2))
        for seed in seeds:
            for replica, (m, mu, energy) in enumerate([(minimum.m, minimum.mu, minimum.energy), (0.05, 3.0, -1.5)]):
                for time, shift in [(0.0, 1.0), (200.0, 0.0)]:
                    rows.append(dict(p=P, n=n, delta_p=DELTA_P, inv_delta2=inv_delta2, seed=seed, replica=replica,
                                     time=time, overlap=m - 0.3 * shift, energy=energy + shift, multiplier=mu - shift))
    return pd.DataFrame(rows)


def zero_overlap_table(values=5, points=60):
    """The table `bigbadminima zero-overlap-table` writes for the stationary points at m = 0 (§D.6, §D.7)."""
    from bigbadminima.cli.landscape import zero_overlap_table as table

    return table(P, DELTA_P, values, points)


def tables(**overrides):
    runs, theory = amp_tables()
    built = dict(thresholds=threshold_table(), complexity=complexity_table(), points=points_table(),
                 threshold_spectrum=spectrum_table(), hessian_states=plateau_states(), amp_runs=runs,
                 amp_theory=theory, trajectories=trajectories(), zero_overlap=zero_overlap_table())
    built.update(overrides)
    return built


def checked(**overrides):
    return evaluate_checks(validate_checks(landscape_checks(**tables(**overrides)), "landscape"))


def rows_about(table, words):
    return table[table["quantity"].str.contains(words, regex=False)]


# --- theory tables pass; planted errors fail the row that should catch them ----------------------

def test_theory_tables_pass_every_row_and_cover_every_figure():
    table = checked()
    assert table["passed"].all(), table[~table["passed"]].to_string()
    counts = table["figure"].value_counts()
    # 2 x (3 thresholds + ordering); the sign count; 3 §G states + GF μ*, ε* at 2.5 and 3.0;
    # μ_th, Σ_th + 2 x (μ, top edge, bottom) + the outlier's zero crossing; 2 x (ML-AMP overlap, fraction
    # converged) + 2 Kac-Rice; zero overlap: Σ_th and the count inside the window
    assert counts.to_dict() == {"phase_diagram": 8, "complexity_minima": 1, "landscape_map": 7,
                                "threshold_spectrum": 9, "amp_vs_gf": 6, "zero_overlap_minima": 2}


def test_the_reference_thresholds_are_the_closed_forms_and_the_root():
    """theory.md §G rounded to 4 decimals: the library's values agree to that rounding (independent of tables)."""
    for (p, delta_p), values in REFERENCE_THRESHOLDS.items():
        computed = L.thresholds(p, delta_p)
        for name, value in values.items():
            assert abs(computed[name] - value) <= 0.5e-4 + 1e-12, (p, delta_p, name)


def test_the_reference_states_are_the_library_values():
    """theory.md §G state-level numbers (5-6 digits) against §D.4/§D.5 as implemented."""
    states, minimum = L.threshold_states(params(MIDDLE)), L.good_minimum(params(MIDDLE))
    computed = {"mu_th": states.mu, "energy_A": states.energy, "complexity_th": states.complexity,
                "m": minimum.m, "energy": minimum.energy}
    for name, value in REFERENCE_STATES.items():
        rounding = 5e-7 if name == "complexity_th" else 5e-6  # half a unit of the last decimal in §G
        assert abs(computed[name] - value) <= rounding, name


def test_a_wrong_gf_line_fails_the_reference_rows():
    def with_p_instead_of_p_minus_1(p, delta_p):
        return 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * p / np.asarray(delta_p)))

    table = checked(thresholds=threshold_table(gf=with_p_instead_of_p_minus_1))
    failed = table[~table["passed"]]
    assert len(rows_about(failed, "GF closed form (§D.6) line")) == 2
    assert rows_about(table, "ML-AMP (§E.2) line")["passed"].all()


def test_crossed_threshold_lines_are_counted():
    thresholds = threshold_table()
    crossing = (thresholds["p"] == 3) & (thresholds["threshold"] == "triv") & (thresholds["delta_p"] < 0.2)
    thresholds.loc[crossing, "inv_delta2"] = 1.0  # below the GF line at two Δp values
    row = rows_about(checked(thresholds=thresholds), "does not hold").iloc[0]
    assert row["reproduced"] == 2 and not row["passed"]


def test_a_misplaced_trivialisation_root_fails_the_reference_rows():
    # 1/Δ2^triv off by 1e-3 relative: 10x the §G rounding
    table = checked(thresholds=threshold_table(triv=lambda p, delta_p: 1.001 * L.triv_threshold(p, delta_p)))
    assert len(rows_about(table[~table["passed"]], "trivialisation (§D.7) line")) == 2


def test_a_spurious_minimum_above_triv_fails_the_sign_row():
    complexity = complexity_table()
    complexity.loc[(complexity["inv_delta2"] == 2.4) & (complexity["overlap"] == 0.0), "complexity"] = 1e-4
    assert not rows_about(checked(complexity=complexity), "does not coincide")["passed"].iloc[0]


def test_a_fixed_point_off_by_1e_4_is_not_a_kac_rice_zero():
    runs, theory = amp_tables()
    theory["state_evolution_fixed_point"] += 1e-4  # Σ_max ≈ -2.8e-8 there
    table = checked(amp_theory=theory)
    assert not rows_about(table, "max_μ Σ(m, μ)|")["passed"].iloc[0]


def test_plateau_states_with_the_wrong_sigma_fail():
    """σ² = f'(1) instead of f''(1) (§D.1) puts μ_th 14 % low at 1/Δ2 = 1.8: beyond the N = 400 tolerance."""
    table = checked(hessian_states=plateau_states(sigma_of=lambda model: math.sqrt(model.df1)))
    assert not rows_about(table, "multiplier μ of the plateau states")["passed"].all()


AMP_OVERLAP = "final overlap of finite-N ML-AMP"
AMP_FRACTION = "fraction of the finite-N ML-AMP runs converged"


def test_ml_amp_rows_use_converged_runs_on_the_signal_side_only():
    runs, _ = amp_tables()
    table = checked(amp_runs=runs)
    overlap, fraction = rows_about(table, AMP_OVERLAP), rows_about(table, AMP_FRACTION)
    assert overlap["passed"].all() and overlap["parameters"].str.contains("4/6 runs").all()
    assert np.allclose(overlap["reproduced"], overlap["expected"], atol=1e-12)
    assert overlap["tolerance_reason"].str.contains("Student-t interval of the mean over 4 instances").all()
    assert fraction["passed"].all() and np.allclose(fraction["reproduced"], 4 / 6)
    runs["step"] = 1.0  # none converged: nothing to compare, the rows fail
    failing = checked(amp_runs=runs)
    assert rows_about(failing, AMP_OVERLAP)["reproduced"].isna().all()
    assert not rows_about(failing, "finite-N ML-AMP")["passed"].any()


def test_ml_amp_failing_half_the_time_fails_the_fraction_row():
    runs, _ = amp_tables()
    runs.loc[runs["seed"].isin([0, 1]), "step"] = 1.0  # 2 of 6 converge
    table = checked(amp_runs=runs)
    assert not rows_about(table, AMP_FRACTION)["passed"].any()
    assert rows_about(table, AMP_OVERLAP)["passed"].all()  # the two that converged are on m*


def test_ml_amp_end_points_10_percent_off_fail_the_overlap_row():
    runs, _ = amp_tables()
    runs.loc[runs["step"] < 0.1, "overlap"] *= 1.1
    assert not rows_about(checked(amp_runs=runs), AMP_OVERLAP)["passed"].any()


def test_gradient_flow_rows_count_escaped_runs_at_the_largest_n_above_the_gf_threshold():
    table = checked(trajectories=pd.concat([trajectories(n=64), trajectories(n=256)]))
    gf_rows = rows_about(table, "escaped gradient-flow runs")
    assert len(gf_rows) == 4 and gf_rows["parameters"].str.contains("N=256").all()  # 1.8 < 1/Δ2^GF = 2
    assert gf_rows["parameters"].str.contains("4/8 runs escaped").all()
    assert np.allclose(gf_rows["reproduced"], gf_rows["expected"], atol=1e-12)
    trapped = trajectories()
    trapped["overlap"] = 0.05
    assert not rows_about(checked(trajectories=trapped), "escaped gradient-flow runs")["passed"].any()


def test_gradient_flow_end_points_10_percent_off_fail_with_the_measured_spread():
    runs = trajectories()
    escaped = runs["replica"] == 0
    runs.loc[escaped, "multiplier"] *= 1 + 0.01 * (runs.loc[escaped, "seed"] - 2.5)  # sd 1.3 % over instances
    gf_rows = rows_about(checked(trajectories=runs), "escaped gradient-flow runs: multiplier")
    assert gf_rows["passed"].all() and gf_rows["tolerance_reason"].str.contains("Student-t").all()
    runs.loc[escaped, "multiplier"] *= 1.1
    assert not rows_about(checked(trajectories=runs), "escaped gradient-flow runs: multiplier")["passed"].any()


CROSSING = "1/Δ2 where the lowest Hessian eigenvalue of the plateau states crosses 0"


def test_the_outlier_crossing_zero_near_the_threshold_passes():
    states = plateau_states(values=(1.5, 1.8, 2.6, 3.0, 3.5))
    row = rows_about(checked(hessian_states=states), CROSSING).iloc[0]
    assert row["passed"] and 1.8 <= row["reproduced"] <= 2.6


@pytest.mark.parametrize("planted", ["no outlier", "wrong sign"])
def test_no_outlier_or_one_of_the_wrong_sign_fails_the_crossing_row(planted):
    states = plateau_states(values=(1.5, 1.8, 2.6, 3.0, 3.5))
    above = states["inv_delta2"] > 2.0
    if planted == "no outlier":  # the lowest eigenvalue stays at the bulk's bottom
        states.loc[above, "lowest"] = 0.01
    else:
        states.loc[above, "lowest"] = -states.loc[above, "lowest"]
    row = rows_about(checked(hessian_states=states), CROSSING).iloc[0]
    assert math.isnan(row["reproduced"]) and not row["passed"]


def test_a_crossing_far_above_the_threshold_fails():
    states = plateau_states(values=(1.5, 1.8, 2.6, 3.0, 3.5))
    states.loc[states["inv_delta2"] < 3.4, "lowest"] = 0.05  # the outlier appears only at 3.5
    row = rows_about(checked(hessian_states=states), CROSSING).iloc[0]
    assert row["reproduced"] > 3.0 and not row["passed"]


def test_no_crossing_row_where_n_does_not_resolve_the_bbp_window():
    assert rows_about(checked(hessian_states=plateau_states(n=48)), CROSSING).empty


# --- the finite-N tolerance rules on fresh measurements -----------------------------------------

def test_plateau_state_rules_hold_per_instance_at_small_n(tmp_path):
    """Held flow at N = 48 (3 new instances, 1/Δ2 = 1.8 and 3.0, t = 5 and 20): every instance on its own is
    within the rules (the checks compare means over instances, so this is the stricter statement)."""
    spectra, states = tmp_path / "spectra.csv", tmp_path / "states.csv"
    assert main(["hessian-spectra", "--p", "3", "--delta-p", "1", "--n", "48", "--inv-delta2", "1.8", "3.0",
                 "--seeds", "101", "102", "103", *instance_set(tmp_path, 48, [1.8, 3.0], [101, 102, 103]), "--times", "5", "20", "--flow", "held",
                 "--spectra-out", str(spectra), "--states-out", str(states)]) == 0
    measured = pd.read_csv(states)
    for _, state in measured.iterrows():
        sigma, n, time = state["sigma"], state["n"], state["time"]
        edge = sigma * n ** (-2 / 3)
        aging = PLATEAU_APPROACH / math.sqrt(time)
        assert 1 - state["multiplier"] / (2 * sigma) <= MULTIPLIER_FINITE_N / n + aging
        assert abs(state["highest"] - state["multiplier"] - 2 * sigma) <= EDGE_TRACY_WIDOM_UNITS * edge
        if state["inv_delta2"] > sigma:
            assert abs(state["second_lowest"]) <= EDGE_TRACY_WIDOM_UNITS * edge + 2 * sigma * aging
        else:
            assert abs(state["lowest"]) <= EDGE_TRACY_WIDOM_UNITS * edge + 2 * sigma * aging
    for time in (5.0, 20.0):  # the checks use the latest time: each time in turn
        at = measured[measured["time"] == time]
        table = checked(hessian_states=at)
        assert rows_about(table, "N=48")["passed"].all()


def test_ml_amp_end_points_at_small_n_pass_their_rule():
    """N = 100, 8 new instances, 1/Δ2 = 2.5, 60 iterations from m0 = 0.2: the converged runs' mean is within
    AMP_BIAS/√N + 3 standard errors of m*, and no single converged run is beyond AMP_BIAS + 3 AMP_SPREAD."""
    model, n = params(MIDDLE), 100
    m_star = L.good_minimum(model).m
    rows = []
    for seed in range(201, 209):
        instance = Instance.generate(InstanceSpec(model, n, seed), tensor_layout="packed")
        run = run_ml_amp(instance, initial_conditions(instance, 1, m0=0.2), 60)
        rows.append(dict(p=P, delta_p=DELTA_P, n=n, method="ml_amp", inv_delta2=MIDDLE, seed=seed, iteration=60,
                         overlap=run.overlap[-1, 0], step=run.step[-1, 0]))
    runs = pd.DataFrame(rows)
    signal_side = runs[(runs["step"] < 0.1) & (runs["overlap"] > m_star / 2)]
    assert len(signal_side) >= 4  # measured: 8/10 converge at N = 100, 1/Δ2 = 2.5
    assert ((signal_side["overlap"] - m_star).abs() * math.sqrt(n) <= AMP_BIAS + 3 * AMP_SPREAD).all()
    assert rows_about(checked(amp_runs=runs), "finite-N ML-AMP")["passed"].all()


def test_gradient_flow_end_points_at_small_n_pass_their_rule():
    """N = 32, 8 new instances x 2 starts, 1/Δ2 = 3, t = 50 (converged: the measured end points at N = 32
    do not move between t = 20 and 200): the μ*, ε* rows pass."""
    model, n = params(3.0), 32
    rows = []
    for seed in range(301, 309):
        instance = Instance.generate(InstanceSpec(model, n, seed), tensor_layout="packed")
        result = run_gradient_flow(instance, initial_conditions(instance, 2), 50.0, 0.1, points_per_decade=2)
        for replica in range(2):
            rows.append(dict(p=P, n=n, delta_p=DELTA_P, inv_delta2=3.0, seed=seed, replica=replica,
                             time=result.times[-1], overlap=result.overlap[-1, replica],
                             energy=result.energy[-1, replica], multiplier=result.multiplier[-1, replica]))
    runs = pd.DataFrame(rows)
    minimum = L.good_minimum(model)
    per_instance = runs[runs["overlap"] > minimum.m / 2].groupby("seed")[["multiplier", "energy"]].mean()
    assert len(per_instance) >= 4  # measured: 11 of 12 instances escape at N = 32, 1/Δ2 = 3
    for column, expected, bias, spread in [("multiplier", minimum.mu, GF_MULTIPLIER_BIAS, GF_MULTIPLIER_SPREAD),
                                           ("energy", minimum.energy, GF_ENERGY_BIAS, GF_ENERGY_SPREAD)]:
        assert ((per_instance[column] - expected).abs() * math.sqrt(n) <= bias + 3 * spread).all(), column
    gf_rows = rows_about(checked(trajectories=runs), "escaped gradient-flow runs")
    assert len(gf_rows) == 2 and gf_rows["passed"].all(), gf_rows.to_string()


# --- the command line and the ci run -------------------------------------------------------------

def write_tables(folder):
    paths = {}
    for name, table in tables().items():
        paths[name] = folder / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    return paths


def arguments(paths, out):
    options = {"thresholds": "thresholds", "complexity": "complexity", "points": "points",
               "threshold_spectrum": "threshold-spectrum", "hessian_states": "hessian-states",
               "amp_runs": "amp-runs", "amp_theory": "amp-theory", "trajectories": "trajectories",
               "zero_overlap": "zero-overlap"}
    words = ["check-landscape", "--out", str(out)]
    for name, option in options.items():
        words += [f"--{option}", str(paths[name])]
    return words


def test_check_landscape_writes_the_checks_table(tmp_path):
    paths, out = write_tables(tmp_path), tmp_path / "checks" / "landscape.csv"
    assert main(arguments(paths, out)) == 0
    written = evaluate_checks(validate_checks(pd.read_csv(out), "landscape"))
    assert len(written) == 33 and written["passed"].all()


def test_check_landscape_names_a_table_without_its_columns(tmp_path, capsys):
    paths, out = write_tables(tmp_path), tmp_path / "landscape.csv"
    pd.read_csv(paths["amp_runs"]).drop(columns="step").to_csv(paths["amp_runs"], index=False)
    assert main(arguments(paths, out)) == 2
    error = capsys.readouterr().err
    assert "ML-AMP iterate table" in error and "'step'" in error and not out.exists()


@pytest.mark.slow
def test_landscape_rows_pass_on_the_ci_run(ci_run):
    table = pd.read_csv(ci_run / "results" / "reproduction.csv")
    landscape = table[table["stage"] == "landscape"]
    assert landscape["passed"].all(), landscape[~landscape["passed"]].to_string()
    assert set(landscape["figure"]) == {"phase_diagram", "complexity_minima", "landscape_map",
                                        "threshold_spectrum", "amp_vs_gf", "zero_overlap_minima",
                                        "zero_overlap_minima_p4_dp4"}
    assert (ci_run / "results" / "checks" / "landscape.csv").is_file()


# --- the stationary points at m = 0 (figure zero_overlap_minima) ---------------------------------

COEXISTENCE = ("1/Δ2 strictly between GF and triv where the threshold states are not index-one saddles "
               "or no minimum at m = 0 has Σ > 0")


def zero_overlap_failures(table):
    rows = checked(zero_overlap=table)
    return set(rows[~rows["passed"] & (rows["figure"] == "zero_overlap_minima")]["quantity"])


def test_threshold_states_with_the_wrong_outlier_sign_fail_the_coexistence_row():
    table = zero_overlap_table()
    table["outlier"] = -table["outlier"]  # the BBP outlier's sign flipped
    assert zero_overlap_failures(table) == {COEXISTENCE}


def test_minima_that_vanish_early_fail_the_coexistence_row():
    table = zero_overlap_table()
    inside = table["inv_delta2"].between(table["inv_delta2"].min(), table["inv_delta2"].max(), inclusive="neither")
    table.loc[inside & (table["kind"] == "minimum"), "complexity"] = -1e-4  # the minima branch is missing
    assert zero_overlap_failures(table) == {COEXISTENCE}


def test_a_complexity_off_by_10_percent_fails_the_closed_form_row():
    table = zero_overlap_table()
    table["complexity"] *= 1.1
    assert "Σ of the threshold states (μ = 2σ, the high-energy end) at 1/Δ2^GF, from the Σ(0, μ) curve" in \
        zero_overlap_failures(table)
