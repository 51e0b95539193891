"""Shared fixtures: a private copy of the workflow, one run of the ci config, and a second one
killed while a job runs and then resumed (the run the determinism and resume tests compare)."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "environment.yml", "pyproject.toml"]
CI_CONFIG = ("--configfile", "workflow/config/ci.yaml")
# The thread counts of the BLAS and numba pools (the Makefile exports the same four)
THREAD_COUNT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ONE_THREAD = dict.fromkeys(THREAD_COUNT_VARIABLES, "1")
# Not compared between runs: wall times, load and host details (logs/, benchmarks/), the manifest
# (its creation time and benchmarks; its data part is compared on its own), and executed notebooks
# (.ipynb: papermill stores start/end times per cell; their HTML exports are compared).
NOT_COMPARED = ("results/logs/", "results/benchmarks/", "results/manifest.json")


def copy_workflow(destination: Path) -> Path:
    """Copy the Snakefile and workflow/ into ``destination`` so a run never touches the checkout's results/."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def run_snakemake(workdir: Path, *arguments: str, timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run Snakemake from the test's Python in ``workdir``; one BLAS thread per job."""
    environment = {**os.environ, **ONE_THREAD}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--workflow-profile", "workflow/profiles/default", *arguments],
        cwd=workdir, capture_output=True, text=True, timeout=timeout, env=environment,
    )


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory) -> Path:
    """The ci config run once end to end in a private copy; returns that folder."""
    workdir = copy_workflow(tmp_path_factory.mktemp("ci-run"))
    completed = run_snakemake(workdir, *CI_CONFIG)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return workdir


def result_digests(workdir: Path) -> dict[str, str]:
    """{path under workdir: sha256} of every compared result (NOT_COMPARED says what is left out)."""
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


@dataclass
class InterruptedRun:
    """A clean run of the ci config killed with SIGKILL while a simulate job ran, then resumed."""

    workdir: Path
    interrupted: Path  # the output of the simulate job that was running at the kill
    survivors: list[int]  # processes of the killed run still alive 30 s after the kill
    left_by_kill: dict[str, str]  # result_digests of the folder right after the kill
    locked: subprocess.CompletedProcess  # the same command again: refused by the stale lock
    unlocked: subprocess.CompletedProcess  # --unlock
    resumed: subprocess.CompletedProcess  # the same command once more


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


@pytest.fixture(scope="session")
def interrupted_ci_run(tmp_path_factory) -> InterruptedRun:
    """A second clean run of the ci config in its own folder, killed (Snakemake and its jobs, one
    process group) the moment a simulate job is running, then restarted the documented way:
    the same command (refused: stale lock), ``--unlock``, the same command."""
    if not Path("/proc/self/cwd").exists():
        pytest.skip("needs /proc to see the killed run's processes")
    workdir = copy_workflow(tmp_path_factory.mktemp("ci-run-interrupted")).resolve()
    run = subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--workflow-profile", "workflow/profiles/default", *CI_CONFIG],
        cwd=workdir, env={**os.environ, **ONE_THREAD}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 600
    interrupted = None
    while interrupted is None:
        assert run.poll() is None, "the run ended before any simulation job started"
        assert time.monotonic() < deadline, "no simulation job started within 10 minutes"
        time.sleep(0.02)
        interrupted = running_simulation(workdir)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 30
    while processes_in(workdir) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = processes_in(workdir)
    left_by_kill = result_digests(workdir)
    locked = run_snakemake(workdir, *CI_CONFIG)
    unlocked = run_snakemake(workdir, "--unlock", *CI_CONFIG)
    resumed = run_snakemake(workdir, *CI_CONFIG)
    return InterruptedRun(workdir, interrupted, survivors, left_by_kill, locked, unlocked, resumed)


def instance_set(folder: Path, n: int, inv_delta2, seeds, p: int = 3, delta_p: float = 1.0) -> list[str]:
    """Write the instance set of (p, n, each 1/Δ2, Δp, each seed) with `bigbadminima instance-set`
    into ``folder``; return the ``--instances`` arguments of the command that reads it."""
    from bigbadminima.cli import main

    values = [str(value) for value in (inv_delta2 if isinstance(inv_delta2, (list, tuple)) else [inv_delta2])]
    path = folder / f"instances_p{p}_n{n}_{'_'.join(values)}_{'_'.join(map(str, seeds))}.json"
    if not path.exists():
        assert main(["instance-set", "--p", str(p), "--delta-p", str(delta_p), "--n", str(n),
                     "--inv-delta2", *values, "--seeds", *map(str, seeds), "--out", str(path)]) == 0
    return ["--instances", str(path)]
