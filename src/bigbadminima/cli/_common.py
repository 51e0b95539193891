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
    "add_model_arguments",
    "add_seeds_argument",
    "add_threads_argument",
    "atomic_output",
    "finite_float",
    "int_at_least",
    "pin_threads",
    "positive_float",
    "print_json",
    "read_table",
    "report_error",
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


def add_model_arguments(parser, inv_delta2: bool = True) -> None:
    """``--p``, ``--delta-p`` and (unless ``inv_delta2=False``) ``--inv-delta2``: the model's parameters."""
    parser.add_argument("--p", type=int_at_least(3), required=True, help="tensor order p (>= 3)")
    parser.add_argument("--delta-p", type=positive_float, required=True, help="tensor noise variance Δp (> 0)")
    if inv_delta2:
        parser.add_argument("--inv-delta2", type=positive_float, required=True, help="matrix SNR 1/Δ2 (> 0)")


class _DistinctSeeds(argparse.Action):
    """Store the seeds, refusing a list that repeats one (it would double-count an instance)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if len(set(values)) != len(values):
            raise CliError(f"{option_string} repeats a seed: {values}")
        setattr(namespace, self.dest, values)


def add_seeds_argument(parser) -> None:
    """``--seeds``: one or more distinct instance seeds (numpy SeedSequence entropy)."""
    parser.add_argument("--seeds", type=int_at_least(0), nargs="+", required=True, action=_DistinctSeeds,
                        help="instance seeds (distinct)")


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
    """
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[name] = str(threads)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)
    if "numba" in sys.modules:
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


def read_table(path, what: str, columns=()):
    """The CSV table at ``path`` (a ``what``, e.g. "run table"), with at least the ``columns``.

    A missing, unreadable or incomplete file is a CliError naming the file and the problem.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise CliError(f"{what} {path} does not exist") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise CliError(f"{what} {path} is not a readable CSV: {exc}") from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise CliError(f"{what} {path} lacks the columns {missing}")
    return frame


def write_table(frame, path, float_format: str | None = "%.12g") -> None:
    """Write a tidy table as CSV through :func:`atomic_output` (no index; ``float_format`` as pandas)."""
    with atomic_output(path) as stream:
        frame.to_csv(stream, index=False, float_format=float_format)


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
