"""Helpers shared by the subcommands: validation, thread pinning, atomic output, errors."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..params import ParameterError

__all__ = [
    "CliError",
    "add_bootstrap_seed_argument",
    "add_instance_set_argument",
    "add_inv_delta2_list_argument",
    "add_model_arguments",
    "add_seeds_argument",
    "add_tensor_layout_argument",
    "add_threads_argument",
    "atomic_output",
    "check_file_arguments",
    "declare_files",
    "finite_float",
    "instances_from_set",
    "int_at_least",
    "pin_threads",
    "positive_float",
    "print_json",
    "read_table",
    "refuse_repeated_runs",
    "report_error",
    "require_horizon",
    "write_table",
]


class CliError(Exception):
    """A user-facing failure: printed as one line naming the problem, exit status 2 (1 for runtime)."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def report_error(exc: CliError) -> int:
    print(f"bigbadminima: error: {exc}", file=sys.stderr)
    return exc.status


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def add_model_arguments(parser, inv_delta2: bool = True, required: bool = True) -> None:
    """``--p``, ``--delta-p`` and (unless ``inv_delta2=False``) ``--inv-delta2``: the model's parameters
    (``required=False``: optional, default None)."""
    parser.add_argument("--p", type=int_at_least(3), required=required, help="tensor order p (>= 3)")
    parser.add_argument("--delta-p", type=positive_float, required=required, help="tensor noise variance Δp (> 0)")
    if inv_delta2:
        parser.add_argument("--inv-delta2", type=positive_float, required=required, help="matrix SNR 1/Δ2 (> 0)")


class _Distinct(argparse.Action):
    """Store a list of values, refusing one that repeats a value (it would double-count a run)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(set(values)) != len(values):
            raise CliError(f"{option_string} repeats a value: {values}")
        setattr(namespace, self.dest, values)


def add_seeds_argument(parser) -> None:
    """``--seeds``: one or more distinct instance seeds (numpy SeedSequence entropy)."""
    parser.add_argument("--seeds", type=int_at_least(0), nargs="+", required=True, action=_Distinct,
                        help="instance seeds (distinct)")


def add_inv_delta2_list_argument(parser, help_text: str = "values of 1/Δ2 (distinct)") -> None:
    """``--inv-delta2``: one or more distinct values of 1/Δ2 (> 0)."""
    parser.add_argument("--inv-delta2", type=positive_float, nargs="+", required=True, action=_Distinct,
                        help=help_text)


def add_instance_set_argument(parser) -> None:
    """``--instances``: the instance set (``bigbadminima instance-set``) a command runs on."""
    parser.add_argument("--instances", required=True,
                        help="instance set written by `bigbadminima instance-set` holding exactly the "
                        "(1/Δ2, seed) pairs asked for, 1/Δ2 outer, in order; each is regenerated and "
                        "checked against its digests")


def instances_from_set(args, inv_delta2_values, replicas: int = 1) -> Iterator:
    """Yield (inv_delta2, seed, instance) for every (1/Δ2, seed) asked for, read from ``args.instances``.

    The set must hold exactly the instances (args.p, args.n, Δ2 = 1/inv_delta2, args.delta_p, seed)
    in this order (storage.load_instance_set); the memory of one instance with ``replicas`` states in
    ``args.tensor_layout`` is checked first.
    """
    from ..model import InstanceSpec
    from ..params import ModelParams
    from ..resources import check_instance_memory
    from ..storage import InstanceFileError, load_instance_set

    check_instance_memory(args.n, args.p, args.tensor_layout, replicas)
    pairs = [(inv_delta2, seed) for inv_delta2 in inv_delta2_values for seed in args.seeds]
    expected = [InstanceSpec(ModelParams.from_inv_delta2(args.p, inv_delta2, args.delta_p), args.n, seed)
                for inv_delta2, seed in pairs]
    try:
        for (inv_delta2, seed), instance in zip(pairs, load_instance_set(args.instances, expected, args.tensor_layout)):
            yield inv_delta2, seed, instance
    except InstanceFileError as exc:
        raise CliError(str(exc)) from exc


def add_tensor_layout_argument(parser, default: str = "packed") -> None:
    """``--tensor-layout``: storage of the order-p tensor (one list of layouts, layouts.TENSOR_LAYOUTS)."""
    from ..layouts import TENSOR_LAYOUTS

    parser.add_argument("--tensor-layout", choices=TENSOR_LAYOUTS, default=default,
                        help=f"tensor storage (default {default}; every layout holds the same instance)")


def add_bootstrap_seed_argument(parser, required: bool = True) -> None:
    """``--bootstrap-seed``: the seed of a command's resampling draws (never an instance seed)."""
    parser.add_argument("--bootstrap-seed", type=int_at_least(0), required=required, default=None if required else 0,
                        help="seed of the bootstrap draws" + ("" if required else " (default 0)"))


