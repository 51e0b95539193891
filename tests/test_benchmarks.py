"""The benchmark scripts refuse arguments they cannot measure with, in one line and before any work."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO

BAD_ARGUMENTS = [
    ("bench_dynamics.py", ["--repeats", "0"]),
    ("bench_dynamics.py", ["--t-max", "nan"]),
    ("bench_dynamics.py", ["--long-t-max", "inf"]),
    ("bench_dynamics.py", ["--resolution", "-1"]),
    ("bench_dynamics.py", ["--baseline-t", "50"]),
    ("bench_memory_sums.py", ["--sizes", "0"]),
    ("bench_memory_sums.py", ["--repeats", "0"]),
    ("bench_tensors.py", ["--threads", "0"]),
    ("bench_tensors.py", ["--dense-max-gb", "nan"]),
]


@pytest.mark.parametrize("script, arguments", BAD_ARGUMENTS)
def test_a_benchmark_refuses_bad_arguments_in_one_line(script, arguments):
    completed = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), *arguments],
                               capture_output=True, text=True, timeout=120)
    lines = completed.stderr.strip().splitlines()
    assert completed.returncode == 2 and lines[-1].startswith(f"{script}: error: "), completed.stderr[-1000:]
    assert "Traceback" not in completed.stderr
