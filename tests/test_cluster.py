"""The SLURM profile: the dry run (plugin only), then real runs on a throw-away single-node SLURM.

The tests marked ``cluster`` start workflow/cluster/start_slurm.sh (root, Debian's slurm-wlm and
munge) and submit every job through sbatch. `make test` leaves them out (pyproject's addopts)
except under CI=true; `make test-cluster` runs them. Without root or the packages they skip, saying why; under CI=true
they fail instead, so CI cannot pass without proving the cluster path.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import pytest

from .conftest import CI_CONFIG, REPO, THREAD_COUNT_VARIABLES, assert_same_results, copy_workflow, result_digests, run_snakemake

JOB_TOTAL = re.compile(r"^total\s+(\d+)\s*$", re.MULTILINE)
SUBMITTED = re.compile(r"^Job \d+ has been submitted with SLURM jobid (\d+) \(log: .*/rule_(\w+?)/", re.MULTILINE)
SLURM_PROFILE = ("--profile", "workflow/profiles/slurm")
# The throw-away cluster has no accounting (no slurmdbd): job states come from squeue, first polled
# 5 s after a submission instead of the plugin's 40 s; no account to guess.
THROWAWAY_CLUSTER_OPTIONS = ("--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "5",
                             "--slurm-no-account")
CLUSTER_SCRIPT = REPO / "workflow" / "cluster" / "start_slurm.sh"
DAEMONS = ("munged", "slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scancel", "srun")


def run_with_profile(workdir, *arguments, environment, timeout=600):
    """Snakemake with the SLURM profile (conftest's run_snakemake always passes the local one)."""
    return subprocess.run([sys.executable, "-m", "snakemake", *SLURM_PROFILE, *arguments], cwd=workdir,
                          capture_output=True, text=True, timeout=timeout, env=environment)


def planned_jobs(completed) -> int:
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return int(JOB_TOTAL.search(completed.stdout).group(1))


@pytest.mark.parametrize("config", ["default.yaml", "ci.yaml"])
def test_slurm_profile_dry_run_plans_the_same_dag_as_a_local_run(tmp_path, config):
    assert importlib.util.find_spec("snakemake_executor_plugin_slurm"), (
        "snakemake-executor-plugin-slurm is missing: install the 'slurm' extra (make setup does)"
    )
    workdir = copy_workflow(tmp_path)
    configfile = ("--configfile", f"workflow/config/{config}")
    local = planned_jobs(run_snakemake(workdir, "--dry-run", *configfile))
    # The README's cluster command; with --profile, Snakemake does not read the local workflow profile.
    slurm = run_with_profile(workdir, "--dry-run", "--printshellcmds", *configfile,
                             environment={**os.environ, "OMP_NUM_THREADS": "1"})
    assert planned_jobs(slurm) == local
    assert "Using profile workflow/profiles/slurm for" in slurm.stdout + slurm.stderr
    assert "mem_mb=1000" in slurm.stdout and "runtime=20" in slurm.stdout  # the profile's resources reach the jobs


# ----------------------------------------------------------------------------------------------
# Real runs on a throw-away cluster


def cluster_unavailable() -> str | None:
    """Why the throw-away cluster cannot start here, or None."""
    if os.geteuid() != 0:
        return "the throw-away SLURM needs root (munged and slurmd run as root)"
    search = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin"
    missing = [tool for tool in DAEMONS if shutil.which(tool, path=search) is None]
    if missing:
        return f"missing {' '.join(missing)}: apt-get install -y slurm-wlm munge"
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is missing: install the 'slurm' extra (make setup does)"
    return None


def job_environment(cluster: dict) -> dict:
    """A user's environment: no BLAS/numba thread counts (the rules' threads pin them), the cluster's.
    Other variables stay: OPENBLAS_CORETYPE chooses OpenBLAS's kernels, and kernels sum in different
    orders (a 1-ulp change of an N = 64 spike norm, Haswell vs SkylakeX kernels on this machine)."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in THREAD_COUNT_VARIABLES}
    return {**environment, **cluster}


def run_on_slurm(workdir, cluster, *arguments, timeout=1500):
    return run_with_profile(workdir, *THROWAWAY_CLUSTER_OPTIONS, *arguments, timeout=timeout,
                            environment=job_environment(cluster))


def submissions(completed) -> list[tuple[str, str]]:
    """(SLURM job id, rule) of every job Snakemake submitted, from its log."""
    return SUBMITTED.findall(completed.stdout + completed.stderr)


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory):
    """A running single-node SLURM for the module: {"SLURM_CONF": ...}; stopped (every daemon) afterwards."""
    reason = cluster_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so the cluster test may not skip: {reason}")
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm")
    started = time.monotonic()
    with open(folder / "start_slurm.err", "w") as errors:
        process = subprocess.Popen([str(CLUSTER_SCRIPT), "--dir", str(folder / "cluster")], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    lines = []
    for line in process.stdout:  # the script gives up by itself after 60 s
        lines.append(line.strip())
        if line.strip() == "ready":
            break
    if lines[-1:] != ["ready"]:
        process.wait(timeout=60)
        pytest.fail(f"start_slurm.sh exited with {process.returncode}: {(folder / 'start_slurm.err').read_text()}")
    print(f"cluster up in {time.monotonic() - started:.1f} s")
    conf = next(line.split("=", 1)[1] for line in lines if line.startswith("export SLURM_CONF="))
    yield {"SLURM_CONF": conf}
    process.stdin.close()  # end of stdin: the script cancels what is left and stops its daemons
    assert process.wait(timeout=120) == 0, (folder / "start_slurm.err").read_text()
    leftovers = subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout.split()
    assert not leftovers, f"processes of the cluster still run: {leftovers}"


@pytest.mark.cluster
@pytest.mark.slow
def test_ci_config_on_slurm_every_job_through_sbatch_verdict_passes_and_data_match_a_local_run(
        slurm_cluster, ci_run, tmp_path):
    workdir = copy_workflow(tmp_path / "slurm-run")
    planned = planned_jobs(run_snakemake(workdir, "--dry-run", *CI_CONFIG))
    started = time.monotonic()
    completed = run_on_slurm(workdir, slurm_cluster, *CI_CONFIG)
    seconds = time.monotonic() - started
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-6000:]
    submitted = submissions(completed)
    print(f"SLURM ci run: {len(submitted)} jobs submitted, {seconds:.0f} s")
    # Every job but the target rule `all` (it runs nothing) went through sbatch, each with its own id.
    assert len(submitted) == planned - 1, (len(submitted), planned)
    assert len({job_id for job_id, _ in submitted}) == len(submitted)
    assert "all" not in {rule for _, rule in submitted}
    assert "Finished jobid" in completed.stdout + completed.stderr
    assert (workdir / "results" / "reproduction.passed").is_file()
    assert_same_results(ci_run, workdir)


@pytest.mark.cluster
@pytest.mark.slow
def test_a_job_cancelled_by_scancel_fails_the_run_and_the_rerun_completes_it_identically(
        slurm_cluster, ci_run, tmp_path):
    """Two independent dynamics_rate jobs; one is killed through scancel while it runs."""
    workdir = copy_workflow(tmp_path / "scancel-run")
    rates = "results/dynamics/rates/p3/dp1/t150"
    targets = (f"{rates}/id2_2.35.csv", f"{rates}/id2_2.5.csv")
    outcome = {}
    started = time.monotonic()
    run = threading.Thread(target=lambda: outcome.update(
        first=run_on_slurm(workdir, slurm_cluster, *targets, *CI_CONFIG)))
    run.start()
    environment = job_environment(slurm_cluster)
    cancelled = None
    deadline = time.monotonic() + 300
    while cancelled is None and run.is_alive() and time.monotonic() < deadline:
        queue = subprocess.run(["squeue", "--noheader", "--format=%i|%T|%M|%k"], capture_output=True, text=True,
                               env=environment).stdout
        for job_id, state, elapsed, comment in (line.split("|", 3) for line in queue.splitlines()):
            # mid-run: RUNNING for a couple of seconds (the job's Snakemake has started its command)
            if state == "RUNNING" and comment.startswith("rule_dynamics_rate") and elapsed not in ("0:00", "0:01"):
                subprocess.run(["scancel", job_id], check=True, env=environment)
                cancelled = job_id
                break
        time.sleep(0.5)
    run.join(timeout=600)
    first_seconds = time.monotonic() - started
    first = outcome["first"]
    log = first.stdout + first.stderr
    assert cancelled is not None, "no dynamics_rate job seen running: " + log[-4000:]
    assert first.returncode != 0, log[-4000:]
    assert f"SLURM-job '{cancelled}' failed, SLURM status is: 'CANCELLED'" in log, log[-4000:]
    written = [target for target in targets if (workdir / target).exists()]
    assert len(written) == 1, written  # the other job finished; the cancelled one left no output
    assert not list((workdir / "results").rglob("*.part")), "a partial file survived the cancelled job"

    started = time.monotonic()
    rerun = run_on_slurm(workdir, slurm_cluster, *targets, *CI_CONFIG)  # --configfile takes several values
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-4000:]
    print(f"scancel of SLURM job {cancelled}: run failed after {first_seconds:.0f} s "
          f"({len(submissions(first))} jobs submitted); rerun {time.monotonic() - started:.0f} s "
          f"({len(submissions(rerun))} job submitted)")
    assert [rule for _, rule in submissions(rerun)] == ["dynamics_rate"]  # only the cancelled job again
    expected, found = result_digests(ci_run), result_digests(workdir)
    for target in targets:
        assert found[target] == expected[target], target
