"""Finite-N tensor contractions at the memory-bandwidth limit (issue 6): one run, side by side.

Measures, on ``--threads`` threads (default 1), medians over repeats interleaved between methods:

* time of one gradient contraction T{·,x,x} (p = 3, N = 200, 400, 800) and T{·,x,x,x}
  (p = 4, N = 60, 100): ``np.einsum`` on the dense array, dense BLAS (``DenseTensor``), packed
  float64 and packed float32 (``PackedTensor``); dense is skipped above ``--dense-max-gb``;
* the machine's streaming-read bandwidth (``np.sum`` over an array larger than the caches) and
  each layout's roofline, bytes(tensor)/bandwidth: the floor of one pass;
* batched throughput per replica for B = 1, 8, 32 (p = 3, N = 400 and p = 4, N = 100);
* instance generation time, packed vs dense + symmetrise (``Instance.generate``);
* peak memory (max RSS) of generating one instance, in a fresh process per layout, and the
  storage of p = 3, N = 1500 (computed; measured too with ``--n1500``).

Prints a table, or everything as JSON with ``--json``; then checks the issue's goals.
Run: ``python benchmarks/bench_tensors.py [--json] [--repeats 7] [--threads 1] [--n1500]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

from bigbadminima.cli._common import pin_threads

P3_SIZES = (200, 400, 800)
P4_SIZES = (60, 100)
BATCHES = (1, 8, 32)
BATCH_CASES = ((3, 400), (4, 100))
#: The streaming-read probe must not fit in the last-level cache (480 MB on the development VM).
STREAM_BYTES = 2 * 1024**3
SEED = 1


def generate(p: int, n: int, layout: str):
    from bigbadminima.model import Instance, InstanceSpec
    from bigbadminima.params import ModelParams

    return Instance.generate(InstanceSpec(ModelParams.from_inv_delta2(p, 2.0, 1.0), n, SEED), layout)


#: Clock of every timing. On one thread the process's CPU time: the development machine has
#: 2 cores shared by several jobs, which time-slice the wall clock (measured: wall-clock
#: medians up to 2x the CPU time) but not the CPU time of a single-threaded process. On
#: several threads the wall clock (set in main()).
CLOCK = {"clock": time.process_time}


def interleaved_medians(methods: dict, repeats: int, budget_s: float = 4.0) -> dict:
    """Median seconds per call of each method, the repeats interleaved so that all methods
    see the same machine conditions. Methods slower than budget_s/repeats get >= 3 repeats."""
    clock = CLOCK["clock"]
    first = {}
    for name, call in methods.items():  # warm-up (numba compilation, page faults) and a first time
        call()
        start = clock()
        call()
        first[name] = clock() - start
    samples = {name: [first[name]] for name in methods}
    for round_ in range(1, repeats):
        for name, call in methods.items():
            if round_ >= 3 and first[name] * repeats > budget_s:
                continue
            start = clock()
            call()
            samples[name].append(clock() - start)
    return {name: float(np.median(times)) for name, times in samples.items()}


def streaming_bandwidth(repeats: int) -> float:
    """Bytes/s of np.sum over a 2 GiB array (larger than every cache): one streaming read."""
    array = np.ones(STREAM_BYTES // 8)
    seconds = interleaved_medians({"sum": array.sum}, repeats)["sum"]
    return array.nbytes / seconds


def contraction_table(repeats: int, dense_max_bytes: float, bandwidth: float) -> list[dict]:
    from bigbadminima.tensors import n_unique_entries

    rows = []
    for p, sizes in ((3, P3_SIZES), (4, P4_SIZES)):
        for n in sizes:
            x = np.random.default_rng(n).standard_normal(n)
            packed, packed32 = generate(p, n, "packed").tensor, generate(p, n, "packed32").tensor
            methods = {"packed": lambda: packed.contract(x), "packed32": lambda: packed32.contract(x)}
            dense_bytes = 8 * n**p
            row = {"p": p, "n": n, "dense_bytes": dense_bytes, "packed_bytes": packed.nbytes,
                   "packed32_bytes": packed32.nbytes, "unique_entries": n_unique_entries(n, p)}
            if dense_bytes <= dense_max_bytes:
                dense = generate(p, n, "dense").tensor
                subscripts = "ijk,j,k->i" if p == 3 else "ijkl,j,k,l->i"
                methods["einsum"] = lambda: np.einsum(subscripts, dense.array, *([x] * (p - 1)))
                methods["dense"] = lambda: dense.contract(x)
            times = interleaved_medians(methods, repeats)
            row.update({f"{name}_s": seconds for name, seconds in times.items()})
            for layout in ("dense", "packed", "packed32"):
                row[f"{layout}_roofline_s"] = row[f"{layout}_bytes"] / bandwidth
            rows.append(row)
            del packed, packed32, methods
    return rows


def batch_table(repeats: int) -> list[dict]:
    rows = []
    for p, n in BATCH_CASES:
        tensors = {layout: generate(p, n, layout).tensor for layout in ("packed", "packed32")}
        dense_bytes = 8 * n**p
        if dense_bytes <= 1.1e9:
            tensors["dense"] = generate(p, n, "dense").tensor
        for batch in BATCHES:
            x = np.random.default_rng(batch).standard_normal((batch, n))
            times = interleaved_medians({layout: (lambda t=t: t.contract(x)) for layout, t in tensors.items()}, repeats)
            rows.append({"p": p, "n": n, "batch": batch,
                         **{f"{layout}_s_per_replica": seconds / batch for layout, seconds in times.items()}})
    return rows


def generation_table(repeats: int) -> list[dict]:
    rows = []
    for p, n in ((3, 200), (3, 400), (4, 60)):
        times = interleaved_medians(
            {layout: (lambda layout=layout: generate(p, n, layout)) for layout in ("dense", "packed", "packed32")},
            max(3, repeats // 2),
            budget_s=20.0,
        )
        rows.append({"p": p, "n": n, **{f"{layout}_s": seconds for layout, seconds in times.items()}})
    return rows


PEAK_MEMORY_PROBE = """
import json, sys, time
sys.path.insert(0, {bench_dir!r})
from bench_tensors import generate, peak_rss_bytes
from bigbadminima.cli._common import pin_threads
import numpy as np
pin_threads(1)
baseline = peak_rss_bytes()
start = time.perf_counter()
instance = generate({p}, {n}, {layout!r})
generated = time.perf_counter() - start
x = np.random.default_rng(0).standard_normal((1, {n}))
instance.tensor.contract(x)
start = time.perf_counter()
instance.tensor.contract(x)
contract = time.perf_counter() - start
peak = peak_rss_bytes()
print(json.dumps({{"baseline_bytes": baseline, "peak_bytes": peak,
                  "tensor_bytes": instance.tensor.nbytes, "generate_s": generated, "contract_s": contract}}))
