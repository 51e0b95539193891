"""Finite-N stages: ``instance`` (record an instance), ``simulate`` (gradient flow), ``aggregate``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ._common import (
    CliError,
    add_model_arguments,
    add_threads_argument,
    atomic_output,
    finite_float,
    int_at_least,
    pin_threads,
    positive_float,
    read_table,
    wrap_parameter_errors,
    write_table,
)

TRAJECTORY_COLUMNS = [
    "p", "n", "delta_p", "inv_delta2", "seed", "replica",
    "time", "overlap", "energy", "multiplier", "gradient_norm",
]
TENSOR_LAYOUTS = ("dense", "packed", "packed32")


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
    parser.add_argument("--out", required=True, help="record file to write (.json)")
    add_threads_argument(parser)
    parser.set_defaults(func=cmd_instance)

    parser = subparsers.add_parser(
        "simulate",
        help="finite-N gradient flow on the sphere from an instance record",
        description="Integrate dx/dt = -P_x ∇ℒ (theory.md §B, T = 0) with RK4 and retraction for several "
        "initial conditions on one instance; write a tidy CSV of m, ε, μ, |P∇ℒ|/√N on a log time grid.",
    )
    parser.add_argument("--instance", required=True, help="instance record written by `bigbadminima instance`")
    parser.add_argument("--replicas", type=int_at_least(1), default=1, help="initial conditions (default 1)")
    parser.add_argument("--t-max", type=positive_float, required=True, help="final time")
    parser.add_argument("--dt", type=positive_float, default=0.1, help="RK4 step (default 0.1)")
    parser.add_argument("--points-per-decade", type=int_at_least(1), default=20, help="recording density")
    parser.add_argument(
        "--m0", type=finite_float, default=None,
        help="prescribed initial overlap in (-1, 1); default: uniform on the sphere with m(0) > 0",
    )
    parser.add_argument("--tensor-layout", choices=TENSOR_LAYOUTS, default="dense", help="tensor storage")
    parser.add_argument("--out", required=True, help="trajectory table to write (.csv)")
    add_threads_argument(parser)
    parser.set_defaults(func=cmd_simulate)

    parser = subparsers.add_parser(
        "aggregate",
        help="concatenate trajectory tables into one tidy table",
        description="Read trajectory CSVs, check their columns, sort them deterministically and write one table.",
    )
    parser.add_argument("inputs", nargs="+", help="trajectory tables written by `bigbadminima simulate`")
    parser.add_argument("--out", required=True, help="aggregated table (.csv)")
    add_threads_argument(parser, pinned=False)
    parser.set_defaults(func=cmd_aggregate)


@wrap_parameter_errors
def cmd_instance(args) -> int:
    pin_threads(args.threads)
    from ..model import Instance, InstanceSpec
    from ..params import ModelParams
    from ..storage import instance_record

    spec = InstanceSpec(ModelParams.from_inv_delta2(args.p, args.inv_delta2, args.delta_p), args.n, args.seed)
    started = time.perf_counter()
    instance = Instance.generate(spec)
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
def cmd_simulate(args) -> int:
    pin_threads(args.threads)
    import numpy as np
    import pandas as pd
    from tqdm import tqdm

    from ..gradient_flow import FlowBlowUp, initial_conditions, run_gradient_flow
    from ..storage import InstanceFileError, load_instance

    try:
        instance = load_instance(args.instance, tensor_layout=args.tensor_layout)
    except InstanceFileError as exc:
        raise CliError(str(exc)) from exc
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
            "inv_delta2": params.inv_delta2,
            "seed": instance.spec.seed,
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
        frame = read_table(path, "input table", TRAJECTORY_COLUMNS)
        if frame[TRAJECTORY_COLUMNS].isna().any().any():
            raise CliError(f"input table {path} has missing values (truncated or corrupted?)")
        frames.append(frame[TRAJECTORY_COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    keys = ["p", "delta_p", "n", "inv_delta2", "seed", "replica", "time"]
    if table.duplicated(keys).any():
        raise CliError("the input tables overlap: some (p, Δp, N, 1/Δ2, seed, replica, time) rows appear twice")
    table = table.sort_values(keys, kind="stable").reset_index(drop=True)
    write_table(table, args.out)
    print(f"aggregated {len(args.inputs)} tables, {len(table)} rows", file=sys.stderr)
    return 0
