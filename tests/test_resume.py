"""A ci run killed (SIGKILL, Snakemake and its jobs) while a simulation job runs resumes to identical results.

Outputs are written through a temporary file renamed on success (cli._common.atomic_output),
so a killed job leaves nothing under its output's name; Snakemake also marks the job
incomplete, and the profile's ``rerun-incomplete`` reruns it. A SIGKILL leaves Snakemake's
directory lock behind: the documented restart is ``--unlock`` then the same command.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import copy_workflow, run_snakemake
from .test_determinism import assert_same_results

CI = ("--configfile", "workflow/config/ci.yaml")


def running_simulation(workdir: Path) -> Path | None:
    """The output of a simulate job that has started (its log exists) and not finished (no output yet)."""
    logs = workdir / "results" / "logs" / "simulate"
    for log in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
        output = workdir / "results" / "simulation" / log.relative_to(logs).with_suffix(".csv")
        if not output.exists():
            return output
    return None


def processes_in(workdir: Path) -> list[int]:
    """Processes whose working directory is ``workdir`` (Snakemake and its jobs run there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "cwd") == str(workdir):
                    found.append(int(entry.name))
            except OSError:  # gone, or not ours to read
                continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs /proc to see the killed run's processes")
def test_killed_run_resumes_to_identical_outputs(ci_run, tmp_path):
    workdir = copy_workflow(tmp_path / "killed").resolve()
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    run = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--workflow-profile", "workflow/profiles/default", *CI],
        cwd=workdir, env=environment, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    interrupted = None
    while interrupted is None:
        assert run.poll() is None, "the run ended before any simulation job started"
        assert time.monotonic() < deadline, "no simulation job started within 10 minutes"
        time.sleep(0.02)
        interrupted = running_simulation(workdir)
    os.killpg(run.pid, signal.SIGKILL)  # Snakemake and every job it started: one process group
    run.wait()
    deadline = time.monotonic() + 30
    while processes_in(workdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not processes_in(workdir), "processes of the killed run survived SIGKILL of its process group"

    # Nothing partial under a final name: the interrupted job left no output, every finished one is complete.
    assert not interrupted.exists()
    for folder in ("instances", "simulation"):
        for path in (workdir / "results" / folder).rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                reference = ci_run / path.relative_to(workdir)
                assert path.read_bytes() == reference.read_bytes(), path

    locked = run_snakemake(workdir, *CI)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    assert run_snakemake(workdir, "--unlock", *CI).returncode == 0
    resumed = run_snakemake(workdir, *CI)
    assert resumed.returncode == 0, resumed.stdout[-4000:] + resumed.stderr[-4000:]
    assert_same_results(ci_run, workdir)
