"""Golden run of the doubling CHSCK solver (issue 14 item 1): a refactor must reproduce it.

``tests/data/golden/make_golden.py`` wrote the CSVs (doubling scheme, resolution 0.5 with its
half-resolution error estimate, to t = 1000, p = 3, Δp = 1, m0 = 1e-10, 1/Δ2 = 2.5 and 1.8,
every row, floats as ``repr``). This test reruns the same solves through the same function and
requires agreement to TOLERANCE (1e-10), absolute, on m, μ, ε (energy) and m_error, and exact equality of
the time grid. On the machine that wrote them the agreement was bitwise until the memory sums became
one compiled pass (stop 23: another summation order, 2.9e-11 at most); the margin allows for that and
for other CPUs' rounding (measured: 5e-11, see TOLERANCE). About 9-12 s on one core for both cases.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

GOLDEN_DIR = Path(__file__).resolve().parent / "data" / "golden"
#: Largest accepted difference from the frozen run. The same code on another CPU (AMD EPYC, this
#: session; the golden files were written on the development machine of an earlier one) differs by
#: 1.6e-11 in m and 5.0e-11 in ε at t = 1000: rounding (numba/BLAS code paths), not the scheme. A
#: refactor that changes the numerics moves m by far more (the half-resolution run differs by ~1e-4),
#: so 1e-10 keeps the test's power while not failing on a different processor.
TOLERANCE = 1e-10


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN_DIR / "make_golden.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_generator()


@pytest.mark.parametrize("name", sorted(golden.CASES))
def test_doubling_solver_reproduces_the_golden_run(name):
    expected = golden.read_golden(golden.golden_path(name))
    assert list(expected) == golden.COLUMNS
    result = golden.golden_run(golden.CASES[name])
    assert result.success, result.message
    columns = result.columns()
    assert len(columns["t"]) == len(expected["t"]), "the time grid changed"
    np.testing.assert_array_equal(columns["t"], expected["t"])
    differences = {}
    for column in golden.COLUMNS[1:]:
        got, want = np.asarray(columns[column]), np.asarray(expected[column])
        assert np.all(np.isfinite(got)), f"{column}: non-finite values"
        differences[column] = float(np.max(np.abs(got - want)))
    print(f"{name}: max |diff| " + ", ".join(f"{k} {v:.3g}" for k, v in differences.items()))
    bad = {k: v for k, v in differences.items() if not v <= TOLERANCE}
    assert not bad, f"{name}: golden run not reproduced to {TOLERANCE:g}: max |diff| {bad}"
