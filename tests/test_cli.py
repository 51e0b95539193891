"""The finite-N CLI stages: records, verification, outputs, and clear errors on bad input."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bigbadminima.cli import main
from bigbadminima.landscape import good_minimum, threshold_states
from bigbadminima.params import ModelParams
from bigbadminima.storage import InstanceFileError, load_instance

MODEL = ["--p", "3", "--n", "20", "--inv-delta2", "2.5", "--delta-p", "1", "--seed", "4"]


@pytest.fixture
def record(tmp_path):
    path = tmp_path / "instance.json"
    assert main(["instance", *MODEL, "--out", str(path)]) == 0
    return path


def test_record_regenerates_the_same_instance(record):
    content = json.loads(record.read_text())
    assert content["n"] == 20 and content["seed"] == 4 and len(content["spike"]) == 20
    instance = load_instance(record)
    assert instance.digests == content["digests"]
    np.testing.assert_array_equal(instance.spike, content["spike"])


def test_corrupted_record_is_refused(record, tmp_path):
    content = json.loads(record.read_text())
    content["spike"][0] += 1e-9
    record.write_text(json.dumps(content))
    with pytest.raises(InstanceFileError, match="corrupted"):
        load_instance(record)
    out = tmp_path / "traj.csv"
    assert main(["simulate", "--instance", str(record), "--t-max", "1", "--out", str(out)]) == 2
    assert not out.exists()


def test_record_with_a_consistent_but_wrong_digest_is_refused(record):
    """A record whose digests were changed and re-signed: regeneration exposes it."""
    from bigbadminima.storage import _body_checksum

    content = json.loads(record.read_text())
    content.pop("record_sha256")
    content["digests"]["tensor_noise_sha256"] = "0" * 64
    content["record_sha256"] = _body_checksum(content)
    record.write_text(json.dumps(content))
    with pytest.raises(InstanceFileError, match="tensor_noise_sha256"):
        load_instance(record)


def test_simulate_writes_a_tidy_table(record, tmp_path):
    out = tmp_path / "traj.csv"
    assert main(["simulate", "--instance", str(record), "--replicas", "2", "--t-max", "2", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert set(table["replica"]) == {0, 1} and table["time"].max() == pytest.approx(2.0)
    assert (table.groupby("replica")["overlap"].first() > 0).all()
    aggregated, references = tmp_path / "all.csv", tmp_path / "references.csv"
    assert main(["aggregate", str(out), "--out", str(aggregated), "--references-out", str(references)]) == 0
    assert len(pd.read_csv(aggregated)) == len(table)
    # one row per (p, Δp, 1/Δ2) with the good minimum and the threshold energy of theory.md §D.4-D.5
    (reference,) = pd.read_csv(references).to_dict("records")
    params = ModelParams.from_inv_delta2(int(table["p"][0]), float(table["inv_delta2"][0]), float(table["delta_p"][0]))
    assert reference["good_minimum_overlap"] == good_minimum(params).m
    assert reference["threshold_energy"] == threshold_states(params).energy
    assert main(["aggregate", str(out), str(out), "--out", str(aggregated),
                 "--references-out", str(references)]) == 2  # overlapping inputs


def test_failed_run_does_not_overwrite_a_previous_output(record, tmp_path):
    out = tmp_path / "traj.csv"
    out.write_text("previous good result\n")
    status = main(["simulate", "--instance", str(record), "--t-max", "5", "--dt", "3", "--out", str(out)])
    assert status == 1
    assert out.read_text() == "previous good result\n"
    assert list(tmp_path.glob("*.part")) == []


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["instance", "--p", "2", "--n", "9", "--inv-delta2", "1", "--delta-p", "1", "--seed", "0", "--out", "x"], "--p"),
        (["instance", "--p", "3", "--n", "9", "--inv-delta2", "0", "--delta-p", "1", "--seed", "0", "--out", "x"], "--inv-delta2"),
        (["instance", "--p", "3", "--n", "9", "--inv-delta2", "nan", "--delta-p", "1", "--seed", "0", "--out", "x"], "finite"),
        (["instance", "--p", "3", "--n", "1", "--inv-delta2", "1", "--delta-p", "1", "--seed", "0", "--out", "x"], "--n"),
        (["simulate", "--instance", "missing.json", "--t-max", "-1", "--out", "x"], "--t-max"),
    ],
)
def test_invalid_arguments_fail_with_a_message(arguments, message):
    completed = subprocess.run([sys.executable, "-m", "bigbadminima", *arguments], capture_output=True, text=True)
    assert completed.returncode == 2
    assert message in completed.stderr


def test_missing_instance_file_is_a_clear_error(tmp_path, capsys):
    status = main(["simulate", "--instance", str(tmp_path / "nope.json"), "--t-max", "1", "--out", str(tmp_path / "o.csv")])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_unwritable_output_folder_is_a_clear_error(tmp_path, capsys):
    """An output folder that cannot be created (a file stands in its way; this holds for root too)."""
    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder")
    status = main(["instance", *MODEL, "--out", str(blocker / "instances" / "i.json")])
    assert status == 2 and "is not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "a file, not a folder"


def test_help_for_every_subcommand():
    from bigbadminima.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"instance", "simulate", "aggregate", "notebook"} <= set(commands)
    for name in commands:
        completed = subprocess.run([sys.executable, "-m", "bigbadminima", name, "--help"], capture_output=True, text=True)
        assert completed.returncode == 0 and "usage" in completed.stdout


def test_outputs_get_ordinary_permissions(record):
    """Atomic writes go through a private temporary file; the result must not stay private (0600)."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert record.stat().st_mode & 0o777 == 0o666 & ~umask
