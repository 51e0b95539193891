"""Audit trail: ``check-<stage>`` (simulation, dynamics, landscape, convergence), ``reproduction``,
``reproduction-verdict``, ``manifest``, ``verify``.

The conventions (checks tables, reproduction table, manifest) are described in
``bigbadminima.reproduction`` and ``bigbadminima.provenance``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ._common import (
    CliError,
    add_threads_argument,
    atomic_output,
    declare_files,
    print_json,
    read_table,
    wrap_parameter_errors,
    write_table,
)
from .simulation import TRAJECTORY_COLUMNS


@dataclass(frozen=True)
class TableInput:
    """One table a ``check-<stage>`` command reads: what it is, where the pipeline writes it (under
    results/tables/), the columns the checks need, those of them that may hold NaN, and the columns
    whose combination is unique per row; ``many``: one or more such tables, read as one."""

    what: str
    file: str
    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    many: bool = False


#: The ``check-<stage>`` commands: stage -> (help, description, {option: table}); each calls
#: ``bigbadminima.reproduction.<stage>_checks`` with the tables as keyword arguments (options with "_").
CHECK_COMMANDS = {
    "simulation": (
        "checks table of the finite-N gradient-flow stage (end-point overlap vs m*, energy descent)",
        "For 1/Δ2 above the closed-form GF threshold (theory.md §D.6) at the largest N, the final overlap "
        "of the escaped runs against m* (§D.5); and that the energy never rises along a run (§B.1).",
        {"trajectories": TableInput("trajectory table", "simulation.csv", tuple(TRAJECTORY_COLUMNS))},
    ),
    "dynamics": (
        "checks table of the large-N dynamics (full runs, growth rates, numerical GF threshold)",
        "From the smallest m0 of the full CHSCK runs: the first passage m > 0.4 against theory.md §G, the "
        "end state of the escaped runs against the good minimum (§D.5), μ on the plateau against "
        "2√f''(1) (§D.4), no escape below the closed-form threshold (§D.6). From the growth-rate runs: "
        "λ_∞ against (θ − σ)²/θ and the numerical threshold's interval around the closed form (§D.6).",
        {
            "curves": TableInput("table of CHSCK runs", "dynamics.csv", (
                "p", "delta_p", "inv_delta2", "m0", "time", "overlap", "multiplier", "energy"),
                unique=("p", "delta_p", "inv_delta2", "m0", "time")),
            "rates": TableInput("growth-rate table", "growth_rates.csv", (
                "p", "delta_p", "inv_delta2", "rate_inf", "rate_inf_err", "t_max")),
            "thresholds": TableInput("numerical threshold table", "gf_threshold_numerical.csv", (
                "p", "delta_p", "inv_delta2_gf", "ci_low", "ci_high", "confidence", "points",
                "inv_delta2_min", "inv_delta2_max"), unique=("p", "delta_p")),
        },
    ),
    "landscape": (
        "checks table of the landscape stage (thresholds, complexity, Hessians, ML-AMP vs theory)",
        "The thresholds, threshold-state and good-minimum numbers against theory.md §G; the ordering of the "
        "thresholds (§D.7); the stationary points at m = 0 (§D.6, §D.7); the Kac-Rice zero at the ML-AMP "
        "fixed points (§D.2, §E.2); finite-N Hessian spectra of the plateau states (§D.1, §D.4), finite-N "
        "ML-AMP and gradient-flow end points (§D.5) within their measured spreads.",
        {
            "thresholds": TableInput("threshold lines", "thresholds.csv", ("p", "delta_p", "threshold", "inv_delta2")),
            "complexity": TableInput("Σ_min(m) table", "complexity_minima.csv", (
                "p", "delta_p", "inv_delta2", "kind", "overlap", "complexity", "is_triv", "triv")),
            "points": TableInput("reference-state table", "landscape_points.csv", (
                "p", "delta_p", "inv_delta2", "state", "overlap", "energy")),
            "threshold_spectrum": TableInput("threshold-state Hessian table", "threshold_spectrum.csv", (
                "p", "delta_p", "inv_delta2", "multiplier", "complexity")),
            "hessian_states": TableInput("finite-N Hessian state table", "hessian_states.csv", (
                "p", "delta_p", "n", "inv_delta2", "seed", "flow", "time", "overlap", "multiplier", "lowest",
                "second_lowest", "highest")),
            "amp_runs": TableInput("ML-AMP iterate table", "amp_runs.csv", (
                "p", "delta_p", "n", "method", "inv_delta2", "seed", "iteration", "overlap", "step"),
                optional=("step",)),
            "amp_theory": TableInput("ML-AMP fixed-point table", "amp_theory.csv", (
                "p", "delta_p", "inv_delta2", "state_evolution_fixed_point")),
            "trajectories": TableInput("trajectory table", "simulation.csv", (
                "p", "n", "delta_p", "inv_delta2", "seed", "replica", "time", "overlap", "energy", "multiplier")),
            "zero_overlap": TableInput("table of the stationary points at m = 0", "zero_overlap_states*.csv", (
                "p", "delta_p", "inv_delta2", "multiplier", "complexity", "outlier", "kind", "switch_complexity"),
                optional=("outlier",), many=True),
        },
    ),
    "convergence": (
        "checks table of the finite-N -> large-N convergence stage (band of the median, spread exponent)",
        "The large-N CHSCK curve inside the simultaneous bootstrap band of the median finite-N trajectory at "
        "the largest N (theory.md §C.1), and the exponent of the spread of the runs, N^-1/2 (§C.4).",
        {"summary": TableInput("convergence summary", "convergence.csv", (
            "p", "delta_p", "inv_delta2", "m0", "n", "runs", "instances", "deviation", "standardised_deviation",
            "critical_value", "band_level", "exponent", "exponent_standard_error", "n_min", "n_max",
            "curve_overlap_error", "curve_method", "t_max"), unique=("n",))},
    ),
    "finite_size": (
        "checks table of the finite-size stage (end points of the successful runs and of the large-N curves)",
        "At the largest N and every 1/Δ2 above 1/Δ2^GF: the median end overlap of the successful runs against "
        "m* within its cluster-bootstrap interval, and the end of the large-N curve from the typical m(0) against "
        "m* within its error estimate (theory.md §D.5, §C); the midpoint of P(success) at the largest N against "
        "the large-N curve's.",
        {
            "points": TableInput("finite-size point table", "finite_size_points.csv", (
                "p", "delta_p", "n", "inv_delta2", "horizon", "runs", "instances", "successes",
                "success_overlap_median", "success_overlap_median_low", "success_overlap_median_high", "confidence",
                "typical_m0", "large_n_final_overlap", "large_n_overlap_error"),
                optional=("success_overlap_median", "success_overlap_median_low", "success_overlap_median_high",
                          "large_n_overlap_error"), unique=("n", "inv_delta2")),
            "midpoints": TableInput("finite-size midpoint table", "finite_size_midpoints.csv", (
                "p", "delta_p", "n", "horizon", "horizon_per_log_n", "midpoint", "midpoint_low", "midpoint_high",
                "confidence", "large_n_midpoint"),
                optional=("midpoint", "midpoint_low", "midpoint_high", "large_n_midpoint"), unique=("n",)),
            "slopes": TableInput("finite-size slope table", "finite_size_slopes.csv", (
                "p", "delta_p", "inv_delta2", "gf_threshold_inv_delta2"), unique=("inv_delta2",)),
        },
    ),
}


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def register(subparsers) -> None:
    for stage, (help_text, description, tables) in CHECK_COMMANDS.items():
        parser = subparsers.add_parser(
            f"check-{stage.replace('_', '-')}", help=help_text,
            description=f"Read the {stage} stage's tables and write its checks table "
            f"(bigbadminima.reproduction.{stage}_checks): {description}",
        )
        for name, table in tables.items():
            parser.add_argument(_option(name), dest=name, required=True, nargs="+" if table.many else None,
                                help=f"{table.what}{'s' if table.many else ''} (results/tables/{table.file})")
        parser.add_argument("--out", required=True, help=f"checks table to write (results/checks/{stage}.csv)")
        add_threads_argument(parser, pinned=False)
        declare_files(parser, inputs=list(tables), outputs=["out"])
        parser.set_defaults(func=cmd_check, stage=stage)

    parser = subparsers.add_parser(
        "reproduction",
        help="gather checks tables into the reproduction table (CSV + Markdown)",
        description="Validate every checks table (results/checks/<stage>.csv), add deviation, margin and "
        "passed, and write the reproduction table and a readable Markdown version. Failing rows do not "
        "change the exit status (the table is written to be inspected); see `reproduction-verdict`.",
    )
    parser.add_argument("checks", nargs="+", help="checks tables, one per stage (the stage is the file stem)")
    parser.add_argument("--out", required=True, help="reproduction table to write (.csv)")
    parser.add_argument("--markdown", required=True, help="readable version to write (.md)")
    parser.add_argument("--html", required=True, help="the same as one HTML page, for the report (.html)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["checks"], outputs=["out", "markdown", "html"])
    parser.set_defaults(func=cmd_reproduction)

    parser = subparsers.add_parser(
        "reproduction-verdict",
        help="fail (exit 1) when any row of the reproduction table failed; else write a verdict file",
        description="Read the reproduction table; print every failing row and exit 1 if there is one, "
        "otherwise write a one-line verdict file (the pipeline's target that all checks passed).",
    )
    parser.add_argument("--table", required=True, help="reproduction table (results/reproduction.csv)")
    parser.add_argument("--out", required=True, help="verdict file to write when every row passed")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["table"], outputs=["out"])
    parser.set_defaults(func=cmd_reproduction_verdict)

    parser = subparsers.add_parser(
        "manifest",
        help="write the run's manifest: commit, packages, platform, config, seeds, hashes, benchmarks",
        description="Hash every file under the results folder (data and figures in 'outputs', logs and "
        "benchmarks in 'logs') and record the git commit, package versions, platform, the resolved "
        "configuration with its SHA-256 and seeds, and wall time and peak memory per rule from the "
        "benchmark files (bigbadminima.provenance).",
    )
    parser.add_argument("--results", default="results", help="results folder (default: results)")
    parser.add_argument("--config-json", required=True, help="the resolved configuration, as a JSON object")
    parser.add_argument("--exclude", action="append", default=[], metavar="FILE",
                        help="file not to hash (e.g. this job's own log); repeatable")
    parser.add_argument("--snakemake-metadata", default=None, metavar="FOLDER",
                        help="Snakemake's job records (.snakemake/metadata): each output's rule, inputs, command")
    parser.add_argument("--out", required=True, help="manifest to write (.json)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_manifest)

    parser = subparsers.add_parser(
        "verify",
        help="re-hash results against a manifest; exit 1 on any changed or missing file",
        description="Re-hash every file listed in a manifest written by `bigbadminima manifest` and report "
        "each changed or missing file. Paths are relative to the manifest's folder's parent "
        "(results/manifest.json -> the run's working directory) unless --base is given.",
    )
    parser.add_argument("--manifest", required=True, help="manifest (results/manifest.json)")
    parser.add_argument("--base", default=None, help="folder the manifest's paths are relative to")
    parser.add_argument("--outputs-only", action="store_true", help="skip logs and benchmark files")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(func=cmd_verify)


@wrap_parameter_errors
def cmd_check(args) -> int:
    from .. import reproduction

    import pandas as pd

    tables = {}
    for name, table in CHECK_COMMANDS[args.stage][2].items():
        paths = getattr(args, name) if table.many else [getattr(args, name)]
        tables[name] = pd.concat([read_table(path, table.what, table.columns, optional=table.optional,
                                             unique=table.unique) for path in paths], ignore_index=True)
    checks = getattr(reproduction, f"{args.stage}_checks")(**tables)
    write_table(checks, args.out)
    print(f"{len(checks)} checks of the {args.stage} stage -> {args.out}", file=sys.stderr)
    return 0


@wrap_parameter_errors
def cmd_reproduction(args) -> int:
    from ..reproduction import html_report, markdown_report, reproduction_table

    stages = {}
    for name in args.checks:
        stage = Path(name).stem
        if stage in stages:
            raise CliError(f"two checks tables for the stage {stage!r}: stage names (file stems) must be unique")
        stages[stage] = read_table(name, "checks table")
    table = reproduction_table(stages)
    write_table(table, args.out)
    with atomic_output(args.markdown) as stream:
        stream.write(markdown_report(table))
    with atomic_output(args.html) as stream:
        stream.write(html_report(table))
    failed = table[~table["passed"]]
    print(f"{len(table)} checks, {len(failed)} failed -> {args.out}, {args.markdown}, {args.html}", file=sys.stderr)
    for _, row in failed.iterrows():
        print(f"FAILED [{row['stage']}] {row['figure']}: {row['quantity']} ({row['parameters']}): "
              f"reproduced {row['reproduced']:.6g}, expected {row['expected']:.6g} ± {row['tolerance']:.3g}",
              file=sys.stderr)
    return 0


def cmd_reproduction_verdict(args) -> int:
    table = read_table(args.table, "reproduction table")
    if "passed" not in table.columns or table["passed"].dtype != bool:
        raise CliError(f"{args.table} is not a reproduction table (no boolean 'passed' column)")
    failed = table[~table["passed"]]
    if len(failed):
        for _, row in failed.iterrows():
            print(f"FAILED [{row['stage']}] {row['figure']}: {row['quantity']} ({row['parameters']}): "
                  f"deviation {row['deviation']:.3g} > tolerance {row['tolerance']:.3g}", file=sys.stderr)
        raise CliError(f"{len(failed)} of {len(table)} reproduction checks failed; see {args.table}", status=1)
    with atomic_output(args.out) as stream:
        stream.write(f"all {len(table)} reproduction checks passed ({args.table})\n")
    print(f"all {len(table)} reproduction checks passed", file=sys.stderr)
    return 0


def cmd_manifest(args) -> int:
    from ..provenance import build_manifest

    try:
        config = json.loads(args.config_json)
    except json.JSONDecodeError as exc:
        raise CliError(f"--config-json is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise CliError("--config-json must be a JSON object (the configuration's sections)")
    results = Path(args.results)
    if not results.is_dir():
        raise CliError(f"results folder {results} does not exist")
    if args.snakemake_metadata is not None and not Path(args.snakemake_metadata).is_dir():
        raise CliError(f"Snakemake's job records {args.snakemake_metadata} are not a folder")
    manifest = build_manifest(results, config, exclude=[args.out, *args.exclude],
                              snakemake_metadata=args.snakemake_metadata)
    with atomic_output(args.out) as stream:
        json.dump(manifest, stream, indent=1, sort_keys=True)
        stream.write("\n")
    print(f"manifest: {len(manifest['outputs'])} outputs ({len(manifest['produced_by'])} with their job), "
          f"{len(manifest['logs'])} logs and benchmarks, "
          f"commit {manifest['git']['commit']} (dirty: {manifest['git']['dirty']}) -> {args.out}", file=sys.stderr)
    return 0


def cmd_verify(args) -> int:
    from ..provenance import verify_manifest

    path = Path(args.manifest)
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise CliError(f"manifest {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CliError(f"manifest {path} is not readable JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise CliError(f"manifest {path} is not a JSON object")
    base = Path(args.base) if args.base is not None else path.resolve().parent.parent
    try:
        mismatches = verify_manifest(manifest, base, include_logs=not args.outputs_only)
    except (KeyError, ValueError) as exc:
        raise CliError(f"manifest {path} is malformed: {exc}") from None
    checked = len(manifest["outputs"]) + (0 if args.outputs_only else len(manifest["logs"]))
    if args.json:
        print_json({"checked": checked, "mismatches": [vars(mismatch) for mismatch in mismatches]})
    else:
        for mismatch in mismatches:
            print(mismatch)
        print(f"{checked} files checked, {len(mismatches)} mismatch(es)", file=sys.stderr)
    if mismatches:
        raise CliError(f"{len(mismatches)} file(s) differ from the manifest {path}", status=1)
    return 0
