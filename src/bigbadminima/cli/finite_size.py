"""The finite-size stage (theory.md §B.2, §D.6, §F.3): who escapes, and when, as N grows.

* ``finite-size-run``      gradient flow from random starts on packed instances, one row per run
                           (initial overlap, escape time to m = 0.5, where it stopped);
* ``finite-size-summary``  all runs in one table, the success probability per (N, 1/Δ2) with
                           Wilson intervals, and the escape times at one 1/Δ2 with a t = a + b ln N fit.
"""

from __future__ import annotations

import sys
import time

from ._common import (
    CliError,
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
    wrap_parameter_errors,
    write_table,
)

RUN_COLUMNS = [
    "p", "n", "delta_p", "inv_delta2", "seed", "replica", "horizon", "success_overlap",
    "initial_overlap", "escape_time", "final_overlap", "final_time", "success", "tensor_noise_sha256",
]
#: Confidence of the success-probability error bars (Wilson score interval).
CONFIDENCE_Z = 1.96


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "finite-size-run",
        help="gradient flow from random starts: escape time to m = 0.5 and success before a horizon",
        description="For each seed, read the instance (p, N, Δ2, Δp, seed) from --instances and "
        "integrate gradient flow (RK4, theory.md §B) from `--replicas` random starts with m(0) > 0, together "
        "on the same disorder. A run stops once m reaches --success-overlap (its escape time, interpolated) "
        "or at --horizon. One CSV row per run.",
    )
    add_model_arguments(parser)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    add_seeds_argument(parser)
    add_instance_set_argument(parser)
    parser.add_argument("--replicas", type=int_at_least(1), required=True, help="random starts per instance")
    parser.add_argument("--horizon", type=positive_float, required=True, help="largest time t_h of a run")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    parser.add_argument("--record-every", type=positive_float, default=0.5,
                        help="time between recorded overlaps, a multiple of dt (default 0.5)")
    parser.add_argument("--segment", type=positive_float, default=2.5,
                        help="time between checks for escaped runs, a multiple of --record-every (default 2.5)")
    parser.add_argument("--success-overlap", type=positive_float, default=0.5,
                        help="overlap m that counts as an escape to the signal (default 0.5)")
    add_tensor_layout_argument(parser)
    add_threads_argument(parser)
    parser.add_argument("--out", required=True, help="run table to write (.csv)")
    declare_files(parser, inputs=["instances"], outputs=["out"])
    parser.set_defaults(func=cmd_run)

    parser = subparsers.add_parser(
        "finite-size-summary",
        help="success probabilities with error bars and escape-time statistics from run tables",
        description="Concatenate `finite-size-run` tables; write the success probability per (N, 1/Δ2) with "
        f"Wilson intervals (z = {CONFIDENCE_Z}), the escape times at --escape-inv-delta2 per N, and the "
        "least-squares fit t_esc = a + b ln N over the escaped runs there.",
    )
    parser.add_argument("inputs", nargs="+", help="run tables written by `bigbadminima finite-size-run`")
    parser.add_argument("--escape-inv-delta2", type=positive_float, required=True,
                        help="the 1/Δ2 (present in the runs) whose escape times are summarised")
    parser.add_argument("--runs-out", required=True, help="all runs (.csv)")
    parser.add_argument("--success-out", required=True, help="success probability per (N, 1/Δ2) (.csv)")
    parser.add_argument("--escape-out", required=True, help="escape-time statistics per N (.csv)")
    parser.add_argument("--fit-out", required=True, help="escape time vs ln N fit (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["inputs"], outputs=["runs_out", "success_out", "escape_out", "fit_out"])
    parser.set_defaults(func=cmd_summary)


@wrap_parameter_errors
def cmd_run(args) -> int:
    pin_threads(args.threads)
    import pandas as pd
    from tqdm import tqdm

    from ..finite_size import run_until_escape
    from ..gradient_flow import FlowBlowUp, initial_conditions

    started = time.perf_counter()
    frames = []
    instances = instances_from_set(args, [args.inv_delta2], args.replicas)
    with tqdm(total=len(args.seeds) * args.horizon, unit="t", disable=None, file=sys.stderr, mininterval=5.0) as bar:
        for done, (_, seed, instance) in enumerate(instances):

            def progress(t: float, active: int) -> None:
                bar.update(done * args.horizon + t - bar.n)
                if bar.disable:  # not a terminal: periodic lines in the log instead of a bar
                    print(f"seed {seed}: t = {t:g} / {args.horizon:g}, {active} runs not escaped, "
                          f"{time.perf_counter() - started:.1f} s", file=sys.stderr)

            try:
                runs = run_until_escape(
                    instance, initial_conditions(instance, args.replicas), args.horizon, args.dt,
                    threshold=args.success_overlap, record_every=args.record_every, segment=args.segment,
                    progress=progress,
                )
            except FlowBlowUp as exc:
                raise CliError(f"gradient flow failed (seed {seed}): {exc}", status=1) from exc
            frames.append(pd.DataFrame({
                "p": args.p, "n": args.n, "delta_p": args.delta_p, "inv_delta2": args.inv_delta2,
                "seed": seed, "replica": range(args.replicas), "horizon": args.horizon,
                "success_overlap": args.success_overlap,
                "initial_overlap": runs.initial_overlap, "escape_time": runs.escape_time,
                "final_overlap": runs.final_overlap, "final_time": runs.final_time, "success": runs.success,
                "tensor_noise_sha256": instance.digests["tensor_noise_sha256"],
            }, columns=RUN_COLUMNS))
    table = pd.concat(frames, ignore_index=True)
    write_table(table, args.out)
    print(
        f"{len(table)} runs, p={args.p}, N={args.n}, 1/Δ2={args.inv_delta2:g}, Δp={args.delta_p:g}: "
        f"{int(table['success'].sum())} escaped before t = {args.horizon:g}; {time.perf_counter() - started:.1f} s "
        f"wall, {time.process_time():.1f} s CPU",
        file=sys.stderr,
    )
    return 0


@wrap_parameter_errors
def cmd_summary(args) -> int:
    import numpy as np
    import pandas as pd

    from ..finite_size import fit_log_growth, wilson_interval
    from ..landscape import gf_threshold

    # escape_time is NaN for the runs that never escaped
    runs = pd.concat([read_table(name, "run table", RUN_COLUMNS, optional=["escape_time"])[RUN_COLUMNS]
                      for name in args.inputs], ignore_index=True)
    keys = ["p", "delta_p", "n", "inv_delta2", "seed", "replica"]
    if runs.duplicated(keys).any():
        raise CliError("the run tables overlap: some (p, Δp, N, 1/Δ2, seed, replica) appear twice")
    if runs[["p", "delta_p", "horizon", "success_overlap"]].drop_duplicates().shape[0] != 1:
        raise CliError("the run tables mix different p, Δp, horizons or success overlaps")
    runs = runs.sort_values(keys, kind="stable").reset_index(drop=True)

    success = (runs.groupby(["p", "delta_p", "n", "inv_delta2", "horizon"], as_index=False)
               .agg(runs=("success", "size"), successes=("success", "sum")))
    success["probability"] = success["successes"] / success["runs"]
    success["ci_low"], success["ci_high"] = wilson_interval(success["successes"], success["runs"], CONFIDENCE_Z)
    success["confidence_z"] = CONFIDENCE_Z
    # the closed-form large-N threshold (theory.md §D.6) the curves are compared with
    success["gf_threshold_inv_delta2"] = gf_threshold(int(runs["p"].iloc[0]), float(runs["delta_p"].iloc[0]))

    at_escape = runs[runs["inv_delta2"] == args.escape_inv_delta2]  # exact: values travel exactly
    if at_escape.empty:
        raise CliError(f"no runs at 1/Δ2 = {args.escape_inv_delta2:g}; present: {sorted(runs['inv_delta2'].unique())}")
    escaped = at_escape[at_escape["success"]]
    escape = (at_escape.groupby(["p", "delta_p", "n", "inv_delta2", "horizon"], as_index=False)
              .agg(runs=("success", "size"), escaped=("success", "sum")))
    quantiles = escaped.groupby("n")["escape_time"].quantile([0.25, 0.5, 0.75]).unstack()
    for column, q in (("escape_time_q25", 0.25), ("escape_time_median", 0.5), ("escape_time_q75", 0.75)):
        escape[column] = escape["n"].map(quantiles[q]) if not quantiles.empty else np.nan
    fit = pd.DataFrame([{"inv_delta2": args.escape_inv_delta2,
                         **fit_log_growth(escaped["n"].to_numpy(), escaped["escape_time"].to_numpy())}])

    write_table(runs, args.runs_out)
    write_table(success, args.success_out)
    write_table(escape, args.escape_out)
    write_table(fit, args.fit_out)
    print(f"{len(runs)} runs in {len(success)} (N, 1/Δ2) points; escape at 1/Δ2 = {args.escape_inv_delta2:g}: "
          f"t ≈ {fit['intercept'][0]:.2f} + {fit['slope_per_log_n'][0]:.2f} ln N", file=sys.stderr)
    return 0
