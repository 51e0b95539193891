"""Large-N dynamics stage: ``dynamics`` (one CHSCK run), ``dynamics-table``, ``gf-threshold``.

``dynamics`` solves theory.md §C.1 and writes one tidy CSV (columns time, overlap, multiplier,
energy, overlap_error, [log_overlap_ratio,] then the run's parameters, with t_max and the solver's
end time t_end, which a reader checks the table reaches). ``dynamics-table`` gathers full runs with the
closed-form levels the figure draws (2√f''(1), m*, μ*, ε*). ``gf-threshold`` turns m0 -> 0⁺ runs
into growth rates, the numerical gradient-flow threshold with its interval, escape-time tables and
[PS]-style power-law extrapolations (growth.py, fits.py, theory.md §C.3, §C.5, §D.6). The stage's
checks are ``check-dynamics`` (reproduction/dynamics.py).
"""

from __future__ import annotations

import json
import math
import sys
import time

from ._common import (
    CliError,
    add_bootstrap_seed_argument,
    add_model_arguments,
    add_threads_argument,
    declare_files,
    finite_float,
    pin_threads,
    positive_float,
    print_json,
    read_table,
    refuse_repeated_runs,
    require_horizon,
    wrap_parameter_errors,
    write_table,
)

#: Table column of each per-time quantity of a :class:`~bigbadminima.dynamics.DynamicsResult`: the
#: names of the finite-N tables (one vocabulary for the whole project).
TABLE_NAMES = {"t": "time", "m": "overlap", "mu": "multiplier", "energy": "energy", "m_error": "overlap_error",
               "log_m_ratio": "log_overlap_ratio"}
RUN_COLUMNS = ["time", "overlap", "multiplier", "energy", "overlap_error"]
PARAMETER_COLUMNS = ["p", "delta_p", "inv_delta2", "m0", "temperature", "method", "resolution", "linear", "t_max",
                     "t_end"]
