"""The data contract (issue 11), one section per class of defect the hostile probes found.

Each test fails if its fix is reverted: values identified by their printed form, truncated or
repeated tables accepted, NaN/inf/integral floats/duplicate keys in the config, records and
manifests satisfied without being checked, non-atomic or self-destroying writes, no guard on
work or memory, tracebacks instead of one line, and two vocabularies for one quantity.
"""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bigbadminima.cli import main
from bigbadminima.provenance import build_manifest, verify_manifest
from bigbadminima.workflow_config import ConfigError, encode_value, load_yaml_strict, validate_config

from .conftest import REPO, copy_workflow, instance_set

SCHEMAS = REPO / "workflow" / "schemas"
CI_CONFIG = yaml.safe_load((REPO / "workflow" / "config" / "ci.yaml").read_text())
MODEL = ["--p", "3", "--n", "12", "--inv-delta2", "2.5", "--delta-p", "1", "--seed", "4"]


def error_line(capsys) -> str:
    """The command's stderr, which must be one `bigbadminima: error:` line (no traceback)."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) >= 1 and err[-1].startswith("bigbadminima: error: "), err
    assert not any("Traceback" in line for line in err), err
    return err[-1]


def fresh_config(**sections):
    config = json.loads(json.dumps(CI_CONFIG))
    for section, changes in sections.items():
        config[section].update(changes)
    return config


# --- 1. values travel exactly; file names encode them losslessly ---------------------------------
@pytest.mark.parametrize("value", [2.1234567, 2.3500001, 2.35, 1e-10, 1e-30, 0.1 + 0.2, 1e16, 2.0, 7, 5e-324])
def test_file_name_encoding_reads_back_to_the_same_value(value):
    text = encode_value(value)
    assert float(text) == value and re.fullmatch(r"[0-9.e+-]+", text)


def test_file_name_encoding_never_merges_two_values():
    values = np.nextafter(2.35, np.inf, dtype=float), 2.35, np.nextafter(2.35, -np.inf, dtype=float)
    assert len({encode_value(float(value)) for value in values}) == 3
    assert encode_value(2.0) == "2" and encode_value(1.6) == "1.6"
    with pytest.raises(ConfigError):
        encode_value(math.nan)


def dry_run_commands(tmp_path, config) -> str:
    workdir = copy_workflow(tmp_path / "wf")
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    completed = subprocess.run(
        [sys.executable, "-m", "snakemake", "--dry-run", "--printshellcmds", "--cores", "1",
         "--configfile", "config.yaml"], cwd=workdir, capture_output=True, text=True, timeout=600,
    )
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.slow
def test_pipeline_passes_the_config_value_not_its_printed_form(tmp_path):
    config = fresh_config(simulation={"inv_delta2": [2.1234567, 2.3500001, 2.35]},
                          dynamics={"threshold_sets": [{"p": 3, "delta_p": 1.0, "inv_delta2": [2.35, 2.3500001, 2.5]},
                                                       {"p": 4, "delta_p": 4.0, "resolution": 1.2500001,
                                                        "inv_delta2": [1.75, 1.875, 2.0]}]})
    status, output = dry_run_commands(tmp_path, config)
    assert status == 0, output[-3000:]
    assert "--inv-delta2 2.1234567 " in output and "id2_2.1234567/" in output
    t_max = encode_value(CI_CONFIG["dynamics"]["rate_t_max"])
    for value in ("2.35", "2.3500001", "2.5"):  # three growth-rate runs, not two
        assert f"rates/p3/dp1/t{t_max}/id2_{value}.csv" in output
    # a set's own resolution reaches its runs' commands, the others keep dynamics.resolution
    assert output.count(f"--t-max {t_max} --resolution 1.2500001 ") == 3
    assert output.count(f"--t-max {t_max} --resolution {encode_value(CI_CONFIG['dynamics']['resolution'])} ") == 3


@pytest.mark.slow
def test_a_repeated_config_value_is_refused_before_any_job(tmp_path):
    status, output = dry_run_commands(tmp_path / "list", fresh_config(simulation={"inv_delta2": [2.5, 2.5]}))
    assert status != 0 and "simulation.inv_delta2" in output and "non-unique" in output  # the schema
    # the same growth-rate run asked for by two threshold sets: only the run tables see it
    sets = [{"p": 3, "delta_p": 1.0, "inv_delta2": [2.2, 2.35, 2.5]},
            {"p": 3, "delta_p": 1.0, "inv_delta2": [2.5, 2.75, 3.0]}]
    status, output = dry_run_commands(tmp_path / "sets", fresh_config(dynamics={"threshold_sets": sets}))
    assert status != 0 and "dynamics.threshold_sets: two runs share the output" in output


# --- 2. tables: truncated, header-only, non-finite or repeated runs are refused -----------------
def dynamics_table(path, stops_at=20.0, linear=False, **changes):
    time = np.linspace(0.0, stops_at, 41)
    frame = pd.DataFrame({"time": time, "overlap": 0.1 + 0.01 * time, "multiplier": 2.0, "energy": -1.0,
                          "overlap_error": 1e-6, "p": 3, "delta_p": 1.0, "inv_delta2": 2.5,
                          "m0": math.nan if linear else 0.1, "temperature": 0.0, "method": "doubling",
                          "resolution": 1.0, "linear": linear, "t_max": 20.0, "t_end": 20.0, **changes})
    if linear:
        frame["log_overlap_ratio"] = 0.1 * time
    frame.to_csv(path, index=False)
    return path


def run_dynamics_table(tmp_path, *inputs):
    return main(["dynamics-table", *map(str, inputs), "--out", str(tmp_path / "out.csv")])


def test_a_run_that_stopped_before_its_t_max_is_refused(tmp_path, capsys):
    assert run_dynamics_table(tmp_path, dynamics_table(tmp_path / "whole.csv")) == 0
    capsys.readouterr()
    assert run_dynamics_table(tmp_path, dynamics_table(tmp_path / "cut.csv", stops_at=7.8)) == 2
    assert "before its t_max = 20" in error_line(capsys)


def test_a_table_cut_mid_number_is_refused(tmp_path, capsys):
    path = dynamics_table(tmp_path / "run.csv")
    text = path.read_text()
    path.write_text(text[: len(text) - 7])  # the last row loses its end, and its line break
    assert run_dynamics_table(tmp_path, path) == 2
    assert "truncated" in error_line(capsys)


def test_a_header_only_table_is_refused(tmp_path, capsys):
    path = dynamics_table(tmp_path / "run.csv")
    path.write_text(path.read_text().splitlines()[0] + "\n")
    assert run_dynamics_table(tmp_path, path) == 2
    assert "no rows" in error_line(capsys)


def test_the_same_run_given_twice_is_refused(tmp_path, capsys):
    path = dynamics_table(tmp_path / "run.csv")
    copy = tmp_path / "copy.csv"
    copy.write_text(path.read_text())
    assert run_dynamics_table(tmp_path, path, copy) == 2
    assert "hold the same run" in error_line(capsys)


def test_non_finite_values_in_a_table_are_refused(tmp_path, capsys):
    trajectory = pd.DataFrame({"p": 3, "n": 16, "delta_p": 1.0, "inv_delta2": 2.5, "seed": 1, "t_max": 1.0,
                               "replica": 0, "time": [0.0, 1.0], "overlap": [0.1, 0.2], "energy": [-1.0, math.nan],
                               "multiplier": 1.0, "gradient_norm": 0.1})
    trajectory.to_csv(tmp_path / "sim.csv", index=False)
    assert main(["check-simulation", "--trajectories", str(tmp_path / "sim.csv"), "--out", str(tmp_path / "c.csv")]) == 2
    assert "'energy' has 1 missing or non-finite" in error_line(capsys)
    assert not (tmp_path / "c.csv").exists()


# --- 3. config: NaN, inf, integral floats, duplicate keys, memory beyond the machine -------------
@pytest.mark.parametrize(("section", "key", "value", "message"), [
    ("simulation", "t_max", math.nan, "simulation.t_max: NaN"),
    ("dynamics", "curve_t_max", math.inf, "dynamics.curve_t_max: NaN"),
    ("simulation", "n", [32.0], "simulation.n[0]"),
    ("simulation", "replicas", 4.0, "simulation.replicas"),
])
def test_config_values_that_the_schema_alone_let_through(section, key, value, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_config(fresh_config(**{section: {key: value}}), SCHEMAS)


def test_a_size_beyond_the_machine_is_refused_with_its_estimate():
    config = fresh_config(simulation={"n": [64, 4000], "tensor_layout": "dense"})
    with pytest.raises(ConfigError, match=r"simulation\.n\[1\]: .*needs about 477\.\d GiB"):
        validate_config(config, SCHEMAS)
    validate_config(fresh_config(simulation={"n": [2048], "tensor_layout": "packed32"}), SCHEMAS)  # 5.3 GB fits


def test_duplicate_yaml_keys_are_refused_naming_the_key(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("simulation:\n  t_max: 200\n  dt: 0.1\n  t_max: 20\n")
    with pytest.raises(ConfigError, match="duplicate key 't_max' at line 4"):
        load_yaml_strict(path)


@pytest.mark.slow
def test_the_pipeline_refuses_a_config_file_with_a_duplicate_key(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    text = yaml.safe_dump(CI_CONFIG).replace("simulation:\n", "simulation:\n  t_max: 5\n", 1)
    (workdir / "config.yaml").write_text(text)
    completed = subprocess.run([sys.executable, "-m", "snakemake", "--dry-run", "--cores", "1", "--configfile",
                                "config.yaml"], cwd=workdir, capture_output=True, text=True, timeout=600)
    assert completed.returncode != 0 and "duplicate key 't_max'" in completed.stdout + completed.stderr


# --- 4. instance records: every digest required, the record must be the instance asked for ------
def resigned(record_path, **changes):
    from bigbadminima.storage import _body_checksum

    record = json.loads(record_path.read_text())
    record.pop("record_sha256")
    record.update(changes)
    record["record_sha256"] = _body_checksum(record)
    record_path.write_text(json.dumps(record))


@pytest.fixture
def record(tmp_path):
    path = tmp_path / "instance.json"
    assert main(["instance", *MODEL, "--out", str(path)]) == 0
    return path


def simulate(record, tmp_path, *expected):
    return main(["simulate", "--instance", str(record), *expected, "--t-max", "1", "--out", str(tmp_path / "f.csv")])


def test_a_record_resigned_without_digests_is_refused(record, tmp_path, capsys):
    resigned(record, digests={})
    assert simulate(record, tmp_path) == 2
    assert "must carry exactly the digests" in error_line(capsys)


def test_a_record_of_another_instance_than_asked_is_refused(record, tmp_path, capsys):
    resigned(record, delta2=0.5)  # a re-signed record whose Δ2 was changed: digests match its own regeneration?
    assert simulate(record, tmp_path, *MODEL) == 2
    assert "is not the instance asked for: it has Δ2 = 0.5 (asked 0.4)" in error_line(capsys)


def test_the_instance_asked_for_is_accepted(record, tmp_path):
    assert simulate(record, tmp_path, *MODEL) == 0


# One instance source: the many-instance commands read an instance set, never a seed of their own.
SET_MODEL = ["--p", "3", "--delta-p", "1", "--n", "12"]
SET_READERS = {
    "finite-size-run": ["--inv-delta2", "2.5", "--seeds", "1", "2", "--replicas", "1", "--horizon-per-log-n", "2",
                        "--out", "{out}/runs.csv"],
    "convergence-run": ["--inv-delta2", "2.5", "--seeds", "1", "2", "--m0", "0.2", "--replicas", "1",
                        "--t-max", "1", "--out", "{out}/runs.csv"],
    "hessian-spectra": ["--inv-delta2", "2.5", "--seeds", "1", "2", "--times", "1",
                        "--spectra-out", "{out}/spectra.csv", "--states-out", "{out}/states.csv"],
    "amp-runs": ["--inv-delta2", "2.5", "--seeds", "1", "2", "--iterations", "2", "--inv-delta2-max", "3",
                 "--theory-points", "2", "--out", "{out}/runs.csv", "--theory-out", "{out}/theory.csv"],
}


def read_set(command, tmp_path, instances):
    out = tmp_path / "out"
    arguments = [argument.format(out=out) for argument in SET_READERS[command]]
    status = main([command, *SET_MODEL, *arguments, *instances])
    return status, sorted(path.name for path in out.glob("*")) if out.exists() else []


@pytest.mark.parametrize("command", SET_READERS)
def test_every_many_instance_command_reads_the_instance_set_it_is_given(command, tmp_path, capsys):
    instances = instance_set(tmp_path, 12, 2.5, [1, 2])
    assert read_set(command, tmp_path, instances)[0] == 0
    with pytest.raises(SystemExit):  # no --instances: nothing to regenerate from seeds
        main([command, *SET_MODEL, *[a.format(out=tmp_path) for a in SET_READERS[command]]])
    assert "the following arguments are required: --instances" in capsys.readouterr().err


def resigned_set(path, change):
    from bigbadminima.storage import _body_checksum

    body = json.loads(path.read_text())
    body.pop("record_sha256")
    change(body["instances"])
    body["record_sha256"] = _body_checksum(body)
    path.write_text(json.dumps(body))


def with_member_field(index, **changes):
    def change(members):
        members[index].update(changes)
    return change


@pytest.mark.parametrize(("change", "message"), [
    (lambda members: members.reverse(), "instance 0 of set {path} is not the instance asked for: it has seed = 2"),
    (lambda members: members.pop(), "instance set {path} holds 1 instances, 2 were asked for"),
    (with_member_field(1, digests={}), "instance 1 of set {path} must carry exactly the digests"),
    (with_member_field(0, delta2=0.5), "it has Δ2 = 0.5 (asked 0.4)"),
    (with_member_field(1, spike=[1.0] * 12), "instance 1 of set {path}: the regenerated spike differs"),
    (with_member_field(0, digests={"spike_sha256": "0" * 64, "matrix_noise_sha256": "0" * 64,
                                   "tensor_noise_sha256": "0" * 64}),
     "instance 0 of set {path}: spike_sha256 of the regenerated instance differs from the record"),
])
@pytest.mark.parametrize("command", SET_READERS)
def test_a_set_that_is_not_the_instances_asked_for_is_refused_and_writes_nothing(command, change, message, tmp_path,
                                                                                 capsys):
    instances = instance_set(tmp_path, 12, 2.5, [1, 2])
    resigned_set(Path(instances[1]), change)
    status, written = read_set(command, tmp_path, instances)
    assert (status, written) == (2, [])
    assert message.format(path=instances[1]) in error_line(capsys)


def test_a_damaged_set_is_refused(tmp_path, capsys):
    instances = instance_set(tmp_path, 12, 2.5, [1, 2])
    path = Path(instances[1])
    path.write_text(path.read_text().replace('"seed": 2', '"seed": 3'))  # edited without re-signing
    assert read_set("amp-runs", tmp_path, instances)[0] == 2
    assert "is corrupted: its checksum does not match" in error_line(capsys)
    resigned_set(path, lambda members: members.clear())
    assert read_set("amp-runs", tmp_path, instances)[0] == 2
    assert "holds no list of instance records" in error_line(capsys)


def test_only_the_record_commands_generate_instances():
    """A command that drew its own instance from a seed would bypass the records and their digests."""
    generating = {path.name: path.read_text().count("Instance.generate(")
                  for path in (REPO / "src" / "bigbadminima" / "cli").glob("*.py")}
    assert {name: count for name, count in generating.items() if count} == {"simulation.py": 2}
    source = (REPO / "src" / "bigbadminima" / "cli" / "simulation.py").read_text()
    for function in re.findall(r"\ndef (\w+)\(", source):
        body = source.split(f"\ndef {function}(", 1)[1].split("\ndef ", 1)[0]
        assert ("Instance.generate(" in body) == (function in {"cmd_instance", "cmd_instance_set"}), function


# --- 5. verify: unlisted files, empty or malformed manifests, the config digest ------------------
@pytest.fixture
def run_folder(tmp_path):
    (tmp_path / "results" / "tables").mkdir(parents=True)
    (tmp_path / "results" / "tables" / "t.csv").write_text("a\n1\n")
    manifest = build_manifest(tmp_path / "results", {"simulation": {"seeds": [1]}})
    return tmp_path, manifest


def test_verify_reports_a_file_the_manifest_does_not_list(run_folder):
    base, manifest = run_folder
    assert verify_manifest(manifest, base) == []
    (base / "results" / "tables" / "extra.csv").write_text("b\n2\n")
    assert [(m.path, m.kind) for m in verify_manifest(manifest, base)] == [("results/tables/extra.csv", "unlisted")]


@pytest.mark.parametrize(("change", "message"), [
    (lambda m: m.update(outputs={}), "lists no outputs"),
    (lambda m: m["outputs"].update({"results/x.csv": {"bytes": 3}}), "has no sha256"),
    (lambda m: m["config"]["simulation"].update(seeds=[2]), "does not match its config_sha256"),
])
def test_verify_refuses_a_manifest_that_cannot_be_checked(run_folder, change, message):
    base, manifest = run_folder
    change(manifest)
    with pytest.raises(ValueError, match=message):
        verify_manifest(manifest, base)


# --- 6. writes: atomic figures, outputs that would destroy inputs or each other ------------------
def test_an_output_on_an_input_is_refused_before_any_work(record, capsys):
    before = record.read_bytes()
    assert main(["simulate", "--instance", str(record), "--t-max", "1", "--out", str(record)]) == 2
    assert "is also an input (--instance)" in error_line(capsys)
    assert record.read_bytes() == before


def test_two_outputs_on_one_path_are_refused(tmp_path, capsys):
    path = str(tmp_path / "same.csv")
    assert main(["amp-runs", "--p", "3", "--delta-p", "1", "--n", "12", "--inv-delta2", "2.5", "--seeds", "1",
                 *instance_set(tmp_path, 12, 2.5, [1]), "--inv-delta2-max", "3", "--out", path,
                 "--theory-out", path]) == 2
    assert "--out and --theory-out name the same output file" in error_line(capsys)


def test_an_output_that_is_a_folder_is_refused_before_any_work(tmp_path, capsys):
    assert main(["instance", *MODEL, "--out", str(tmp_path)]) == 2
    assert "is a folder" in error_line(capsys)


NOTEBOOK = """# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
# %% tags=["parameters"]
figure_stem = "fig"
fail = False
# %%
from bigbadminima.plotting import new_figure, save_figure, set_style
set_style()
fig, ax = new_figure("column", 2.0)
ax.plot([0, 1], [1, 0] if fail else [0, 1])
save_figure(fig, figure_stem)
# %%
assert not fail, "the notebook fails after drawing"
"""


@pytest.mark.slow
def test_a_notebook_that_fails_after_drawing_replaces_no_figure(tmp_path, capsys):
    source = tmp_path / "fig_test.py"
    source.write_text(NOTEBOOK)
    stem = tmp_path / "figures" / "test"
    arguments = ["notebook", str(source), "--executed", str(tmp_path / "x.ipynb"), "--html", str(tmp_path / "x.html"),
                 "-p", f"figure_stem={stem}"]
    assert main(arguments) == 0
    good = {suffix: stem.with_suffix(suffix).read_bytes() for suffix in (".png", ".pdf")}
    assert main([*arguments, "-p", "fail=true"]) == 1
    assert "no figure was replaced" in error_line(capsys)
    assert {suffix: stem.with_suffix(suffix).read_bytes() for suffix in (".png", ".pdf")} == good
    assert sorted(path.name for path in stem.parent.iterdir()) == ["test.pdf", "test.png"]  # no staged leftovers


# --- 7. guards on work and memory; OS failures as one line ---------------------------------------
def test_a_step_count_beyond_the_bound_is_refused_at_once(record, tmp_path, capsys):
    assert main(["simulate", "--instance", str(record), "--t-max", "100", "--dt", "1e-300",
                 "--out", str(tmp_path / "f.csv")]) == 2
    assert "exceeds the limit of 1e+07 steps" in error_line(capsys)


def test_an_instance_beyond_the_machine_is_refused_with_its_estimate(tmp_path, capsys):
    assert main(["instance", "--p", "3", "--n", "4000", "--inv-delta2", "2", "--delta-p", "1", "--seed", "1",
                 "--tensor-layout", "dense", "--out", str(tmp_path / "i.json")]) == 2
    assert "needs about 477" in error_line(capsys)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device", "out.csv"), MemoryError()])
def test_os_and_memory_failures_are_one_line(monkeypatch, tmp_path, capsys, failure):
    import bigbadminima.cli.simulation as simulation

    def fail(*args, **kwargs):
        raise failure

    monkeypatch.setattr(simulation, "atomic_output", fail)
    assert main(["instance", *MODEL, "--out", str(tmp_path / "i.json")]) == 1
    line = error_line(capsys)
    assert "No space left on device: out.csv" in line or "out of memory" in line


# --- 8. one vocabulary ---------------------------------------------------------------------------
def test_finite_n_and_large_n_tables_share_their_column_names():
    from bigbadminima.cli.dynamics import RUN_COLUMNS as LARGE_N
    from bigbadminima.cli.simulation import TRAJECTORY_COLUMNS as FINITE_N

    shared = {"time", "overlap", "multiplier", "energy"}
    assert shared <= set(LARGE_N) and shared <= set(FINITE_N)


def test_one_list_of_tensor_layouts():
    copies = [path for path in (REPO / "src").rglob("*.py")
              if re.search(r"""\(\s*["'](dense|packed)["'],\s*["']packed""", path.read_text())]
    assert copies == [], f"tensor layouts listed outside layouts.TENSOR_LAYOUTS: {copies}"


# --- a wrong physics answer: the good minimum at a very large signal -----------------------------
def test_the_good_minimum_exists_at_a_very_large_signal():
    from bigbadminima.landscape import good_minimum
    from bigbadminima.params import ModelParams

    params = ModelParams.from_inv_delta2(3, 3000.0, 1.0)
    star = good_minimum(params)
    # f'(m)² (1 - m²) = m² f'(1) at m* (theory.md §D.5); here m* = 0.99983, in the scan's last cell
    assert params.df(star.m) ** 2 * (1 - star.m**2) == pytest.approx(star.m**2 * params.df1, rel=1e-9)
    assert 0.9998 < star.m < 1
