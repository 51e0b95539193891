"""Reproduction table: the checks-table convention, margins, the finite-N checks, and the ci run's verdict."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from bigbadminima.cli import main
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.landscape import good_minimum
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams
from bigbadminima.reproduction import (
    CheckTableError,
    check_row,
    evaluate_checks,
    html_report,
    markdown_report,
    reproduction_table,
    simulation_checks,
    validate_checks,
)
from bigbadminima.reproduction.simulation import END_POINT_SPREAD, ENERGY_RISE_TOLERANCE
from bigbadminima.reproduction.table import figure_at

from .conftest import REPO

M_STAR_25 = good_minimum(ModelParams.from_inv_delta2(3, 2.5, 1.0)).m


def row(expected=1.0, reproduced=1.05, tolerance=0.1, kind="absolute", **overrides):
    values = dict(figure="fig", quantity="q", parameters="p=3", expected=expected, expected_source="§D.5",
                  reproduced=reproduced, tolerance=tolerance, tolerance_reason="because", tolerance_kind=kind)
    values.update(overrides)
    return values


def evaluated(*rows):
    return evaluate_checks(validate_checks(pd.DataFrame(list(rows)), "test"))


def test_margin_is_tolerance_minus_deviation_and_decides_pass():
    at_the_edge = row(expected=-2.0, reproduced=-1.875, tolerance=0.125)  # exact in binary: margin 0 passes
    table = evaluated(row(reproduced=1.05), row(reproduced=0.8), at_the_edge)
    np.testing.assert_allclose(table["deviation"], [0.05, 0.2, 0.125], rtol=1e-12)
    np.testing.assert_allclose(table["margin"], [0.05, -0.1, 0.0], atol=1e-12)
    assert list(table["passed"]) == [True, False, True]


def test_relative_tolerance_divides_by_the_expected_value():
    table = evaluated(row(expected=-4.0, reproduced=-4.2, tolerance=0.04, kind="relative"),
                      row(expected=-4.0, reproduced=-4.2, tolerance=0.06, kind="relative"))
    np.testing.assert_allclose(table["deviation"], [0.05, 0.05], rtol=1e-12)
    assert list(table["passed"]) == [False, True]


def test_missing_reproduced_value_fails():
    table = evaluated(row(reproduced=math.nan))
    assert not table["passed"].iloc[0] and math.isnan(table["margin"].iloc[0])


def test_tolerance_kind_defaults_to_absolute():
    frame = pd.DataFrame([row()]).drop(columns="tolerance_kind")
    assert validate_checks(frame, "x")["tolerance_kind"].tolist() == ["absolute"]


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"tolerance": 0.0}, "tolerance"),
        ({"tolerance": -1.0}, "tolerance"),
        ({"expected": "about one"}, "'expected' is not a number"),
        ({"expected": math.nan}, "finite"),
        ({"kind": "percent"}, "tolerance_kind"),
        ({"kind": "relative", "expected": 0.0}, "non-zero expected"),
        ({"tolerance_reason": " "}, "tolerance_reason"),
    ],
)
def test_malformed_checks_are_refused_naming_the_table(overrides, words):
    with pytest.raises(CheckTableError) as error:
        validate_checks(pd.DataFrame([row(**overrides)]), "results/checks/stage.csv")
    assert "results/checks/stage.csv" in str(error.value) and words in str(error.value)


def test_missing_column_is_refused():
    with pytest.raises(CheckTableError, match=r"lacks the columns \['expected_source'\]"):
        validate_checks(pd.DataFrame([row()]).drop(columns="expected_source"), "t")


def test_check_row_validates():
    with pytest.raises(CheckTableError):
        check_row("f", "q", "p", 1.0, "src", 1.0, 0.0, "why")


def test_reproduction_table_stacks_stages_in_sorted_order_and_renders():
    table = reproduction_table({"simulation": pd.DataFrame([row()]), "landscape": pd.DataFrame([row(reproduced=9)])})
    assert table["stage"].tolist() == ["landscape", "simulation"]
    assert table["passed"].tolist() == [False, True]
    text = markdown_report(table)
    assert "**1 row(s) FAIL**" in text and "## fig" in text and text.count("\n| q |") == 2
    page = html_report(table)
    assert "2 checked quantities from 2 stage(s): <b>1 row(s) FAIL</b>" in page and "<h2>fig</h2>" in page
    assert page.count("<tr class=") == 2 and page.count('<tr class="fail">') == 1


# --- finite-N checks on synthetic trajectories -------------------------------------------------

def trajectories(final_overlaps, energies=(-1.0, -1.5, -1.6), n=64, inv_delta2=2.5):
    """A trajectory table: {seed: [final m per replica]}, three recorded times, given energies."""
    records = []
    for seed, overlaps in final_overlaps.items():
        for replica, m_final in enumerate(overlaps):
            for time, m, energy in zip([0.0, 1.0, 20.0], [0.1, 0.2, m_final], energies):
                records.append(dict(p=3, n=n, delta_p=1.0, inv_delta2=inv_delta2, seed=seed, replica=replica,
                                    time=time, overlap=m, energy=energy, multiplier=3.0, gradient_norm=0.1))
    return pd.DataFrame(records)


def test_end_point_row_averages_escaped_runs_per_instance():
    table = pd.concat([
        trajectories({1: [M_STAR_25 + 0.01, M_STAR_25 + 0.03], 2: [-0.3, 0.1], 3: [M_STAR_25 - 0.05]}),
        trajectories({1: [0.0]}, n=32),  # a smaller N: not checked
        trajectories({1: [0.5]}, inv_delta2=1.8),  # below the GF threshold 2: not checked
    ])
    checks = simulation_checks(table)
    end_point = checks[checks["quantity"].str.startswith("final overlap")]
    assert len(end_point) == 1
    found = end_point.iloc[0]
    assert found["expected"] == pytest.approx(M_STAR_25, abs=1e-12)
    assert found["reproduced"] == pytest.approx(((M_STAR_25 + 0.02) + (M_STAR_25 - 0.05)) / 2, abs=1e-12)
    assert found["tolerance"] == pytest.approx(3 * END_POINT_SPREAD / math.sqrt(64 * 2))
    assert "3/5 runs escaped, on 2/3 instances" in found["parameters"] and "N=64" in found["parameters"]


@pytest.mark.parametrize(("scale", "passes"), [(1.0, True), (1.1, False), (0.9, False)])
def test_end_point_row_uses_the_measured_spread_of_four_instances(scale, passes):
    # m* ± 0.01 over 4 instances at N = 256 (the default config's measured sd is 0.012-0.016): the 99 %
    # Student-t half-width is 5.84 x 0.0129/2 = 0.038; a 10 % error of m (0.08) fails
    offsets = (-0.015, -0.005, 0.005, 0.015)
    runs = trajectories({seed: [scale * (M_STAR_25 + offset)] for seed, offset in enumerate(offsets, 1)}, n=256)
    checks = evaluate_checks(validate_checks(simulation_checks(runs), "t"))
    row = checks[checks["quantity"].str.startswith("final overlap")].iloc[0]
    assert row["passed"] == passes and "Student-t interval of the mean over 4 instances" in row["tolerance_reason"]
    assert row["tolerance"] == pytest.approx(5.8409 * np.std(offsets, ddof=1) * scale / 2, rel=1e-4)


def test_no_escaped_run_above_threshold_is_a_failing_row():
    checks = evaluate_checks(validate_checks(simulation_checks(trajectories({1: [0.1], 2: [-0.4]})), "t"))
    end_point = checks[checks["quantity"].str.startswith("final overlap")]
    assert math.isnan(end_point["reproduced"].iloc[0]) and not end_point["passed"].iloc[0]


def test_energy_rise_row_catches_a_rising_energy():
    descending = evaluated(*simulation_checks(trajectories({1: [M_STAR_25]})).to_dict("records"))
    rising = evaluated(*simulation_checks(trajectories({1: [M_STAR_25]}, energies=(-1.0, -1.5, -1.5 + 1e-6)))
                       .to_dict("records"))
    assert descending["passed"].all()
    energy = rising[rising["quantity"].str.startswith("largest rise")].iloc[0]
    assert energy["reproduced"] == pytest.approx(1e-6) and not energy["passed"]
    assert ENERGY_RISE_TOLERANCE < 1e-6


def test_end_point_spread_bound_holds_at_small_n():
    """The tolerance's premise, sd over instances of the end-point m ≤ c/√N (c = END_POINT_SPREAD), measured.

    N = 32, 1/Δ2 = 2.5 (p = 3, Δp = 1), 16 instances x 4 starts, t = 100 (converged: |P∇ℒ|/√N < 1e-6 at
    the end in the measurements quoted in bigbadminima.reproduction). The check row built from these
    runs must pass too.
    """
    params = ModelParams.from_inv_delta2(3, 2.5, 1.0)
    n, records = 32, []
    for seed in range(16):
        instance = Instance.generate(InstanceSpec(params, n, 500 + seed))
        result = run_gradient_flow(instance, initial_conditions(instance, 4), 100.0, 0.1, points_per_decade=2)
        for replica in range(4):
            for index, time in enumerate(result.times):
                records.append(dict(p=3, n=n, delta_p=1.0, inv_delta2=2.5, seed=seed, replica=replica, time=time,
                                    overlap=result.overlap[index, replica], energy=result.energy[index, replica],
                                    multiplier=0.0, gradient_norm=0.0))
    table = pd.DataFrame(records)
    final = table[table["time"] == table["time"].max()]
    per_instance = final[final["overlap"] > M_STAR_25 / 2].groupby("seed")["overlap"].mean()
    assert len(per_instance) >= 8  # most instances have a run that escaped (measured: 14-16 of 16)
    assert per_instance.std(ddof=1) * math.sqrt(n) <= END_POINT_SPREAD
    assert evaluated(*simulation_checks(table).to_dict("records"))["passed"].all()


# --- the command line ----------------------------------------------------------------------------

def test_reproduction_command_writes_both_files_even_when_a_row_fails(tmp_path):
    checks = tmp_path / "checks" / "stage.csv"
    checks.parent.mkdir()
    pd.DataFrame([row(), row(reproduced=3.0)]).to_csv(checks, index=False)
    out, markdown, html = (tmp_path / f"reproduction.{suffix}" for suffix in ("csv", "md", "html"))
    written = ["--out", str(out), "--markdown", str(markdown), "--html", str(html)]
    assert main(["reproduction", str(checks), *written]) == 0
    assert html.read_text().count('<tr class="fail">') == 1 and html.read_text().count('<tr class="pass">') == 1
    table = pd.read_csv(out)
    assert table["passed"].tolist() == [True, False] and table["stage"].tolist() == ["stage", "stage"]
    verdict = tmp_path / "passed.txt"
    assert main(["reproduction-verdict", "--table", str(out), "--out", str(verdict)]) == 1
    assert not verdict.exists()
    pd.DataFrame([row()]).to_csv(checks, index=False)
    assert main(["reproduction", str(checks), *written]) == 0
    assert main(["reproduction-verdict", "--table", str(out), "--out", str(verdict)]) == 0
    assert verdict.read_text().startswith("all 1 reproduction checks passed")


def test_malformed_checks_table_writes_nothing(tmp_path, capsys):
    checks = tmp_path / "stage.csv"
    pd.DataFrame([row(tolerance=0.0)]).to_csv(checks, index=False)
    out = tmp_path / "reproduction.csv"
    out.write_text("previous\n")
    assert main(["reproduction", str(checks), "--out", str(out), "--markdown", str(tmp_path / "r.md"),
                 "--html", str(tmp_path / "r.html")]) == 2
    assert "tolerance" in capsys.readouterr().err
    assert out.read_text() == "previous\n" and not (tmp_path / "r.md").exists() and not (tmp_path / "r.html").exists()


# --- the ci run: the README's test command fails when any row fails ----------------------------

@pytest.mark.slow
def test_every_reproduction_row_passes_on_the_ci_run(ci_run):
    table = pd.read_csv(ci_run / "results" / "reproduction.csv")
    failed = table[~table["passed"]]
    assert failed.empty, "failing reproduction rows:\n" + failed.to_string()
    assert (ci_run / "results" / "reproduction.passed").is_file()
    assert (ci_run / "results" / "reproduction.md").read_text().count("| pass |") == len(table)
    simulation = table[table["stage"] == "simulation"]
    assert simulation["quantity"].str.startswith("final overlap").any()
    assert simulation["quantity"].str.startswith("largest rise").any()


@pytest.mark.slow
def test_every_figure_of_the_ci_run_has_rows_and_every_row_names_a_figure(ci_run):
    """The reproduction table and the figure table (workflow/figures.yaml) name the same figures: a row at
    another (p, Δp) belongs to that point's figure (table.figure_at), not to the main point's."""
    figures = {figure["name"] for figure in yaml.safe_load((REPO / "workflow" / "figures.yaml").read_text())}
    table = pd.read_csv(ci_run / "results" / "reproduction.csv")
    assert set(table["figure"]) == figures
    other_point = table[~table["parameters"].str.startswith("p=3, Δp=1") & table["figure"].isin(
        ["dynamics", "zero_overlap_minima"])]
    assert other_point.empty, other_point[["figure", "parameters"]].to_string()


def test_a_figure_at_another_point_is_named_after_it():
    assert figure_at("dynamics", 3, 1.0) == "dynamics"
    assert figure_at("dynamics", 4, 4.0) == "dynamics_p4_dp4"
    assert figure_at("zero_overlap_minima", 3, 0.5) == "zero_overlap_minima_p3_dp0.5"
