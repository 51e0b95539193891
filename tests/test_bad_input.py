"""Bad input through the whole pipeline: a clear message, a non-zero exit, and nothing overwritten.

tests/test_pipeline.py covers the schema validation itself (every kind of invalid value, by
validate_config) and one invalid config through Snakemake on an empty folder; tests/test_cli.py
covers the commands (invalid arguments, missing or corrupted instance file, unwritable output,
blow-up) one by one. Here the same failures go through Snakemake *on a finished run*, whose
results must come out untouched.
"""

import json
import os
import shutil

import pytest
import yaml

from .conftest import REPO, copy_workflow, result_digests, run_snakemake

CI_CONFIG = yaml.safe_load((REPO / "workflow" / "config" / "ci.yaml").read_text())


@pytest.fixture(scope="module")
def finished_run(ci_run, tmp_path_factory):
    """A private copy of the finished ci run (Snakemake's metadata included), shared by this module."""
    workdir = tmp_path_factory.mktemp("finished") / "run"
    shutil.copytree(ci_run, workdir, symlinks=True)
    return workdir


def output_of(completed) -> str:
    return completed.stdout + completed.stderr


def write_config(folder, **changes):
    config = json.loads(json.dumps(CI_CONFIG))
    for key, value in changes.items():
        if value is None:
            config["simulation"].pop(key)
        else:
            config["simulation"][key] = value
    path = folder / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    return path.name


@pytest.mark.slow
@pytest.mark.parametrize(
    "changes, words",
    [
        ({"colour": "red"}, ["simulation", "colour"]),  # unknown key
        ({"replicas": "two"}, ["simulation.replicas", "not of type 'integer'"]),  # wrong type
        ({"inv_delta2": [2.5, 0.0]}, ["simulation.inv_delta2[1]"]),  # Δ2 <= 0 (as 1/Δ2 <= 0)
        ({"delta_p": -1.0}, ["simulation.delta_p"]),  # Δp <= 0
        ({"p": 2}, ["simulation.p", "minimum of 3"]),  # p < 3
        ({"n": [1]}, ["simulation.n[0]", "minimum"]),  # N < 2
        ({"t_max": -20}, ["simulation.t_max"]),  # negative time
    ],
)
def test_invalid_config_stops_a_finished_run_untouched(finished_run, changes, words):
    before = result_digests(finished_run)
    completed = run_snakemake(finished_run, "--configfile", write_config(finished_run, **changes))
    assert completed.returncode != 0
    message = output_of(completed)
    for word in words:
        assert word in message, message[-2000:]
    assert "Traceback" not in message  # one clear line, not a crash
    assert result_digests(finished_run) == before


@pytest.mark.slow
def test_corrupted_instance_record_fails_the_rerun_and_names_the_file(finished_run):
    record = finished_run / "results" / "instances" / "p3" / "dp1" / "n32" / "id2_2.5" / "seed1.json"
    content = json.loads(record.read_text())
    content["spike"][0] += 1e-6
    record.write_text(json.dumps(content))  # newer than the trajectory: Snakemake reruns `simulate`
    table = finished_run / "results" / "tables" / "simulation.csv"
    table_before = table.read_bytes()
    completed = run_snakemake(finished_run, "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode != 0
    message = output_of(completed)
    assert "corrupted" in message and "seed1.json" in message, message[-3000:]
    assert table.read_bytes() == table_before  # downstream results never rebuilt from it
    assert not list((finished_run / "results").rglob(".*.part"))


@pytest.mark.slow
def test_solver_blow_up_in_the_pipeline_leaves_no_output(tmp_path):
    """dt = 0.5 passes the schema (its upper bound) but is unstable at 1/Δ2 = 2.5: the job fails clearly.
    The target is the simulation table, so the other stages of the ci config do not run."""
    workdir = copy_workflow(tmp_path)
    config = write_config(workdir, n=[32], inv_delta2=[2.5], seeds=[1], dt=0.5)
    completed = run_snakemake(workdir, "results/tables/simulation.csv", "--configfile", config)
    assert completed.returncode != 0
    message = output_of(completed)
    assert "gradient flow failed" in message and "reduce dt" in message, message[-3000:]
    assert not list((workdir / "results" / "simulation").rglob("*.csv"))
    assert not (workdir / "results" / "tables" / "simulation.csv").exists()


@pytest.mark.slow
def test_results_path_that_is_a_file_stops_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path)
    (workdir / "results").write_text("not a folder")
    completed = run_snakemake(workdir, "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode != 0
    assert "is not a writable folder" in output_of(completed) and "NotADirectoryError" not in output_of(completed)
    assert (workdir / "results").read_text() == "not a folder"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_results_folder_stops_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path)
    (workdir / "results").mkdir(mode=0o555)
    try:
        completed = run_snakemake(workdir, "--configfile", "workflow/config/ci.yaml")
    finally:
        (workdir / "results").chmod(0o755)
    assert completed.returncode != 0 and "is not a writable folder" in output_of(completed)
    assert list((workdir / "results").iterdir()) == []
