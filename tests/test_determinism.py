"""Two clean runs of the ci config give byte-identical data, tables, checks and figures.

Compared: every file under results/ except
* logs/ and benchmarks/: wall times, load, host details;
* manifest.json: holds its creation time and the benchmarks (its data part is compared instead);
* executed notebooks (.ipynb): papermill stores start/end timestamps and durations per cell.
Their HTML exports are compared byte for byte (`bigbadminima notebook` numbers the cell ids).
"""

import hashlib
import json
from pathlib import Path

import pytest

from .conftest import copy_workflow, run_snakemake

NOT_COMPARED = ("results/logs/", "results/benchmarks/", "results/manifest.json")


def result_digests(workdir: Path) -> dict[str, str]:
    """{path under workdir: sha256} of every compared result (see the module docstring)."""
    digests = {}
    for path in sorted((workdir / "results").rglob("*")):
        name = path.relative_to(workdir).as_posix()
        if (path.is_file() and not path.name.startswith(".") and path.suffix != ".ipynb"
                and not name.startswith(NOT_COMPARED)):
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def assert_same_results(reference: Path, other: Path) -> None:
    expected, found = result_digests(reference), result_digests(other)
    assert sorted(found) == sorted(expected), set(found) ^ set(expected)
    differing = [name for name in expected if found[name] != expected[name]]
    assert not differing, f"outputs differ between the runs: {differing}"


@pytest.fixture(scope="module")
def second_ci_run(tmp_path_factory) -> Path:
    workdir = copy_workflow(tmp_path_factory.mktemp("ci-run-2"))
    completed = run_snakemake(workdir, "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return workdir


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
