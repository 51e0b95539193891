"""The finite-size stage (theory.md §B.2, §D.6, §F.3): who reaches the signal from a random start, and when,
as N grows (science: bigbadminima.finite_size).

* ``finite-size-run``      gradient flow from random starts on packed instances to the horizon
                           t_h = c ln N, one row per run (escape time and sign, outcome, end state);
* ``finite-size-summary``  all runs in one table; P(success) per (N, 1/Δ2) with Wilson intervals, the
                           midpoints 1/Δ2_c(N), median escape times and their slope in ln N, all with
                           cluster-bootstrap intervals, beside the large-N (CHSCK) prediction from the
                           typical m(0) of each N (the stage's checks: ``check-finite-size``,
                           reproduction/finite_size.py).
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
    wrap_parameter_errors,
    write_table,
)

RUN_COLUMNS = [
    "p", "n", "delta_p", "inv_delta2", "seed", "replica", "horizon", "horizon_per_log_n", "escape_overlap",
    "initial_overlap", "escape_time", "escape_sign", "stayed", "outcome", "success", "final_overlap",
    "final_energy", "tensor_noise_sha256",
]
#: Confidence of the Wilson intervals of P(success) and of the bootstrap intervals.
CONFIDENCE_Z = 1.96
CONFIDENCE = 0.95


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "finite-size-run",
        help="gradient flow from random starts to the horizon c ln N: escape time, sign and outcome per run",
        description="For each seed, read the instance (p, N, Δ2, Δp, seed) from --instances and integrate "
        "gradient flow (RK4, theory.md §B) from `--replicas` random starts with m(0) > 0, together on the "
        "same disorder, to t_h = c ln N (c = --horizon-per-log-n, rounded up to a multiple of --record-every). "
        "Escape: first passage of |m| to ½ m* (theory.md §D.5); success: escaped with m > 0 and stayed beyond "
        "½ m* to t_h (bigbadminima.finite_size). One CSV row per run.",
    )
    add_model_arguments(parser)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    add_seeds_argument(parser)
    add_instance_set_argument(parser)
    parser.add_argument("--replicas", type=int_at_least(1), required=True, help="random starts per instance")
    parser.add_argument("--horizon-per-log-n", type=positive_float, required=True,
                        help="c of the horizon t_h = c ln N")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    parser.add_argument("--record-every", type=positive_float, default=0.5,
                        help="time between recorded overlaps, a multiple of dt (default 0.5)")
    add_tensor_layout_argument(parser)
    add_threads_argument(parser)
    parser.add_argument("--out", required=True, help="run table to write (.csv)")
    declare_files(parser, inputs=["instances"], outputs=["out"])
    parser.set_defaults(func=cmd_run)

    parser = subparsers.add_parser(
        "finite-size-summary",
        help="success probabilities, midpoints, escape times and slopes with intervals, against large N",
        description="Concatenate `finite-size-run` tables (one p, Δp, c; every N on one 1/Δ2 grid) and write: "
        f"P(success) per (N, 1/Δ2) with Wilson intervals (z = {CONFIDENCE_Z}) and outcome counts; the median "
        "escape time and the median end overlap of the successes; the midpoint 1/Δ2_c(N) where P crosses ½; "
        "the slope b of the median escape time against ln N per 1/Δ2 (all with cluster-bootstrap "
        f"{100 * CONFIDENCE:g} % intervals, instances resampled); beside them the large-N prediction from the "
        "CHSCK curve started at the typical m(0) = Φ⁻¹(¾)/√N of each N (--curves) and b∞ = 1/(2λ∞).",
    )
    parser.add_argument("inputs", nargs="+", help="run tables written by `bigbadminima finite-size-run`")
    parser.add_argument("--curves", nargs="+", required=True,
                        help="`bigbadminima dynamics` runs from m0 = Φ⁻¹(¾)/√N to t_h(N), one per (N, 1/Δ2)")
    parser.add_argument("--bootstrap-samples", type=int_at_least(100), default=1000,
                        help="bootstrap draws (default 1000)")
    add_bootstrap_seed_argument(parser)
    parser.add_argument("--runs-out", required=True, help="all runs (.csv)")
    parser.add_argument("--points-out", required=True, help="statistics per (N, 1/Δ2) (.csv)")
    parser.add_argument("--midpoints-out", required=True, help="midpoint 1/Δ2_c per N (.csv)")
    parser.add_argument("--slopes-out", required=True, help="escape-time slope in ln N per 1/Δ2 (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["inputs", "curves"],
                  outputs=["runs_out", "points_out", "midpoints_out", "slopes_out"])
    parser.set_defaults(func=cmd_summary)


@wrap_parameter_errors
def cmd_run(args) -> int:
    pin_threads(args.threads)
    import pandas as pd
    from tqdm import tqdm

    from ..finite_size import escape_level, horizon_for_size, run_outcome, run_to_horizon
    from ..gradient_flow import FlowBlowUp, initial_conditions
    from ..params import ModelParams

    started = time.perf_counter()
    horizon = horizon_for_size(args.n, args.horizon_per_log_n, args.record_every)
    level = escape_level(ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p))
    frames = []
    instances = instances_from_set(args, [args.inv_delta2], args.replicas)
    with tqdm(total=len(args.seeds) * horizon, unit="t", disable=None, file=sys.stderr, mininterval=5.0) as bar:
        for done, (_, seed, instance) in enumerate(instances):

            def progress(t: float) -> None:
                bar.update(done * horizon + t - bar.n)

            try:
                runs = run_to_horizon(instance, initial_conditions(instance, args.replicas), horizon, args.dt, level,
                                      record_every=args.record_every, progress=progress)
            except FlowBlowUp as exc:
                raise CliError(f"gradient flow failed (seed {seed}): {exc}", status=1) from exc
            if bar.disable:  # not a terminal: one line per instance in the log instead of a bar
                print(f"seed {seed}: {int(runs.success.sum())}/{args.replicas} successes, "
                      f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
            frames.append(pd.DataFrame({
                "p": args.p, "n": args.n, "delta_p": args.delta_p, "inv_delta2": args.inv_delta2,
                "seed": seed, "replica": range(args.replicas), "horizon": horizon,
                "horizon_per_log_n": args.horizon_per_log_n, "escape_overlap": level,
                "initial_overlap": runs.initial_overlap, "escape_time": runs.escape_time,
                "escape_sign": runs.escape_sign, "stayed": runs.stayed,
                "outcome": run_outcome(runs.escape_sign, runs.stayed), "success": runs.success,
                "final_overlap": runs.final_overlap, "final_energy": runs.final_energy,
                "tensor_noise_sha256": instance.digests["tensor_noise_sha256"],
            }, columns=RUN_COLUMNS))
    table = pd.concat(frames, ignore_index=True)
    write_table(table, args.out)
    print(
        f"{len(table)} runs, p={args.p}, N={args.n}, 1/Δ2={args.inv_delta2:g}, Δp={args.delta_p:g}, t_h={horizon:g}: "
        f"{table['outcome'].value_counts().to_dict()}; {time.perf_counter() - started:.1f} s wall, "
        f"{time.process_time():.1f} s CPU",
        file=sys.stderr,
    )
    return 0


def _read_runs(paths):
    """The run tables, checked for one (p, Δp, c), one 1/Δ2 grid at every N and consistent outcomes."""
    import numpy as np
    import pandas as pd

    from ..finite_size import run_outcome

    runs = pd.concat([read_table(name, "run table", RUN_COLUMNS, optional=["escape_time"])[RUN_COLUMNS]
                      for name in paths], ignore_index=True)
    keys = ["p", "delta_p", "n", "inv_delta2", "seed", "replica"]
    if runs.duplicated(keys).any():
        raise CliError("the run tables overlap: some (p, Δp, N, 1/Δ2, seed, replica) appear twice")
    if runs[["p", "delta_p", "horizon_per_log_n"]].drop_duplicates().shape[0] != 1:
        raise CliError("the run tables mix different p, Δp or horizons per ln N")
    grids = runs.groupby("n")["inv_delta2"].apply(lambda values: tuple(sorted(set(values))))
    if grids.nunique() != 1:
        raise CliError(f"every N must run the same 1/Δ2 grid; got {grids.to_dict()}")
    if (runs["outcome"].to_numpy() != run_outcome(runs["escape_sign"], runs["stayed"])).any() or \
            (runs["success"] != (runs["outcome"] == "success")).any() or \
            (np.isfinite(runs["escape_time"]) != (runs["escape_sign"] != 0)).any():
        raise CliError("the run tables' outcome, success, escape sign and escape time disagree")
    return runs.sort_values(keys, kind="stable").reset_index(drop=True)


def _predictions(curve_paths, runs):
    """{(N, 1/Δ2): large-N prediction} from the CHSCK curves, matched to the runs by their exact m0."""
    from ..finite_size import large_n_prediction, typical_initial_overlap
    from .dynamics import read_dynamics_tables

    p, delta_p = int(runs["p"].iloc[0]), float(runs["delta_p"].iloc[0])
    points = runs[["n", "inv_delta2", "horizon", "escape_overlap"]].drop_duplicates()
    wanted = {(typical_initial_overlap(int(row.n)), float(row.inv_delta2)): row for row in points.itertuples()}
    predictions = {}
    for path, curve in zip(curve_paths, read_dynamics_tables(curve_paths, linear=False)):
        key = (float(curve["m0"].iloc[0]), float(curve["inv_delta2"].iloc[0]))
        if key not in wanted or int(curve["p"].iloc[0]) != p or float(curve["delta_p"].iloc[0]) != delta_p:
            raise CliError(f"the large-N curve {path} (m0 = {key[0]!r}, 1/Δ2 = {key[1]:g}) matches no (N, 1/Δ2) "
                           "of the runs at its typical m(0) = Φ⁻¹(3/4)/√N")
        row = wanted[key]
        if float(curve["t_max"].iloc[0]) != float(row.horizon):
            raise CliError(f"the large-N curve {path} runs to t = {curve['t_max'].iloc[0]:g}, not to the horizon "
                           f"{row.horizon:g} of N = {row.n}")
        predictions[(int(row.n), key[1])] = {
            **large_n_prediction(curve["time"].to_numpy(), curve["overlap"].to_numpy(), float(row.escape_overlap),
                                 float(row.horizon)),
            "final_overlap": float(curve["overlap"].iloc[-1]),
            # the half-resolution error estimate (NaN where the curve was run without it: no estimate, refused)
            "overlap_error": float(curve["overlap_error"].abs().max()),
        }
    missing = sorted(set((int(row.n), float(row.inv_delta2)) for row in points.itertuples()) - set(predictions))
    if missing:
        raise CliError(f"no large-N curve for the (N, 1/Δ2) points {missing}")
    return predictions


def _location(crossing: float) -> str:
    """Where a midpoint lies relative to the 1/Δ2 grid, in words (crossing_point: ±inf off the grid)."""
    return "below grid" if crossing == -math.inf else "above grid" if crossing == math.inf else "inside grid"


def _points_table(runs, summary, predictions, threshold: float):
    """One row per (N, 1/Δ2): outcome counts, P(success) with its Wilson interval, the bootstrap statistics
    and the large-N prediction from the typical m(0)."""
    from ..finite_size import OUTCOMES, typical_initial_overlap, wilson_interval

    points = (runs.groupby(["p", "delta_p", "n", "inv_delta2", "horizon", "escape_overlap"], as_index=False)
              .agg(runs=("success", "size"), instances=("seed", "nunique"),
                   **{outcome: ("outcome", lambda v, o=outcome: int((v == o).sum())) for outcome in OUTCOMES}))
    points = points.rename(columns={"success": "successes"})
    points["probability"] = points["successes"] / points["runs"]
    points["wilson_low"], points["wilson_high"] = wilson_interval(points["successes"], points["runs"], CONFIDENCE_Z)
    keys = [(int(row.n), float(row.inv_delta2)) for row in points.itertuples()]
    for name in ("escape_time_median", "success_overlap_median"):
        values = [summary["points"][key][name] for key in keys]
        points[name], points[f"{name}_low"], points[f"{name}_high"] = (list(column) for column in zip(*values))
    points["typical_m0"] = [typical_initial_overlap(n) for n, _ in keys]
    for name in ("escape_time", "success", "final_overlap", "overlap_error"):
        points[f"large_n_{name}"] = [predictions[key][name] for key in keys]
    points["gf_threshold_inv_delta2"] = threshold
    points["confidence"] = CONFIDENCE
    return points


def _midpoints_table(points, summary, c: float, threshold: float):
    """One row per N: the measured midpoint with its interval, the large-N one (halfway between the last grid
    1/Δ2 where the curve from the typical m(0) fails by t_h and the first where it succeeds), the N → ∞ one."""
    import pandas as pd

    from ..finite_size import asymptotic_midpoint, crossing_point

    p, delta_p = int(points["p"].iloc[0]), float(points["delta_p"].iloc[0])
    asymptotic = asymptotic_midpoint(p, delta_p, c)
    rows = []
    for n, group in points.groupby("n"):
        group = group.sort_values("inv_delta2")
        value, low, high = summary["midpoints"][n]
        large_n = crossing_point(group["inv_delta2"].to_numpy(), group["large_n_success"].to_numpy(dtype=float))
        rows.append({
            "p": p, "delta_p": delta_p, "n": int(n), "horizon": float(group["horizon"].iloc[0]), "horizon_per_log_n": c,
            "midpoint": value, "midpoint_location": _location(value), "midpoint_low": low, "midpoint_high": high,
            "confidence": CONFIDENCE, "large_n_midpoint": large_n, "large_n_midpoint_location": _location(large_n),
            "asymptotic_midpoint": asymptotic, "gf_threshold_inv_delta2": threshold,
        })
    return pd.DataFrame(rows)


def _slopes_table(points, summary, threshold: float):
    """One row per 1/Δ2: the measured slope b with its interval, the large-N curves' slope over the same N, b∞."""
    import numpy as np
    import pandas as pd

    from ..finite_size import asymptotic_slope, fit_log_growth
    from ..landscape import threshold_growth_rate
    from ..params import ModelParams

    p, delta_p = int(points["p"].iloc[0]), float(points["delta_p"].iloc[0])
    rows = []
    for x, at_x in points.groupby("inv_delta2"):
        predicted = at_x[np.isfinite(at_x["large_n_escape_time"])]
        params = ModelParams.from_inv_delta2(p, float(x), delta_p)
        value, low, high = summary["slopes"][float(x)]
        rows.append({
            "p": p, "delta_p": delta_p, "inv_delta2": float(x), "slope": value, "slope_low": low, "slope_high": high,
            "confidence": CONFIDENCE, "n_min": int(at_x["n"].min()), "n_max": int(at_x["n"].max()),
            "large_n_slope": fit_log_growth(predicted["n"], predicted["large_n_escape_time"])[1]
            if predicted["n"].nunique() >= 2 else math.nan,
            "asymptotic_slope": asymptotic_slope(params), "rate_inf": threshold_growth_rate(params),
            "gf_threshold_inv_delta2": threshold,
        })
    return pd.DataFrame(rows)


@wrap_parameter_errors
def cmd_summary(args) -> int:
    from ..finite_size import summarise_runs
    from ..landscape import gf_threshold

    runs = _read_runs(args.inputs)
    predictions = _predictions(args.curves, runs)
    threshold = float(gf_threshold(int(runs["p"].iloc[0]), float(runs["delta_p"].iloc[0])))
    summary = summarise_runs(runs, args.bootstrap_samples, args.bootstrap_seed, CONFIDENCE)
    points = _points_table(runs, summary, predictions, threshold)
    midpoints = _midpoints_table(points, summary, float(runs["horizon_per_log_n"].iloc[0]), threshold)
    write_table(runs, args.runs_out)
    write_table(points, args.points_out)
    write_table(midpoints, args.midpoints_out)
    write_table(_slopes_table(points, summary, threshold), args.slopes_out)
    print(f"{len(runs)} runs in {len(points)} (N, 1/Δ2) points; midpoints "
          + ", ".join(f"N={row.n}: {row.midpoint:.3g} (large N {row.large_n_midpoint:.3g})" for row in midpoints.itertuples()),
          file=sys.stderr)
    return 0
