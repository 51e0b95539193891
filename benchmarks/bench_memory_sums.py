"""Benchmark of the doubling scheme's memory sums (one sweep of a row), side by side in one run.

Each sweep of row i needs i1 = C v, i2 = W f' and i3 = vᵀ X over the window's rows 0..i
(dynamics/row.py). Compared, for window sizes i met in a run (288 rows: resolution 1.125; up to
8x that during an escape hold):

* ``dense``: the three NumPy (BLAS) products on the (i+1)² slices, as the solver did up to stop 22;
* ``fused``: ``row._memory_products``, one compiled pass over the three lower triangles;
* ``roofline``: the bytes the fused pass must read (3 triangles of float64) at the memory
  bandwidth measured here by a compiled sum over three 85 MiB arrays (three streams, like the
  fused pass). Below ~1000 rows the triangles fit in the caches, so the pass beats it.

Median of ``--repeats`` timings of a size-dependent number of calls each, on one thread (BLAS and
numba pinned as the CLI pins them, ``pin_threads``).
Prints a table, or JSON with ``--json``.

    python benchmarks/bench_memory_sums.py [--sizes 288 1152 2304] [--repeats 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np
from numba import njit

from bigbadminima.cli._common import pin_threads
from bigbadminima.dynamics.row import _memory_products


@njit(cache=True, fastmath=True)
def _three_stream_sum(a, b, c):  # pragma: no cover - compiled
    total = 0.0
    for k in range(a.size):
        total += a[k] + b[k] + c[k]
    return total


def _window(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C symmetric, W and X lower-triangular, in arrays one row larger than used (as in the solver)."""
    full = size + 1
    lower = np.tril(rng.random((full, full)))
    c = lower + np.tril(lower, -1).T
    return c, np.tril(rng.random((full, full))), np.tril(rng.random((full, full)))


def _median_seconds(call, calls: int, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def _bandwidth(repeats: int) -> float:
    """Bytes per second of a streaming read of three arrays (3 x 85 MiB, far beyond the caches)."""
    streams = [np.ones(2**25 // 3) for _ in range(3)]
    _three_stream_sum(*streams)
    seconds = _median_seconds(lambda: _three_stream_sum(*streams), 3, repeats)
    return sum(s.nbytes for s in streams) / seconds


def measure(sizes: list[int], repeats: int) -> dict:
    rng = np.random.default_rng(0)
    bandwidth = _bandwidth(repeats)
    rows = []
    for i in sizes:
        C, W, X = _window(i, rng)
        v, fp = rng.random(i + 1), rng.random(i + 1)
        out = [np.empty(i + 1) for _ in range(3)]

        def dense():
            return C[: i + 1, : i + 1] @ v, W[: i + 1, : i + 1] @ fp, v @ X[: i + 1, : i + 1]

        def fused():
            _memory_products(C, W, X, v, fp, i, *out)

        fused()
        reference = dense()
        error = max(float(np.max(np.abs(a - b))) / float(np.max(np.abs(a))) for a, b in zip(reference, out))
        calls = max(3, int(2e7 / (i + 1) ** 2))
        t_dense = _median_seconds(dense, calls, repeats)
        t_fused = _median_seconds(fused, calls, repeats)
        roofline = 3 * (i + 1) * (i + 2) / 2 * 8 / bandwidth
        rows.append({
            "rows": i, "dense_us": 1e6 * t_dense, "fused_us": 1e6 * t_fused, "roofline_us": 1e6 * roofline,
            "dense_over_fused": t_dense / t_fused, "fused_over_roofline": t_fused / roofline,
            "relative_difference": error,
        })
    return {"bandwidth_gb_s": bandwidth / 1e9, "repeats": repeats, "sizes": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[288, 1152, 2304])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if any(size < 2 for size in args.sizes) or args.repeats < 1:
        parser.error("sizes must be >= 2 and repeats >= 1")
    pin_threads(1)
    result = measure(args.sizes, args.repeats)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"memory sums of one sweep, one thread; streaming read {result['bandwidth_gb_s']:.1f} GB/s (three streams)")
    print(f"{'rows':>6} {'dense µs':>10} {'fused µs':>10} {'roofline µs':>12} {'dense/fused':>12} "
          f"{'fused/roofline':>15} {'rel. diff':>10}")
    for row in result["sizes"]:
        print(f"{row['rows']:>6} {row['dense_us']:>10.1f} {row['fused_us']:>10.1f} {row['roofline_us']:>12.1f} "
              f"{row['dense_over_fused']:>12.2f} {row['fused_over_roofline']:>15.2f} {row['relative_difference']:>10.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
