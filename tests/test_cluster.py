"""The SLURM profile resolves the whole DAG (dry run: no cluster needed, only the executor plugin)."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from .conftest import copy_workflow, run_snakemake

JOB_TOTAL = re.compile(r"^total\s+(\d+)\s*$", re.MULTILINE)


def planned_jobs(completed) -> int:
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return int(JOB_TOTAL.search(completed.stdout).group(1))


@pytest.mark.parametrize("config", ["default.yaml", "ci.yaml"])
def test_slurm_profile_dry_run_plans_the_same_dag_as_a_local_run(tmp_path, config):
    assert importlib.util.find_spec("snakemake_executor_plugin_slurm"), (
        "snakemake-executor-plugin-slurm is missing: install the 'slurm' extra (make setup does)"
    )
    workdir = copy_workflow(tmp_path)
    configfile = f"workflow/config/{config}"
    local = planned_jobs(run_snakemake(workdir, "--dry-run", "--configfile", configfile))
    # The README's cluster command; with --profile, Snakemake does not read the local workflow profile.
    slurm = subprocess.run(
        [sys.executable, "-m", "snakemake", "--profile", "workflow/profiles/slurm", "--dry-run", "--printshellcmds",
         "--configfile", configfile],
        cwd=workdir, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert planned_jobs(slurm) == local
    assert "Using profile workflow/profiles/slurm for" in slurm.stdout + slurm.stderr
    assert "mem_mb=1000" in slurm.stdout and "runtime=20" in slurm.stdout  # the profile's resources reach the jobs
