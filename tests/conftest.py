"""Shared fixtures: a private copy of the workflow, and one run of the ci config."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = ["Snakefile", "workflow", "environment.yml", "pyproject.toml"]


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
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--workflow-profile", "workflow/profiles/default", *arguments],
        cwd=workdir, capture_output=True, text=True, timeout=timeout, env=environment,
    )


@pytest.fixture(scope="session")
def ci_run(tmp_path_factory) -> Path:
    """The ci config run once end to end in a private copy; returns that folder."""
    workdir = copy_workflow(tmp_path_factory.mktemp("ci-run"))
    completed = run_snakemake(workdir, "--configfile", "workflow/config/ci.yaml")
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return workdir


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