def add_threads_argument(parser, pinned: bool = True) -> None:
    """``--threads`` (default 1), taken by every subcommand so that every rule passes its ``threads:``.

    ``pinned``: the command does heavy work and calls :func:`pin_threads`; otherwise the option is
    accepted and unused.
    """
    help_text = "BLAS/numba threads (default 1)" if pinned else "unused; accepted so every rule passes its threads"
    parser.add_argument("--threads", type=int_at_least(1), default=1, help=help_text)


def pin_threads(threads: int) -> None:
    """Limit BLAS and numba to ``threads`` (the rule's ``threads:``); call before heavy work.

    Environment variables only reach libraries loaded later (and child processes);
    the BLAS pool numpy already opened is limited through threadpoolctl, numba's
    through ``set_num_threads``.

    numba sizes its thread pool once, from ``NUMBA_NUM_THREADS`` (default: the CPUs this process
    may use), and re-reads every ``NUMBA_*`` variable at each compilation, raising RuntimeError
    if ``NUMBA_NUM_THREADS`` changed after the pool was launched. So that variable is written only
    while numba is not yet imported, and numba is imported right away: the pool size and the
    environment then agree for the whole process. Once numba is imported, the pool keeps its size
    and ``set_num_threads`` limits the threads it uses (at most the pool size).
    """
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    if "numba" not in sys.modules:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, mode: str = "w") -> Iterator:
    """Open a temporary file beside ``path``; rename it onto ``path`` only if the block succeeds.

    A failed or interrupted run never leaves a half-written file under the final name,
    and never overwrites a previous good file.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create output folder {path.parent}: {exc.strerror}") from exc
    if not os.access(path.parent, os.W_OK):
        raise CliError(f"output folder {path.parent} is not writable")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        # mkstemp makes the file private (0600); give it the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with open(temporary, mode) as stream:
            yield stream
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def read_table(path, what: str, columns=(), *, finite=None, optional=(), unique=(), allow_empty: bool = False):
    """The CSV table at ``path`` (a ``what``, e.g. "run table"), checked before anything uses it.

    Refused, as a CliError naming the file and the problem: a missing or unreadable file; one
    that does not end with a line break (cut mid-row); a header without rows (unless
    ``allow_empty``); a missing column of ``columns``; a non-finite value in the ``finite``
    columns (default: the numeric ones among ``columns``); rows repeating a combination of the
    ``unique`` columns. ``optional``: numeric columns of ``columns`` that may hold NaN.
    """
    import numpy as np
    import pandas as pd

    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            if stream.tell() > 0:
                stream.seek(-1, os.SEEK_END)
                if stream.read(1) != b"\n":
                    raise CliError(f"{what} {path} is truncated: its last line is incomplete")
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise CliError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise CliError(f"{what} {path} is a folder, not a table") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CliError(f"{what} {path} is not a readable CSV: {exc}") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise CliError(f"{what} {path} lacks the columns {missing}")
    if frame.empty and not allow_empty:
        raise CliError(f"{what} {path} has a header but no rows")
    if finite is None:
        finite = [column for column in columns
                  if column not in optional and pd.api.types.is_numeric_dtype(frame[column])]
    for column in finite:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise CliError(f"{what} {path}: column {column!r} has {int(bad.sum())} missing or non-finite "
                           f"value(s), first in data row {row + 1} (truncated or corrupted?)")
    if unique and frame.duplicated(list(unique)).any():
        raise CliError(f"{what} {path} repeats rows: some ({', '.join(unique)}) appear twice")
    return frame


def refuse_repeated_runs(frames, keys, paths) -> None:
    """Refuse two tables that hold the same run (the same values of the ``keys`` columns)."""
    seen = {}
    for frame, path in zip(frames, paths):
        key = tuple(frame[column].iloc[0] for column in keys)
        if key in seen:
            described = ", ".join(f"{column}={value}" for column, value in zip(keys, key))
            raise CliError(f"{seen[key]} and {path} hold the same run ({described})")
        seen[key] = path


def require_horizon(frame, path, what: str, time_column: str = "time", horizon_column: str = "t_max",
                    end_column: str | None = None) -> None:
    """Refuse a run table whose last time falls short of the horizon its ``t_max`` column states.

    ``end_column``: the time the solver itself ended at (a grid that ends within one step of
    t_max); the table must then reach exactly that time, and it must lie within one step of t_max.
    """
    import numpy as np

    for column in (horizon_column,) + ((end_column,) if end_column else ()):
        if frame[column].nunique() != 1 or not np.isfinite(float(frame[column].iloc[0])):
            raise CliError(f"{what} {path}: column {column!r} is not one finite value")
    horizon = float(frame[horizon_column].iloc[0])
    times = np.sort(frame[time_column].to_numpy(dtype=float))
    reached = float(times[-1])
    if end_column is None:
        short = not reached >= horizon * (1 - 1e-9)
    else:
        end = float(frame[end_column].iloc[0])
        last_step = float(times[-1] - times[-2]) if times.size > 1 else 0.0
        short = reached != end or not end >= horizon * (1 - 1e-9) - last_step
    if short:
        raise CliError(f"{what} {path} stops at {time_column} = {reached:g}, before its t_max = {horizon:g} "
                       "(truncated run?)")


#: Floats are written by pandas' default: the shortest text that reads back to the same double,
#: so a table never rounds a value (one format for every table of the project).
def write_table(frame, path) -> None:
    """Write a tidy table as CSV through :func:`atomic_output` (no index, floats exact)."""
    with atomic_output(path) as stream:
        frame.to_csv(stream, index=False)


def declare_files(parser, inputs=(), outputs=()) -> None:
    """Name the options (argparse dests) of ``parser`` that hold input and output paths.

    :func:`check_file_arguments` then checks them before the command does any work.
    """
    parser.set_defaults(input_dests=tuple(inputs), output_dests=tuple(outputs))


def _paths(args, dests) -> list[tuple[str, str]]:
    found = []
    for dest in dests:
        value = getattr(args, dest, None)
        for path in value if isinstance(value, list) else [value]:
            if path is not None:
                found.append((dest, str(path)))
    return found


#: Positional arguments that hold paths, and how a message names them.
_POSITIONAL = {"inputs": "the input tables", "checks": "the checks tables", "source": "the notebook source"}


def _option(dest: str) -> str:
    return _POSITIONAL.get(dest, "--" + dest.replace("_", "-"))


def check_file_arguments(args) -> None:
    """Refuse, before any work, outputs that would destroy an input or each other, or cannot be written.

    Two outputs on one path would keep only the last; an output on an input path overwrites the
    input; an existing folder, or a parent that is not a writable folder, fails only after the
    whole computation otherwise.
    """
    outputs = _paths(args, getattr(args, "output_dests", ()))
    inputs = _paths(args, getattr(args, "input_dests", ()))
    seen: dict[str, str] = {}
    for dest, path in outputs:
        key = os.path.realpath(path)
        if key in seen:
            raise CliError(f"{_option(seen[key])} and {_option(dest)} name the same output file {path}")
        seen[key] = dest
    for dest, path in inputs:
        key = os.path.realpath(path)
        if key in seen:
            raise CliError(f"output {_option(seen[key])} {path} is also an input ({_option(dest)}): "
                           "it would be overwritten")
    for dest, path in outputs:
        target = Path(path)
        if target.is_dir():
            raise CliError(f"output {_option(dest)} {path} is a folder")
        parent = target.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise CliError(f"output {_option(dest)} {path}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise CliError(f"output {_option(dest)} {path}: folder {parent} is not writable")


def print_json(payload: dict) -> None:
    json.dump(payload, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def wrap_parameter_errors(func):
    """Turn ParameterError/ValueError raised by the library into a CliError (exit 2)."""

    def wrapped(args):
        try:
            return func(args)
        except (ParameterError, ValueError) as exc:
            raise CliError(str(exc)) from exc

    wrapped.__name__ = func.__name__
    wrapped.__doc__ = func.__doc__
    return wrapped
