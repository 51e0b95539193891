"""Finite-N stages: ``instance`` (record an instance), ``instance-set`` (record several), ``simulate``
(gradient flow), ``aggregate``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ._common import (
    CliError,
    add_inv_delta2_list_argument,
    add_model_arguments,
    add_seeds_argument,
    add_tensor_layout_argument,
    add_threads_argument,
    atomic_output,
    declare_files,
    finite_float,
    int_at_least,
    pin_threads,
    positive_float,
    read_table,
    require_horizon,
    wrap_parameter_errors,
    write_table,
)

TRAJECTORY_COLUMNS = [
    "p", "n", "delta_p", "inv_delta2", "seed", "t_max", "replica",
    "time", "overlap", "energy", "multiplier", "gradient_norm",
]


def add_expected_instance_arguments(parser) -> None:
    """``--p --n --inv-delta2 --delta-p --seed``, optional: the instance the caller asks for; a record of
    another instance is refused (the pipeline always passes them)."""
    group = parser.add_argument_group("the instance asked for (all or none; checked against the record)")
    add_model_arguments(group, required=False)
    group.add_argument("--n", type=int_at_least(3), help="dimension N")
    group.add_argument("--seed", type=int_at_least(0), help="instance seed")


def expected_instance_spec(args):
    """The InstanceSpec of ``add_expected_instance_arguments``, or None when none was given."""
    from ..model import InstanceSpec
    from ..params import ModelParams

    values = {name: getattr(args, name) for name in ("p", "n", "inv_delta2", "delta_p", "seed")}
    given = [name for name, value in values.items() if value is not None]
    if not given:
        return None
    if len(given) != len(values):
        missing = ", ".join("--" + name.replace("_", "-") for name in values if values[name] is None)
        raise CliError(f"the instance asked for is incomplete: also give {missing}")
    params = ModelParams.from_inv_delta2(values["p"], values["inv_delta2"], values["delta_p"])
    return InstanceSpec(params, values["n"], values["seed"])


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "instance",
        help="generate an instance and write its verifiable record (JSON)",
        description="Generate (x*, Y, T) from (p, N, Δ2, Δp, seed) and write a record with the spike and "
        "SHA-256 digests of the noise (theory.md §A). The tensor itself is not written: it is regenerated "
        "and checked against the digests wherever it is used.",
    )
    add_model_arguments(parser)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    parser.add_argument("--seed", type=int_at_least(0), required=True, help="instance seed (SeedSequence entropy)")
    add_tensor_layout_argument(parser)
    parser.add_argument("--out", required=True, help="record file to write (.json)")
    add_threads_argument(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_instance)

    parser = subparsers.add_parser(
        "instance-set",
        help="generate several instances and write one verifiable record of them all (JSON)",
        description="The records of `bigbadminima instance` for every (1/Δ2, seed) pair, 1/Δ2 outer, in one "
        "file: the instance source of the stages that run many instances per job (finite-size-run, "
        "convergence-run, hessian-spectra, amp-runs). Instances are generated one at a time.",
    )
    add_model_arguments(parser, inv_delta2=False)
    parser.add_argument("--n", type=int_at_least(3), required=True, help="dimension N")
    add_inv_delta2_list_argument(parser)
    add_seeds_argument(parser)
    add_tensor_layout_argument(parser)
    parser.add_argument("--out", required=True, help="instance set to write (.json)")
    add_threads_argument(parser)
    declare_files(parser, outputs=["out"])
    parser.set_defaults(func=cmd_instance_set)

    parser = subparsers.add_parser(
        "simulate",
        help="finite-N gradient flow on the sphere from an instance record",
        description="Integrate dx/dt = -P_x ∇ℒ (theory.md §B, T = 0) with RK4 and retraction for several "
        "initial conditions on one instance; write a tidy CSV of m, ε, μ, |P∇ℒ|/√N on a log time grid.",
    )
    parser.add_argument("--instance", required=True, help="instance record written by `bigbadminima instance`")
    add_expected_instance_arguments(parser)
    parser.add_argument("--replicas", type=int_at_least(1), default=1, help="initial conditions (default 1)")
    parser.add_argument("--t-max", type=positive_float, required=True, help="final time")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    parser.add_argument("--points-per-decade", type=int_at_least(1), default=20, help="recording density")
    parser.add_argument(
        "--m0", type=finite_float, default=None,
        help="prescribed initial overlap in (-1, 1); default: uniform on the sphere with m(0) > 0",
    )
    add_tensor_layout_argument(parser, default="dense")
    parser.add_argument("--out", required=True, help="trajectory table to write (.csv)")
    add_threads_argument(parser)
    declare_files(parser, inputs=["instance"], outputs=["out"])
    parser.set_defaults(func=cmd_simulate)

    parser = subparsers.add_parser(
        "aggregate",
        help="concatenate trajectory tables into one tidy table",
        description="Read trajectory CSVs, check their columns, sort them deterministically and write one table.",
    )
    parser.add_argument("inputs", nargs="+", help="trajectory tables written by `bigbadminima simulate`")
    parser.add_argument("--out", required=True, help="aggregated table (.csv)")
    parser.add_argument("--references-out", required=True,
                        help="per (p, Δp, 1/Δ2): the good minimum's m*, ε* (theory.md §D.5) and the threshold "
                        "energy (§D.4) the runs are drawn against (.csv)")
    add_threads_argument(parser, pinned=False)
    declare_files(parser, inputs=["inputs"], outputs=["out", "references_out"])
    parser.set_defaults(func=cmd_aggregate)


@wrap_parameter_errors
def cmd_instance(args) -> int:
    pin_threads(args.threads)
    from ..model import Instance, InstanceSpec
    from ..params import ModelParams
    from ..resources import check_instance_memory
    from ..storage import instance_record

    spec = InstanceSpec(ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p), args.n, args.seed)
    check_instance_memory(args.n, args.p, args.tensor_layout)
    started = time.perf_counter()
    instance = Instance.generate(spec, tensor_layout=args.tensor_layout)  # the record is the same for every layout
    record = instance_record(instance)
    with atomic_output(args.out) as stream:
        json.dump(record, stream, indent=1)
    print(
        f"instance {spec.params.describe()}, N={spec.n}, seed={spec.seed}: generated in "
        f"{time.perf_counter() - started:.2f} s, noise digests {record['digests']}",
        file=sys.stderr,
    )
    return 0


@wrap_parameter_errors
def cmd_instance_set(args) -> int:
    pin_threads(args.threads)
    from ..model import Instance, InstanceSpec
    from ..params import ModelParams
    from ..resources import check_instance_memory
    from ..storage import instance_set_record

    specs = [InstanceSpec(ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p), args.n, seed)
             for inv_delta2 in args.inv_delta2 for seed in args.seeds]
    check_instance_memory(args.n, args.p, args.tensor_layout)
    started = time.perf_counter()
    # one instance in memory at a time; the records are the same for every layout
    record = instance_set_record(Instance.generate(spec, tensor_layout=args.tensor_layout) for spec in specs)
    with atomic_output(args.out) as stream:
        json.dump(record, stream, indent=1)
    print(f"{len(specs)} instances, p={args.p}, N={args.n}, Δp={args.delta_p:g}: generated in "
          f"{time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


@wrap_parameter_errors
def cmd_simulate(args) -> int:
    pin_threads(args.threads)
    import numpy as np
    import pandas as pd
    from tqdm import tqdm

    from ..gradient_flow import FlowBlowUp, check_step_count, initial_conditions, run_gradient_flow
    from ..resources import check_instance_memory
    from ..storage import InstanceFileError, load_instance, read_instance_record

    expected = expected_instance_spec(args)
    try:
        spec, _ = read_instance_record(args.instance)
        check_instance_memory(spec.n, spec.params.p, args.tensor_layout, args.replicas,
                              what=f"the instance {args.instance}")
        instance = load_instance(args.instance, tensor_layout=args.tensor_layout, expected=expected)
    except InstanceFileError as exc:
        raise CliError(str(exc)) from exc
    check_step_count(args.t_max, args.dt)
    x0 = initial_conditions(instance, args.replicas, m0=args.m0)
    started = time.perf_counter()
    with tqdm(total=args.t_max, unit="t", disable=None, file=sys.stderr, mininterval=5.0) as bar:
        def progress(t: float) -> None:
            bar.update(t - bar.n)
            if bar.disable:  # not a terminal: periodic lines in the log instead of a bar
                print(f"t = {t:.4g} / {args.t_max:g} after {time.perf_counter() - started:.1f} s", file=sys.stderr)

        try:
            result = run_gradient_flow(
                instance, x0, args.t_max, args.dt, points_per_decade=args.points_per_decade, progress=progress
            )
        except FlowBlowUp as exc:
            raise CliError(f"gradient flow failed: {exc}", status=1) from exc
    params = instance.params
    n_times, n_replicas = result.overlap.shape
    table = pd.DataFrame(
        {
            "p": params.p,
            "n": instance.n,
            "delta_p": params.delta_p,
            # the value the rule asked for, exactly (1/Δ2 of the record's Δ2 can differ in its last bit)
            "inv_delta2": params.inv_delta2 if expected is None else args.inv_delta2,
            "seed": instance.spec.seed,
            "t_max": args.t_max,
            "replica": np.tile(np.arange(n_replicas), n_times),
            "time": np.repeat(result.times, n_replicas),
            "overlap": result.overlap.ravel(),
            "energy": result.energy.ravel(),
            "multiplier": result.multiplier.ravel(),
            "gradient_norm": result.gradient_norm.ravel(),
        },
        columns=TRAJECTORY_COLUMNS,
    )
    write_table(table, args.out)
    final = ", ".join(f"{m:.4f}" for m in result.overlap[-1])
    print(
        f"done in {time.perf_counter() - started:.1f} s; final overlaps [{final}]; "
        f"largest per-step norm drift before retraction {result.max_norm_error:.2e}",
        file=sys.stderr,
    )
    return 0


def cmd_aggregate(args) -> int:
    import pandas as pd

    frames = []
    for name in args.inputs:
        path = Path(name)
        frame = read_table(path, "trajectory table", TRAJECTORY_COLUMNS, unique=["replica", "time"])
        for _, run in frame.groupby("replica"):
            require_horizon(run, path, "trajectory table")
        frames.append(frame[TRAJECTORY_COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    keys = ["p", "delta_p", "n", "inv_delta2", "seed", "replica", "time"]
    if table.duplicated(keys).any():
        raise CliError("the input tables overlap: some (p, Δp, N, 1/Δ2, seed, replica, time) rows appear twice")
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    from ..landscape import flow_references
    from ..params import ModelParams

    points = table[["p", "delta_p", "inv_delta2"]].drop_duplicates().reset_index(drop=True)
    references = pd.concat([points, pd.DataFrame([
        flow_references(ModelParams.from_inv_delta2(int(row.p), float(row.inv_delta2), float(row.delta_p)))
        for row in points.itertuples()])], axis=1)
    write_table(table, args.out)
    write_table(references, args.references_out)
    print(f"aggregated {len(args.inputs)} tables, {len(table)} rows", file=sys.stderr)
    return 0
