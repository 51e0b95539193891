"""The landscape CLI: answers, JSON shape, errors on bad input, and the tables behind the figures."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bigbadminima import landscape as L
from bigbadminima.cli import main
from bigbadminima.params import ModelParams

from .conftest import instance_set


def run_json(capsys, *arguments):
    assert main([*arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_thresholds_json(capsys):
    answer = run_json(capsys, "thresholds", "--p", "3", "--delta-p", "1")
    assert set(answer) == {"ml_amp", "gf", "triv"}
    # theory.md §G, to the quoted 4-5 digits
    assert answer["ml_amp"] == pytest.approx(1.6180, rel=1e-4)
    assert answer["gf"] == pytest.approx(2.0, rel=1e-12)
    assert answer["triv"] == pytest.approx(2.1914, rel=1e-4)


def test_minimum_json(capsys):
    answer = run_json(capsys, "minimum", "--p", "3", "--delta-p", "1", "--inv-delta2", "2.5")
    assert answer == pytest.approx({"overlap": 0.82691, "multiplier": 4.67952, "energy": -2.09523}, rel=1e-4)


def test_threshold_states_json(capsys):
    answer = run_json(capsys, "threshold-states", "--p", "3", "--delta-p", "1", "--inv-delta2", "2.5")
    assert set(answer) == {"multiplier", "energy", "complexity", "outlier"}
    assert answer["multiplier"] == pytest.approx(4.24264, rel=1e-4)
    assert answer["energy"] == pytest.approx(-1.85616, rel=1e-4)
    assert answer["complexity"] == pytest.approx(0.000657, rel=1e-3)
    assert answer["outlier"] == pytest.approx(2 * math.sqrt(4.5) - 2.5 - 4.5 / 2.5, rel=1e-12)
    below = run_json(capsys, "threshold-states", "--p", "3", "--delta-p", "1", "--inv-delta2", "1.5")
    assert below["outlier"] is None  # 1/Δ2 < σ: no isolated eigenvalue (JSON null, not NaN)


def test_plain_output_is_readable(capsys):
    assert main(["thresholds", "--p", "4", "--delta-p", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ml_amp = 1.2071") and lines[1] == "gf = 1.5"


@pytest.mark.parametrize(
    "arguments",
    [
        ["thresholds", "--p", "2", "--delta-p", "1"],  # p < 3
        ["thresholds", "--p", "3", "--delta-p", "0"],  # Δ <= 0
        ["thresholds", "--p", "3", "--delta-p", "-1"],
        ["thresholds", "--p", "3", "--delta-p", "nan"],  # non-finite
        ["thresholds", "--p", "3", "--delta-p", "inf"],
        ["minimum", "--p", "3", "--delta-p", "1", "--inv-delta2", "0"],
        ["minimum", "--p", "3.5", "--delta-p", "1", "--inv-delta2", "2"],
    ],
)
def test_invalid_arguments_exit_2(arguments, capsys):
    with pytest.raises(SystemExit) as stop:
        main(arguments)
    assert stop.value.code == 2
    assert "error" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["minimum", "--p", "3", "--delta-p", "10", "--inv-delta2", "0.5"], "no minimum correlated"),
        (["thresholds", "--p", "3", "--delta-p", "1e6"], "not resolvable"),
    ],
)
def test_no_root_is_a_one_line_error(arguments, words, capsys):
    assert main(arguments) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("bigbadminima: error:") and words in error and "\n" not in error


@pytest.mark.parametrize("question", [["thresholds", "--p", "4", "--delta-p", "3"],
                                      ["minimum", "--p", "3", "--delta-p", "1", "--inv-delta2", "2.5"],
                                      ["threshold-states", "--p", "3", "--delta-p", "1", "--inv-delta2", "2.5"]])
def test_questions_answer_without_the_heavy_imports(question):
    """The questions answer in ~0.2 s because they never import numba (0.7 s: it comes with the tensor
    kernels) nor scipy.optimize (0.25 s); a timing would be noisy on a shared machine, the imports are not."""
    probe = ("import sys; from bigbadminima.cli import main; status = main(sys.argv[1:]); "
             "heavy = sorted(name for name in ('numba', 'scipy.optimize') if name in sys.modules); "
             "print(heavy, file=sys.stderr); sys.exit(status)")
    completed = subprocess.run([sys.executable, "-c", probe, *question, "--json"], capture_output=True, text=True,
                               timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr.strip().splitlines()[-1] == "[]"


def test_complexity_table(tmp_path):
    out = tmp_path / "complexity.csv"
    assert main(["complexity-table", "--p", "3", "--delta-p", "1", "--inv-delta2", "1.8", "2.4", "--add-triv",
                 "--overlap-points", "21", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["kind"]) == {"minima", "stationary"} and table["inv_delta2"].nunique() == 3
    at_triv = table[table["is_triv"] & (table["kind"] == "minima")]
    assert at_triv["inv_delta2"].iloc[0] == pytest.approx(2.19138, rel=1e-5)
    # at 1/Δ2^triv the spurious minima at m = 0 are exactly marginal (§D.7)
    assert at_triv.loc[at_triv["overlap"].abs() < 1e-12, "complexity"].item() == pytest.approx(0.0, abs=1e-12)


def test_threshold_spectrum_table(tmp_path):
    out = tmp_path / "spectrum.csv"
    assert main(["threshold-spectrum-table", "--p", "3", "--delta-p", "1", "--inv-delta2-min", "1.5",
                 "--inv-delta2-max", "3", "--points", "16", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["lower_edge"].abs().max() < 1e-12  # μ_th = 2σ: marginal
    below = table["inv_delta2"] <= table["gf_threshold"]
    assert table.loc[below, "outlier"].isna().all() and (table.loc[~below, "outlier"] < 0).all()


def test_landscape_map_tables(tmp_path):
    outs = {name: tmp_path / f"{name}.csv" for name in ("map", "zoom", "points")}
    assert main(["landscape-map-table", "--p", "3", "--delta-p", "1", "--inv-delta2", "1.8", "--overlap-points", "11",
                 "--energy-min", "-2", "--energy-max", "0", "--energy-points", "9", "--zoom-points", "15",
                 "--out", str(outs["map"]), "--zoom-out", str(outs["zoom"]), "--points-out", str(outs["points"])]) == 0
    table, zoom, points = (pd.read_csv(path) for path in outs.values())
    assert len(table) == 11 * 9 and len(zoom) == 15 * 15
    assert (table["complexity_minima"] <= table["complexity_stationary"] + 1e-12).all()
    assert zoom["complexity_minima"].max() > 0  # the marginal minima at 1/Δ2 = 1.8 < triv are in the zoom
    assert set(points["state"]) >= {"good minimum"}


def test_bad_range_writes_nothing(tmp_path, capsys):
    out = tmp_path / "map.csv"
    status = main(["landscape-map-table", "--p", "3", "--delta-p", "1", "--inv-delta2", "1.8", "--energy-min", "0",
                   "--energy-max", "-1", "--out", str(out), "--zoom-out", str(tmp_path / "z.csv"),
                   "--points-out", str(tmp_path / "p.csv")])
    assert status == 2 and "--energy-min" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_phase_diagram_tables(tmp_path):
    thresholds, boundaries = tmp_path / "t.csv", tmp_path / "b.csv"
    assert main(["phase-diagram-tables", "--p", "3", "4", "--delta-p-min", "0.1", "--delta-p-max", "5",
                 "--delta-p-points", "5", "--inv-delta2-max", "3", "--scan-points", "6",
                 "--thresholds-out", str(thresholds), "--boundaries-out", str(boundaries)]) == 0
    lines = pd.read_csv(thresholds).pivot_table(index=["p", "delta_p"], columns="threshold", values="inv_delta2")
    assert ((lines["ml_amp"] < lines["gf"]) & (lines["gf"] < lines["triv"])).all()
    table = pd.read_csv(boundaries)
    assert list(table.columns) == ["p", "delta_p", "boundary", "inv_delta2"]
    # the boundaries sit on the thresholds' Δp grid, written exactly (shortest round-trip floats)
    assert set(table["delta_p"]) == set(lines.reset_index()["delta_p"])
    assert set(table["boundary"]) <= {"impossible|hard", "hard|easy", "impossible|easy", "easy|hard"}
    assert ((table["inv_delta2"] > 0) & (table["inv_delta2"] < 3)).all()
    large = table[table["delta_p"] > 1.5]  # m = 0 unstable at exactly 1/Δ2 = 1, one continuous transition (§E.3)
    assert (large["boundary"] == "impossible|easy").all() and (large["inv_delta2"] == 1.0).all()
    small = table[(table["p"] == 4) & (table["delta_p"] == table["delta_p"].min())]  # Δp = 0.1: spinodal above 1
    assert small["boundary"].tolist() == ["hard|easy"]
    assert small["inv_delta2"].iloc[0] == pytest.approx(1.027962166666, abs=1e-9)


@pytest.mark.parametrize(("change", "words"), [
    (["--scan-points", "1"], "--scan-points"),
    (["--inv-delta2-max", "-1"], "--inv-delta2-max"),
    (["--delta-p-min", "6"], "--delta-p-min"),
])
def test_phase_diagram_tables_bad_values_write_nothing(tmp_path, capsys, change, words):
    arguments = {"--p": ["3"], "--delta-p-min": ["0.1"], "--delta-p-max": ["5"], "--inv-delta2-max": ["3"],
                 "--thresholds-out": [str(tmp_path / "t.csv")], "--boundaries-out": [str(tmp_path / "b.csv")]}
    arguments[change[0]] = change[1:]
    with pytest.raises(SystemExit) as exit_info:  # argparse exits itself; a CliError returns its status
        raise SystemExit(main(["phase-diagram-tables",
                               *[item for key, values in arguments.items() for item in (key, *values)]]))
    last = capsys.readouterr().err.strip().splitlines()[-1]  # argparse prints its usage lines before it
    assert exit_info.value.code == 2 and last.startswith("bigbadminima") and "error" in last and words in last
    assert not any(tmp_path.iterdir())


def test_hessian_spectra_held_flow_stays_at_zero_overlap(tmp_path):
    spectra, states = tmp_path / "spectra.csv", tmp_path / "states.csv"
    assert main(["hessian-spectra", "--p", "3", "--delta-p", "1", "--n", "24", "--inv-delta2", "1.5", "4",
                 "--seeds", "3", *instance_set(tmp_path, 24, [1.5, 4], [3]), "--times", "1", "3",
                 "--spectra-out", str(spectra), "--states-out", str(states)]) == 0
    measured = pd.read_csv(states)
    eigenvalues = pd.read_csv(spectra)
    assert len(measured) == 4 and (measured["flow"] == "held").all()
    assert measured["overlap"].abs().max() < 1e-12
    assert eigenvalues.groupby(["inv_delta2", "time"]).size().eq(23).all()  # N - 1 tangent directions
    assert measured.loc[measured["inv_delta2"] == 1.5, "theory_outlier"].isna().all()  # θ = 1.5 < σ = 1.87
    assert measured.loc[measured["inv_delta2"] == 4, "theory_outlier"].notna().all()


def test_amp_runs(tmp_path):
    runs, theory = tmp_path / "runs.csv", tmp_path / "theory.csv"
    assert main(["amp-runs", "--p", "3", "--delta-p", "1", "--n", "40", "--inv-delta2", "3", "--seeds", "1", "2",
                 *instance_set(tmp_path, 40, 3, [1, 2]), "--iterations", "10", "--m0", "0.5",
                 "--inv-delta2-max", "4", "--theory-points", "40", "--out", str(runs), "--theory-out", str(theory)]) == 0
    iterates = pd.read_csv(runs)
    assert set(iterates["method"]) == {"ml_amp", "state_evolution"}
    assert iterates.groupby(["method", "seed"]).size().eq(11).all()
    fixed = pd.read_csv(theory)
    above = fixed["inv_delta2"] > fixed["ml_amp_threshold"]
    # from m0 = 0.5 the state evolution ends at m* wherever m* exists above the ML-AMP threshold
    np.testing.assert_allclose(fixed.loc[above, "state_evolution_fixed_point"], fixed.loc[above, "good_minimum"],
                               atol=1e-9)
    star = L.good_minimum(ModelParams.from_inv_delta2(3, 3.0, 1.0)).m
    assert iterates["good_minimum"].dropna().unique() == pytest.approx([star])


def test_amp_runs_rejects_m0_of_one(tmp_path, capsys):
    status = main(["amp-runs", "--p", "3", "--delta-p", "1", "--n", "10", "--inv-delta2", "3", "--seeds", "1",
                   *instance_set(tmp_path, 10, 3, [1]), "--m0", "1", "--inv-delta2-max", "4",
                   "--out", str(tmp_path / "r.csv"), "--theory-out", str(tmp_path / "t.csv")])
    assert status == 2 and "--m0" in capsys.readouterr().err