"""


def peak_rss_bytes() -> int:
    """VmHWM of this process (ru_maxrss would carry over the parent's peak through fork/exec)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return 1024 * int(line.split()[1])


def peak_memory(p: int, n: int, layout: str) -> dict:
    """Max RSS of a fresh process that generates one instance and contracts it once."""
    code = PEAK_MEMORY_PROBE.format(bench_dir=os.path.dirname(os.path.abspath(__file__)), p=p, n=n, layout=layout)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {"p": p, "n": n, "layout": layout, **json.loads(completed.stdout.strip().splitlines()[-1])}


def memory_table(measure_n1500: bool) -> list[dict]:
    rows = [peak_memory(3, 400, layout) for layout in ("dense", "packed", "packed32")]
    for layout, itemsize in (("packed", 8), ("packed32", 4)):
        row = {"p": 3, "n": 1500, "layout": layout, "tensor_bytes": itemsize * math.comb(1500, 3)}
        if measure_n1500:
            row = peak_memory(3, 1500, layout)
        rows.append(row)
    return rows


def goals(results: dict) -> list[dict]:
    """The issue's goals with the measured numbers (p = 3, N = 400 unless stated)."""
    contraction = next(r for r in results["contraction"] if r["p"] == 3 and r["n"] == 400)
    batch = {r["batch"]: r for r in results["batch"] if r["p"] == 3 and r["n"] == 400}
    generation = next(r for r in results["generation"] if r["p"] == 3 and r["n"] == 400)
    n1500 = [r for r in results["memory"] if r["n"] == 1500 and r["layout"] == "packed"][0]
    n1500_bytes = n1500.get("peak_bytes", n1500["tensor_bytes"])
    checks = [
        ("packed p=3 N=400 >= 4x faster than dense BLAS", contraction["dense_s"] / contraction["packed_s"], 4.0, ">="),
        ("packed p=3 N=400 within 2x of its roofline", contraction["packed_s"] / contraction["packed_roofline_s"], 2.0, "<="),
        ("B=32 throughput per replica >= 5x B=1 (packed f64)",
         batch[1]["packed_s_per_replica"] / batch[32]["packed_s_per_replica"], 5.0, ">="),
        ("B=32 throughput per replica >= 5x B=1 (packed32)",
         batch[1]["packed32_s_per_replica"] / batch[32]["packed32_s_per_replica"], 5.0, ">="),
        ("p=3 N=1500 packed f64 fits in 8 GB (GB" + (", measured peak)" if "peak_bytes" in n1500 else ", storage)"),
         n1500_bytes / 1e9, 8.0, "<="),
        ("packed generation >= 5x faster than dense + symmetrise", generation["dense_s"] / generation["packed_s"], 5.0, ">="),
    ]
    return [{"goal": name, "value": value, "target": target,
             "met": bool(value >= target if sense == ">=" else value <= target)} for name, value, target, sense in checks]


def milliseconds(seconds):
    return "—" if seconds is None else f"{1e3 * seconds:8.2f}"


def print_table(results: dict) -> None:
    print(f"threads: {results['threads']}    clock: {results['clock']}    "
          f"streaming read (np.sum, 2 GiB): {results['bandwidth_gbs']:.1f} GB/s")
    print("\nOne contraction T{·,x,..,x}, single x, median ms (roofline = bytes / streaming bandwidth)")
    header = ("p", "N", "einsum", "dense", "packed", "packed32", "roof dense", "roof pk", "roof pk32", "dense/pk", "pk/roof")
    print("".join(f"{h:>10}" for h in header))
    for r in results["contraction"]:
        dense = r.get("dense_s")
        cells = [r["p"], r["n"], milliseconds(r.get("einsum_s")), milliseconds(dense), milliseconds(r["packed_s"]),
                 milliseconds(r["packed32_s"]), milliseconds(r["dense_roofline_s"]), milliseconds(r["packed_roofline_s"]),
                 milliseconds(r["packed32_roofline_s"]),
                 "—" if dense is None else f"{dense / r['packed_s']:.1f}x", f"{r['packed_s'] / r['packed_roofline_s']:.2f}"]
        print("".join(f"{str(c).strip():>10}" for c in cells))
    skipped = [r for r in results["contraction"] if "dense_s" not in r]
    for r in skipped:
        print(f"  (p={r['p']}, N={r['n']}: dense skipped, it would need {r['dense_bytes'] / 1e9:.1f} GB)")
    print("\nBatched replicas: median ms per replica (one call contracts all B)")
    print("".join(f"{h:>12}" for h in ("p", "N", "B", "dense", "packed", "packed32")))
    for r in results["batch"]:
        cells = [r["p"], r["n"], r["batch"], milliseconds(r.get("dense_s_per_replica")),
                 milliseconds(r["packed_s_per_replica"]), milliseconds(r["packed32_s_per_replica"])]
        print("".join(f"{str(c).strip():>12}" for c in cells))
    print("\nInstance generation (spike, both noise streams, hashes, storage), median s")
    print("".join(f"{h:>12}" for h in ("p", "N", "dense", "packed", "packed32", "dense/pk")))
    for r in results["generation"]:
        print("".join(f"{str(c):>12}" for c in (r["p"], r["n"], f"{r['dense_s']:.3f}", f"{r['packed_s']:.3f}",
                                                f"{r['packed32_s']:.3f}", f"{r['dense_s'] / r['packed_s']:.1f}x")))
    print("\nMemory: tensor storage and peak RSS of a fresh process generating one instance (GB)")
    print("".join(f"{h:>12}" for h in ("p", "N", "layout", "tensor", "peak RSS", "baseline")))
    for r in results["memory"]:
        peak = f"{r['peak_bytes'] / 1e9:.2f}" if "peak_bytes" in r else "not run"
        base = f"{r['baseline_bytes'] / 1e9:.2f}" if "baseline_bytes" in r else "—"
        print("".join(f"{str(c):>12}" for c in (r["p"], r["n"], r["layout"], f"{r['tensor_bytes'] / 1e9:.2f}", peak, base)))
    print("\nGoals")
    for g in results["goals"]:
        print(f"  [{'met' if g['met'] else 'MISSED'}] {g['goal']}: {g['value']:.2f} (target {g['target']:g})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--repeats", type=int, default=7, help="timed calls per method (median reported)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and numba threads")
    parser.add_argument("--dense-max-gb", type=float, default=1.1, help="skip dense tensors larger than this")
    parser.add_argument("--n1500", action="store_true", help="also generate p=3 N=1500 packed (~5 GB, minutes)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1 or not (math.isfinite(args.dense_max_gb) and args.dense_max_gb > 0):
        parser.error("--repeats and --threads must be >= 1 and --dense-max-gb a finite number > 0")
    pin_threads(args.threads)
    if args.threads > 1:
        CLOCK["clock"] = time.perf_counter
    bandwidth = streaming_bandwidth(args.repeats)
    results = {"threads": args.threads, "repeats": args.repeats, "clock": CLOCK["clock"].__name__,
               "bandwidth_gbs": bandwidth / 1e9}
    results["contraction"] = contraction_table(args.repeats, args.dense_max_gb * 1e9, bandwidth)
    results["batch"] = batch_table(args.repeats)
    results["generation"] = generation_table(args.repeats)
    results["memory"] = memory_table(args.n1500)
    results["goals"] = goals(results)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
