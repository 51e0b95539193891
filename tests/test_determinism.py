"""Two clean runs of the ci config give byte-identical data, tables, checks and figures.

The second run is conftest's ``interrupted_ci_run``: started in an empty folder of its own, killed
while a simulate job ran, resumed (tests/test_resume.py checks the kill and the restart). Identical
outputs therefore show both that a run is deterministic and that an interruption changes nothing.
Compared: every file under results/ except what conftest.NOT_COMPARED lists (logs/ and benchmarks/:
wall times, load, host details; manifest.json: its creation time and benchmarks, its data part is
compared below) and the executed notebooks (.ipynb: papermill's per-cell timestamps); their HTML
exports are compared byte for byte (`bigbadminima notebook` numbers the cell ids).
"""

import json
from pathlib import Path

import pytest

from .conftest import assert_same_results, result_digests


@pytest.fixture(scope="module")
def second_ci_run(interrupted_ci_run) -> Path:
    completed = interrupted_ci_run.resumed
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return interrupted_ci_run.workdir


@pytest.mark.slow
def test_two_clean_runs_give_identical_results(ci_run, second_ci_run):
    compared = result_digests(ci_run)
    # The comparison covers data, tables, checks and figures (PNG and PDF with fixed metadata).
    for required in ("results/tables/simulation.csv", "results/reproduction.csv",
                     "results/figures/gradient_flow.png", "results/figures/gradient_flow.pdf",
                     "results/notebooks/fig_gradient_flow.html"):
        assert required in compared
    assert_same_results(ci_run, second_ci_run)


@pytest.mark.slow
def test_manifests_agree_on_everything_but_times(ci_run, second_ci_run):
    first, second = (json.loads((run / "results" / "manifest.json").read_text()) for run in (ci_run, second_ci_run))
    for key in ("config", "config_sha256", "seeds", "packages"):
        assert first[key] == second[key], key
    compared = [name for name in first["outputs"] if not name.startswith("results/notebooks/")]
    assert {name: first["outputs"][name] for name in compared} == {name: second["outputs"][name] for name in compared}
