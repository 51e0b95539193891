"""The Snakemake pipeline: lint, dry run, config validation, and the ci config end to end."""

import subprocess
import sys

import pytest
import yaml

from bigbadminima.workflow_config import ConfigError, validate_config

from .conftest import REPO, copy_workflow, run_snakemake

SCHEMAS = REPO / "workflow" / "schemas"


def load(name):
    return yaml.safe_load((REPO / "workflow" / "config" / name).read_text())


@pytest.mark.parametrize("name", ["default.yaml", "ci.yaml"])
def test_shipped_configs_are_valid(name):
    validate_config(load(name), SCHEMAS)


def test_every_schema_key_has_a_default_and_a_description():
    for schema_file in SCHEMAS.glob("*.schema.yaml"):
        if schema_file.name == "config.schema.yaml":
            continue
        schema = yaml.safe_load(schema_file.read_text())
        assert schema.get("additionalProperties") is False, schema_file
        for key, spec in schema.get("properties", {}).items():
            assert "description" in spec and "default" in spec, f"{schema_file.name}: {key}"


def test_defaults_are_filled_in():
    config = validate_config({"simulation": {"n": [16]}}, SCHEMAS)
    assert config["simulation"]["n"] == [16] and config["simulation"]["dt"] == 0.1


@pytest.mark.parametrize(
    "section, key, value, words",
    [
        ("simulation", "n", [64, -3], ["simulation.n[1]", "minimum"]),
        ("simulation", "delta_p", 0.0, ["simulation.delta_p"]),
        ("simulation", "p", 2, ["simulation.p"]),
        ("simulation", "t_max", -5, ["simulation.t_max"]),
        ("simulation", "seeds", "one", ["simulation.seeds", "array"]),
        ("simulation", "colour", "red", ["simulation", "colour"]),
    ],
)
def test_invalid_values_name_the_key(section, key, value, words):
    config = load("ci.yaml")
    config[section][key] = value
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMAS)
    for word in words:
        assert word in str(error.value)


def test_unknown_section_is_rejected():
    with pytest.raises(ConfigError, match="unknown configuration section"):
        validate_config({**load("ci.yaml"), "simulations": {}}, SCHEMAS)


def test_invalid_config_stops_snakemake_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path)
    bad = load("ci.yaml")
    bad["simulation"]["n"] = [64, -3]
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    completed = run_snakemake(workdir, "--configfile", "bad.yaml")
    assert completed.returncode != 0
    assert "simulation.n[1]" in completed.stdout + completed.stderr
    assert not (tmp_path / "results").exists()


def test_lint_is_clean():
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0 and "Congratulations" in output and "Lints for" not in output, output


@pytest.mark.parametrize("config", ["default.yaml", "ci.yaml"])
def test_dry_run_resolves_the_dag(tmp_path, config):
    workdir = copy_workflow(tmp_path)
    completed = run_snakemake(workdir, "--dry-run", "--configfile", f"workflow/config/{config}")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "rule all" in completed.stdout or "all" in completed.stdout


@pytest.mark.slow
def test_ci_config_produces_every_figure_and_notebook(ci_run):
    figures = sorted(path.name for path in (ci_run / "results" / "figures").iterdir())
    assert "gradient_flow.png" in figures and "gradient_flow.pdf" in figures
    for png in (ci_run / "results" / "figures").glob("*.png"):
        assert png.stat().st_size > 10_000, png
        assert (ci_run / "results" / "figures" / f"{png.stem}.pdf").is_file()
    for notebook in (ci_run / "workflow" / "notebooks").glob("fig_*.py"):
        assert (ci_run / "results" / "notebooks" / f"{notebook.stem}.ipynb").is_file(), notebook.name
        assert (ci_run / "results" / "notebooks" / f"{notebook.stem}.html").is_file(), notebook.name


@pytest.mark.slow
def test_rerun_has_nothing_to_do(ci_run):
    completed = run_snakemake(ci_run, "--dry-run", "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode == 0
    assert "Nothing to be done" in completed.stdout + completed.stderr
