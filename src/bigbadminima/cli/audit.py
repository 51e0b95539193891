"""Audit trail: ``check-simulation``, ``check-dynamics``, ``check-landscape``, ``reproduction``,
``reproduction-verdict``, ``manifest``, ``verify``.

The conventions (checks tables, reproduction table, manifest) are described in
``bigbadminima.reproduction`` and ``bigbadminima.provenance``.
"""

from __future__ import annotations

import json
import sys
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

#: Columns of those tables that may hold NaN (ML-AMP iterates: no step size on state-evolution rows).
OPTIONAL_VALUES = {"amp-runs": ("step",), "zero-overlap": ("outlier",)}
#: Tables read by ``check-landscape``: option -> (what it is, where the pipeline writes it, columns it needs).
LANDSCAPE_TABLES = {
    "thresholds": ("threshold lines", "thresholds.csv", ["p", "delta_p", "threshold", "inv_delta2"]),
    "complexity": ("Σ_min(m) table", "complexity_minima.csv",
                   ["p", "delta_p", "inv_delta2", "kind", "overlap", "complexity", "is_triv", "triv"]),
    "points": ("reference-state table", "landscape_points.csv", ["p", "delta_p", "inv_delta2", "state", "overlap", "energy"]),
    "threshold-spectrum": ("threshold-state Hessian table", "threshold_spectrum.csv",
                           ["p", "delta_p", "inv_delta2", "multiplier", "complexity"]),
    "hessian-states": ("finite-N Hessian state table", "hessian_states.csv",
                       ["p", "delta_p", "n", "inv_delta2", "seed", "flow", "time", "overlap", "multiplier",
                        "lowest", "second_lowest", "highest"]),
    "amp-runs": ("ML-AMP iterate table", "amp_runs.csv",
                 ["p", "delta_p", "n", "method", "inv_delta2", "seed", "iteration", "overlap", "step"]),
    "zero-overlap": ("table of the stationary points at m = 0", "zero_overlap_states.csv",
                     ["p", "delta_p", "inv_delta2", "multiplier", "complexity", "outlier", "kind",
                      "switch_complexity"]),
    "amp-theory": ("ML-AMP fixed-point table", "amp_theory.csv",
                   ["p", "delta_p", "inv_delta2", "state_evolution_fixed_point"]),
    "trajectories": ("trajectory table", "simulation.csv",
                     ["p", "n", "delta_p", "inv_delta2", "seed", "replica", "time", "overlap", "energy",
                      "multiplier"]),
}


def _add_one_table_check(subparsers, name: str, help_text: str, description: str, table: str, out: str, func):
    """A ``check-*`` command that reads one table (``--table``) and writes a checks table (``--out``)."""
    parser = subparsers.add_parser(name, help=help_text, description=description)
    parser.add_argument("--table", required=True, help=table)
    parser.add_argument("--out", required=True, help=f"checks table to write ({out})")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["table"], outputs=["out"])
    parser.set_defaults(func=func)


def register(subparsers) -> None:
    _add_one_table_check(
        subparsers, "check-simulation",
        "checks table of the finite-N gradient-flow stage (end-point overlap vs m*, energy descent)",
        "Read the aggregated trajectory table and write the stage's checks table "
        "(bigbadminima.reproduction.simulation_checks): for 1/Δ2 above the closed-form GF threshold "
        "(theory.md §D.6) at the largest N, the final overlap of the escaped runs against m* (§D.5); "
        "and that the energy never rises along a run (§B.1).",
        "aggregated trajectories (results/tables/simulation.csv)", "results/checks/simulation.csv",
        cmd_check_simulation,
    )
    _add_one_table_check(
        subparsers, "check-dynamics",
        "checks table of the large-N curves (first passage, end state, plateau, no escape below threshold)",
        "Read the table of full CHSCK runs (`bigbadminima dynamics-table`) and write its checks "
        "table (bigbadminima.reproduction.dynamics_curve_checks): from the smallest m0, the first passage "
        "m > 0.4 against theory.md §G, the end state of the escaped runs against the good minimum (§D.5), "
        "μ on the plateau against 2√f''(1) (§D.4) and no escape below the closed-form threshold (§D.6).",
        "full CHSCK runs (results/tables/dynamics.csv)", "results/checks/dynamics_curves.csv",
        cmd_check_dynamics,
    )

    parser = subparsers.add_parser(
        "check-landscape",
        help="checks table of the landscape stage (thresholds, complexity, Hessians, ML-AMP vs theory)",
        description="Read the landscape stage's tables and write its checks table "
        "(bigbadminima.reproduction.landscape_checks): the thresholds, threshold-state and good-minimum "
        "numbers against theory.md §G; the identity and ordering of the thresholds (§D.6, §D.7); the "
        "Kac-Rice zero at the ML-AMP fixed points (§D.2, §E.2); finite-N Hessian spectra of the plateau "
        "states (§D.1, §D.4), finite-N ML-AMP and gradient-flow end points (§D.5) within finite-N tolerances.",
    )
    for option, (what, name, _) in LANDSCAPE_TABLES.items():
        parser.add_argument(f"--{option}", required=True, help=f"{what} (results/tables/{name})")
    parser.add_argument("--out", required=True, help="checks table to write (results/checks/landscape.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=[option.replace("-", "_") for option in LANDSCAPE_TABLES], outputs=["out"])
    parser.set_defaults(func=cmd_check_landscape)

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
def cmd_check_simulation(args) -> int:
    from ..reproduction import simulation_checks
    from .simulation import TRAJECTORY_COLUMNS

    table = read_table(args.table, "trajectory table", TRAJECTORY_COLUMNS)
    checks = simulation_checks(table)
    write_table(checks, args.out)
    print(f"{len(checks)} checks of the simulation stage -> {args.out}", file=sys.stderr)
    return 0


#: Columns ``check-dynamics`` reads from the table of full CHSCK runs.
DYNAMICS_CURVE_COLUMNS = ["p", "delta_p", "inv_delta2", "m0", "time", "overlap", "multiplier", "energy"]


def cmd_check_dynamics(args) -> int:
    from ..reproduction import dynamics_curve_checks

    table = read_table(args.table, "table of CHSCK runs", DYNAMICS_CURVE_COLUMNS,
                       unique=["p", "delta_p", "inv_delta2", "m0", "time"])
    checks = dynamics_curve_checks(table)
    write_table(checks, args.out)
    print(f"{len(checks)} checks of the large-N curves -> {args.out}", file=sys.stderr)
    return 0


@wrap_parameter_errors
def cmd_check_landscape(args) -> int:
    from ..reproduction import landscape_checks

    tables = {}
    for option, (what, _, columns) in LANDSCAPE_TABLES.items():
        path = getattr(args, option.replace("-", "_"))
        tables[option.replace("-", "_")] = read_table(path, what, columns, optional=OPTIONAL_VALUES.get(option, ()))
    checks = landscape_checks(**tables)
    write_table(checks, args.out)
    print(f"{len(checks)} checks of the landscape stage -> {args.out}", file=sys.stderr)
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
