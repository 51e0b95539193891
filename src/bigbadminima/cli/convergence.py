"""Finite N meets large N (issue 4, item 4; bigbadminima.convergence).

* ``convergence-run``      gradient flow at one N from a prescribed overlap m0, several instances and
                           starts, one row per run and recorded time;
* ``convergence-summary``  the runs of every N against the CHSCK curve from the same m0: median
                           trajectories with bootstrap bands, D(N) = max_t |median m_N − m_∞|, the
                           exponent of D(N) ∝ N^-b (the stage's checks: ``check-convergence``, reproduction/convergence.py).
"""

from __future__ import annotations

import math
import sys
import time

from ._common import (
    CliError,
    add_bootstrap_seed_argument,
    add_instance_set_argument,
    add_model_arguments,
    add_seeds_argument,
    add_tensor_layout_argument,
    add_threads_argument,
    declare_files,
    instances_from_set,
    int_at_least,
    pin_threads,
    positive_float,
    read_table,
    require_horizon,
    wrap_parameter_errors,
    write_table,
)

#: Level of the simultaneous bootstrap band that must hold the large-N curve.
BAND_LEVEL = 0.99


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "convergence-run",
        help="finite-N gradient flow from a prescribed overlap m0, for the comparison with large N",
        description="For each seed, read the instance (p, N, Δ2, Δp, seed) from --instances and integrate gradient flow "
        "(RK4, theory.md §B) from --replicas starts with m(0) = m0 exactly (x(0) = m0 x* + √(1-m0²)√N u, "
        "u uniform orthogonal to x*). Writes one row per run and recorded time (log-spaced grid).",
    )
    add_model_arguments(parser)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    parser.add_argument("--m0", type=positive_float, required=True, help="initial overlap in (0, 1)")
    add_seeds_argument(parser)
    add_instance_set_argument(parser)
    parser.add_argument("--replicas", type=int_at_least(1), required=True, help="starts per instance")
    parser.add_argument("--t-max", type=positive_float, required=True, help="final time")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    parser.add_argument("--points-per-decade", type=int_at_least(1), default=40,
                        help="recorded times per decade of t (default 40)")
    add_tensor_layout_argument(parser)
    add_threads_argument(parser)
    parser.add_argument("--out", required=True, help="trajectory table to write (.csv)")
    declare_files(parser, inputs=["instances"], outputs=["out"])
    parser.set_defaults(func=cmd_run)

    parser = subparsers.add_parser(
        "convergence-summary",
        help="finite-N runs against the CHSCK curve: distances and their exponent in N",
        description="Compare the `convergence-run` tables of several N with the `bigbadminima dynamics` "
        "curve from the same m0: median trajectory per N with a cluster-bootstrap band (instances "
        "resampled), D(N) = max_t |median m_N(t) - m_inf(t)|, the spread S(N) = max_t of the "
        "interquartile range of m(t) across runs and the least-squares exponent of S ∝ N^-a "
        "with a bootstrap interval.",
    )
    parser.add_argument("inputs", nargs="+", help="tables written by `bigbadminima convergence-run`")
    parser.add_argument("--curve", required=True, help="the large-N run (`bigbadminima dynamics` table)")
    parser.add_argument("--bootstrap-samples", type=int_at_least(100), default=2000,
                        help="bootstrap draws (default 2000)")
    add_bootstrap_seed_argument(parser)
    parser.add_argument("--confidence", type=positive_float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument("--curves-out", required=True, help="median trajectories and m_inf per N (.csv)")
    parser.add_argument("--summary-out", required=True, help="D(N), S(N), their intervals, the exponent fit (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["inputs", "curve"], outputs=["curves_out", "summary_out"])
    parser.set_defaults(func=cmd_summary)


@wrap_parameter_errors
def cmd_run(args) -> int:
    pin_threads(args.threads)
    import numpy as np
    import pandas as pd

    from ..convergence import RUN_COLUMNS
    from ..gradient_flow import FlowBlowUp, initial_conditions, run_gradient_flow

    if not args.m0 < 1:
        raise CliError(f"--m0 must lie in (0, 1), got {args.m0:g}")
    started = time.perf_counter()
    frames = []
    for _, seed, instance in instances_from_set(args, [args.inv_delta2], args.replicas):
        try:
            flow = run_gradient_flow(instance, initial_conditions(instance, args.replicas, m0=args.m0),
                                     args.t_max, args.dt, points_per_decade=args.points_per_decade)
        except FlowBlowUp as exc:
            raise CliError(f"gradient flow failed (seed {seed}): {exc}", status=1) from exc
        times, replicas = np.meshgrid(flow.times, np.arange(args.replicas), indexing="ij")
        frames.append(pd.DataFrame({
            "p": args.p, "n": args.n, "delta_p": args.delta_p, "inv_delta2": args.inv_delta2, "m0": args.m0,
            "t_max": args.t_max, "seed": seed, "replica": replicas.ravel(), "time": times.ravel(),
            "overlap": flow.overlap.ravel(), "energy": flow.energy.ravel(),
        }, columns=RUN_COLUMNS))
        print(f"seed {seed}: final m = {np.round(flow.overlap[-1], 4).tolist()}, "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    table = pd.concat(frames, ignore_index=True).sort_values(["seed", "replica", "time"], kind="stable")
    write_table(table, args.out)
    print(f"{len(args.seeds) * args.replicas} runs, p={args.p}, N={args.n}, 1/Δ2={args.inv_delta2:g}, "
          f"Δp={args.delta_p:g}, m0={args.m0:g}: {time.perf_counter() - started:.1f} s wall", file=sys.stderr)
    return 0


def _read_finite_runs(paths: list[str]):
    import pandas as pd

    from ..convergence import RUN_COLUMNS

    frames = []
    for path in paths:
        frame = read_table(path, "run table", RUN_COLUMNS, unique=["seed", "replica", "time"])
        for _, run in frame.groupby(["seed", "replica"]):
            require_horizon(run, path, "run table")
        frames.append(frame[RUN_COLUMNS])
    runs = pd.concat(frames, ignore_index=True)
    if runs.duplicated(["n", "seed", "replica", "time"]).any():
        raise CliError("the run tables overlap: some (N, seed, replica, time) appear twice")
    return runs


@wrap_parameter_errors
def cmd_summary(args) -> int:
    import numpy as np
    import pandas as pd

    from ..convergence import compare_size, convergence_exponent, summary_table
    from .dynamics import read_dynamics_tables

    if not 0 < args.confidence < 1:
        raise CliError(f"--confidence must lie in (0, 1), got {args.confidence:g}")
    runs = _read_finite_runs(args.inputs)
    (curve,) = read_dynamics_tables([args.curve], linear=False)
    model = ["p", "delta_p", "inv_delta2", "m0"]
    finite_point = runs[model].drop_duplicates()
    if len(finite_point) != 1:
        raise CliError(f"the run tables mix parameters: {finite_point.to_dict('records')}")
    finite_point = finite_point.iloc[0]
    for name in model:
        if not math.isclose(float(curve[name].iloc[0]), float(finite_point[name]), rel_tol=1e-9):
            raise CliError(f"the large-N curve has {name} = {curve[name].iloc[0]:g}, the runs {finite_point[name]:g}")
    rng = np.random.default_rng(args.bootstrap_seed)
    curve_error = float(np.nanmax(curve["overlap_error"].to_numpy(), initial=0.0))
    comparisons = [
        compare_size(int(n), group, curve["time"].to_numpy(), curve["overlap"].to_numpy(), rng, args.bootstrap_samples,
                     args.confidence, curve_error)
        for n, group in runs.groupby("n", sort=True)
    ]
    fit = convergence_exponent(comparisons, "spread", args.confidence)
    curves = pd.concat([pd.DataFrame({
        "n": c.n, "time": c.times, "median": c.median, "band_low": c.band_low, "band_high": c.band_high,
        "overlap_large_n": c.reference,
    }) for c in comparisons], ignore_index=True)
    summary = summary_table(comparisons, fit, args.confidence, BAND_LEVEL, {
        **{column: finite_point[column] for column in model}, "curve_overlap_error": curve_error,
        "curve_method": curve["method"].iloc[0], "t_max": runs["time"].max()})
    write_table(curves, args.curves_out)
    write_table(summary, args.summary_out)
    for c in comparisons:
        print(f"N={c.n}: {c.runs} runs on {c.instances} instances, D = {c.deviation:.4f}, Z = "
              f"{c.standardised_deviation:.2f} (critical {c.critical_value(BAND_LEVEL):.2f}), spread "
              f"S = {c.spread:.4f}", file=sys.stderr)
    print(f"S ∝ N^-a, a = {fit['exponent']:.2f} [{fit['exponent_low']:.2f}, {fit['exponent_high']:.2f}]",
          file=sys.stderr)
    return 0