#: What identifies a run: two tables with the same values hold the same run.
RUN_KEYS = ["p", "delta_p", "inv_delta2", "m0", "temperature", "linear"]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "dynamics",
        help="large-N gradient flow: solve the CHSCK equations (theory.md §C)",
        description="Solve the (2+p) CHSCK equations from m(0) = m0 up to t_max and write t, m, mu, energy "
        "and the Richardson error estimate overlap_error (run repeated at half the resolution; with --threads >= 2 "
        "that run goes to a second process, each process getting half the threads). "
        "--linear solves the m0 -> 0+ limit and adds log_overlap_ratio = log(m/m0).",
    )
    add_model_arguments(parser)
    parser.add_argument("--m0", type=positive_float, default=1e-10, help="initial overlap in (0, 1) (default 1e-10)")
    parser.add_argument("--t-max", type=positive_float, required=True, help="final time")
    parser.add_argument("--out", required=True, help="table to write (.csv)")
    parser.add_argument("--method", choices=("doubling", "uniform"), default="doubling",
                        help="doubling: long-time scheme (T = 0); uniform: Heun reference grid (default doubling)")
    parser.add_argument("--resolution", type=positive_float, default=1.0,
                        help="doubling scheme: resolution level (1 = 256-point window; default 1)")
    parser.add_argument("--step", type=positive_float, default=0.02, help="uniform scheme: time step (default 0.02)")
    parser.add_argument("--temperature", type=finite_float, default=0.0, help="T >= 0 (uniform scheme only; default 0)")
    parser.add_argument("--m-tol", type=positive_float, default=None,
                        help="refine until max overlap_error <= M_TOL (doubles the resolution, halves the step)")
    parser.add_argument("--max-resolution", type=positive_float, default=4.0, help="limit for --m-tol (default 4)")
    parser.add_argument("--linear", action="store_true", help="m0 -> 0+ limit: write log_overlap_ratio = log(m/m0)")
    parser.add_argument("--no-error-estimate", action="store_true", help="skip the half-resolution run")
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    add_threads_argument(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_dynamics)

    parser = subparsers.add_parser(
        "dynamics-table",
        help="gather CHSCK runs into one table with the closed-form levels of the figure",
        description="Concatenate `bigbadminima dynamics` tables (full runs) and add 2√f''(1) (plateau of μ, "
        "theory.md §D.4) and the good minimum m*, μ*, ε* (theory.md §D.5; NaN where there is none).",
    )
    parser.add_argument("inputs", nargs="+", help="tables written by `bigbadminima dynamics`")
    parser.add_argument("--out", required=True, help="table to write (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["inputs"], outputs=["out"])
    parser.set_defaults(func=cmd_dynamics_table)

    parser = subparsers.add_parser(
        "gf-threshold",
        help="numerical gradient-flow threshold from m0 -> 0+ CHSCK runs (fits.py)",
        description="For each --linear run: growth rate λ(t) of log m and its extrapolation λ_∞. For each "
        "(p, Δp): fit of √(θ λ_∞) -> θ_c = 1/Δ2_GF with a bootstrap interval, against the closed form "
        "(theory.md §D.6). Also escape times: measured in full runs, predicted for several m0 by the "
        "linear runs, the divergence implied by the fit, and a [PS]-style power-law fit.",
    )
    parser.add_argument("--rates", nargs="+", required=True, help="`dynamics --linear` tables")
    parser.add_argument("--curves", nargs="*", default=[], help="full-run `dynamics` tables (measured escape times)")
    parser.add_argument("--t-min-fraction", type=positive_float, default=0.05,
                        help="fit λ(t) on t >= fraction·t_max (default 0.05)")
    parser.add_argument("--escape-m0", type=positive_float, nargs="+", default=[1e-10, 1e-30],
                        help="m0 values for the escape-time predictions (default 1e-10 1e-30)")
    parser.add_argument("--confidence", type=positive_float, default=0.95, help="interval level (default 0.95)")
    add_bootstrap_seed_argument(parser, required=False)
    parser.add_argument("--threshold-table", required=True, help="numerical threshold points (.csv)")
    parser.add_argument("--rates-table", required=True, help="growth rates per run and time (.csv)")
    parser.add_argument("--escape-table", required=True, help="escape times and fitted divergences (.csv)")
    parser.add_argument("--power-law-table", required=True,
                        help="[PS]-style power-law extrapolations of the escape times (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["rates", "curves"],
                  outputs=["threshold_table", "rates_table", "escape_table", "power_law_table"])
    parser.set_defaults(func=cmd_gf_threshold)


@wrap_parameter_errors
def cmd_dynamics(args) -> int:
    estimate = not args.no_error_estimate or args.m_tol is not None
    workers = 2 if args.threads >= 2 and estimate else 1  # the half-resolution run alongside the main one
    pin_threads(max(1, args.threads // workers))
    import numpy as np
    import pandas as pd

    from ..dynamics import solve_chsck
    from ..fits import escape_time
    from ..params import ModelParams

    params = ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p)
    started = time.perf_counter()
    print(f"CHSCK {params.describe()}, m0={args.m0:g}{' (linear)' if args.linear else ''}, "
          f"t_max={args.t_max:g}, {args.method}", file=sys.stderr)
    result = solve_chsck(
        params, args.t_max, args.m0, method=args.method, resolution=args.resolution, step=args.step,
        temperature=args.temperature, linear=args.linear, error_estimate=not args.no_error_estimate,
        m_tol=args.m_tol, max_resolution=args.max_resolution, workers=workers,
    )
    wall = time.perf_counter() - started
    if not result.success:
        raise CliError(f"CHSCK run failed: {result.message}", status=1)
    frame = pd.DataFrame({TABLE_NAMES[name]: values for name, values in result.columns().items()})
    for name, value in zip(PARAMETER_COLUMNS, [
        params.p, params.delta_p, args.inv_delta2, math.nan if args.linear else args.m0, args.temperature,
        args.method, result.resolution["level"] if args.method == "doubling" else args.step, args.linear,
        args.t_max, float(result.t[-1]),  # the grid ends within one step of t_max
    ]):
        frame[name] = value
    write_table(frame, args.out)
    summary = {
        "parameters": params.describe(), "m0": args.m0, "linear": args.linear, "points": int(frame.shape[0]),
        "t_end": float(result.t[-1]), "mu_end": float(result.mu[-1]), "energy_end": float(result.energy[-1]),
        "max_m_error": float(np.nanmax(result.m_error)) if np.any(np.isfinite(result.m_error)) else None,
        "monitors": result.monitors, "resolution": result.resolution, "wall_seconds": round(wall, 2),
    }
    if not args.linear:
        summary["m_end"] = float(result.m[-1])
        summary["escape_time"] = escape_time(result.t, result.m)
    else:
        summary["log_m_ratio_end"] = float(result.log_m_ratio[-1])
    print(f"done in {wall:.1f} s: " + json.dumps({k: v for k, v in summary.items() if k != "resolution"}),
          file=sys.stderr)
    if args.json:
        print_json(summary)
    return 0


def read_dynamics_tables(paths: list[str], linear: bool):
    """The `bigbadminima dynamics` tables at ``paths``, each checked for its columns and its kind
    (``linear``: m0 -> 0+ runs; otherwise full runs). Unreadable or foreign files are a CliError."""
    what = "`bigbadminima dynamics` table"
    columns = RUN_COLUMNS + PARAMETER_COLUMNS + (["log_overlap_ratio"] if linear else [])
    # an m0 -> 0+ run has no overlap, only log(m/m0); the error estimate is NaN without its half-resolution run
    finite = ["time", "multiplier", "energy", "t_max", "t_end"] + (["log_overlap_ratio"] if linear else ["overlap", "m0"])
    frames = []
    for path in paths:
        frame = read_table(path, what, columns, finite=finite, unique=["time"])
        if bool(frame["linear"].iloc[0]) != linear:
            kind = "an m0 -> 0+ (--linear)" if linear else "a full (not --linear)"
            raise CliError(f"{path} is not {kind} run")
        for column in RUN_KEYS:
            if frame[column].nunique(dropna=False) != 1:
                raise CliError(f"{what} {path}: column {column!r} changes within the run")
        require_horizon(frame, path, what, end_column="t_end")
        frames.append(frame)
    refuse_repeated_runs(frames, RUN_KEYS, paths)
    return frames


@wrap_parameter_errors
def cmd_dynamics_table(args) -> int:
    import numpy as np
    import pandas as pd

    from ..landscape import good_minimum
    from ..params import ModelParams, ParameterError

    frames = []
    for frame in read_dynamics_tables(args.inputs, linear=False):
        first = frame.iloc[0]
        params = ModelParams.from_inv_delta2(int(first["p"]), float(first["inv_delta2"]), float(first["delta_p"]))
        frame["multiplier_plateau"] = 2 * params.sigma
        try:
            star = good_minimum(params)
            frame["overlap_star"], frame["multiplier_star"], frame["energy_star"] = star.m, star.mu, star.energy
        except ParameterError:
            frame["overlap_star"] = frame["multiplier_star"] = frame["energy_star"] = np.nan
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).sort_values(["p", "delta_p", "inv_delta2", "m0", "time"], kind="stable")
    write_table(table, args.out)
    print(f"{len(frames)} runs, {len(table)} rows -> {args.out}", file=sys.stderr)
    return 0


@wrap_parameter_errors
def cmd_gf_threshold(args) -> int:
    from .. import growth

    if not 0 < args.confidence < 1:
        raise CliError(f"--confidence must lie in (0, 1), got {args.confidence:g}")
    try:
        rates, points = growth.rate_limit_table(read_dynamics_tables(args.rates, linear=True),
                                                args.t_min_fraction, args.escape_m0)
        thresholds = growth.threshold_table(points, args.confidence, args.bootstrap_seed)
        escape = growth.escape_table(points, thresholds, read_dynamics_tables(args.curves, linear=False)
                                     if args.curves else [], args.escape_m0)
        power_laws = growth.power_law_table(escape)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    for _, point in points.iterrows():
        print(f"p={point['p']:g} Δp={point['delta_p']:g} 1/Δ2={point['inv_delta2']:g}: λ_∞ = "
              f"{point['rate_inf']:.5f} ± {point['rate_inf_err']:.5f} (closed form {point['rate_inf_closed_form']:.5f})",
              file=sys.stderr)
    for _, fit in thresholds.iterrows():
        print(f"p={fit['p']:g} Δp={fit['delta_p']:g}: 1/Δ2_GF = {fit['inv_delta2_gf']:.4f} [{fit['ci_low']:.4f}, "
              f"{fit['ci_high']:.4f}] vs closed form {fit['closed_form']:.4f} "
              f"({100 * fit['relative_deviation']:+.2f} %)", file=sys.stderr)
    for _, fit in power_laws.iterrows():
        print(f"p={fit['p']:g} Δp={fit['delta_p']:g} m0={fit['m0']:g} ({fit['kind']}): [PS]-style power law "
              f"t = A(θ-θ_c)^-γ gives θ_c = {fit['inv_delta2_c']:.4f}, γ = {fit['exponent']:.2f}", file=sys.stderr)
    outputs = [
        (args.threshold_table, thresholds),
        (args.rates_table, rates),
        (args.escape_table, growth.power_law_curves(escape, power_laws)),
        (args.power_law_table, power_laws),
    ]
    for path, table in outputs:
        write_table(table, path)
    return 0
