"""Regenerate the golden runs of the doubling CHSCK solver (issue 14 item 1).

What it runs: ``solve_chsck(params, t_max=1000, m0=1e-10, method="doubling", resolution=0.5)``
with the default ``error_estimate=True`` (the half-resolution run, resolution 0.25, gives
``m_error = |m - m_half| / 3``) and ``workers=1``, for the (2+p) model at p = 3, Δp = 1 and

* ``golden_above.csv``: 1/Δ2 = 2.5 (above the gradient-flow threshold: m escapes near t ≈ 200
  and settles at m* = 0.8269);
* ``golden_below.csv``: 1/Δ2 = 1.8 (below it: m stays tiny, 2.3e-8 at the end, and μ rises
  towards 2√f''(1)).

The doubling run stops at the first row of its grid at or after t_max, here t = 1003.52 (step
10.24 at the end); the rows are the grid points the run and its half-resolution partner share
(538 above, 338 below).

Each CSV holds every row of the returned :class:`~bigbadminima.dynamics.DynamicsResult`
(``result.columns()``: t, m, mu, energy, m_error; energy is ε of theory.md §C.1, m_error the
half-resolution estimate), no subsampling: all rows fit in the 100 KB budget. Floats are
written with ``repr`` (the shortest string that reads back to the same double), so a
1e-12 comparison, or a bitwise one, is meaningful. BLAS is pinned to one thread (threadpoolctl)
as in ``tests/test_dynamics_golden.py``, which reruns the same solves through
:func:`golden_runs` and compares.

Regenerate only on purpose (a deliberate change of the numerics), from the repository root:

    .venv/bin/python tests/data/golden/make_golden.py

and say in the commit message why the golden numbers changed. The run takes ~16 s on one core.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: shared by the generator and the test: every argument of the golden solves
P, DELTA_P, M0, T_MAX, RESOLUTION = 3, 1.0, 1e-10, 1000.0, 0.5
CASES = {"above": 2.5, "below": 1.8}  # name -> 1/Δ2
COLUMNS = ["t", "m", "mu", "energy", "m_error"]


def golden_path(name: str) -> Path:
    return HERE / f"golden_{name}.csv"


def golden_run(inv_delta2: float):
    """The golden solve at 1/Δ2 = ``inv_delta2`` (one BLAS thread), as a DynamicsResult."""
    from threadpoolctl import threadpool_limits

    from bigbadminima.dynamics import solve_chsck
    from bigbadminima.params import ModelParams

    params = ModelParams.from_inv_delta2(P, inv_delta2, DELTA_P)
    with threadpool_limits(limits=1):
        return solve_chsck(params, T_MAX, M0, method="doubling", resolution=RESOLUTION,
                           error_estimate=True, workers=1)


def write_golden(path: Path, result) -> None:
    columns = result.columns()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in zip(*(columns[name] for name in COLUMNS)):
            writer.writerow([repr(float(value)) for value in row])


def read_golden(path: Path) -> dict:
    """Columns of a golden CSV as float lists (``float`` reads ``repr`` back exactly)."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    return {name: [float(row[k]) for row in body] for k, name in enumerate(header)}


def main() -> int:
    for name, inv_delta2 in CASES.items():
        result = golden_run(inv_delta2)
        if not result.success:
            print(f"{name}: solver failed: {result.message}", file=sys.stderr)
            return 1
        write_golden(golden_path(name), result)
        print(f"{name}: {len(result.t)} rows, t_end = {float(result.t[-1])!r}, "
              f"{golden_path(name).stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
