"""A ci run killed (SIGKILL, Snakemake and its jobs) while a simulation job runs resumes to identical results.

Outputs are written through a temporary file renamed on success (cli._common.atomic_output),
so a killed job leaves nothing under its output's name; Snakemake also marks the job
incomplete, and the profile's ``rerun-incomplete`` reruns it. A SIGKILL leaves Snakemake's
directory lock behind: the documented restart is ``--unlock`` then the same command.
The killed run is conftest's ``interrupted_ci_run`` (also the determinism tests' second run).
"""

import pytest

from .conftest import assert_same_results, result_digests


@pytest.mark.slow
def test_a_killed_run_leaves_no_process_and_nothing_partial(ci_run, interrupted_ci_run):
    run = interrupted_ci_run
    assert not run.survivors, "processes of the killed run survived SIGKILL of its process group"
    interrupted = run.interrupted.relative_to(run.workdir).as_posix()
    assert interrupted not in run.left_by_kill, "the interrupted job left an output under its final name"
    # Every output finished before the kill is complete: identical to the clean run's.
    reference = result_digests(ci_run)
    finished = {name: digest for name, digest in run.left_by_kill.items()
                if name.startswith(("results/instances/", "results/simulation/"))}
    assert finished, "the kill came before any instance was written"
    assert {name: reference[name] for name in finished} == finished


@pytest.mark.slow
def test_the_killed_run_resumes_after_unlock_to_identical_outputs(ci_run, interrupted_ci_run):
    run = interrupted_ci_run
    assert run.locked.returncode != 0 and "--unlock" in run.locked.stdout + run.locked.stderr
    assert run.unlocked.returncode == 0, run.unlocked.stderr[-2000:]
    assert run.resumed.returncode == 0, run.resumed.stdout[-4000:] + run.resumed.stderr[-4000:]
    assert_same_results(ci_run, run.workdir)
