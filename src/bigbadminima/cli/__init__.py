"""The ``bigbadminima`` command line: one subcommand per pipeline stage.

Each module of this package that defines ``register(subparsers)`` contributes its
subcommands; ``register`` adds a parser and sets ``func`` (called with the parsed
arguments, returns an exit status). Modules are discovered, so adding a stage means
adding a module here, nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from .. import __version__
from ._common import CliError, check_file_arguments, report_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bigbadminima",
        description="Spiked matrix-tensor model: instances, gradient flow, large-N dynamics, "
        "Kac-Rice landscapes, ML-AMP, and the pipeline's helpers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        check_file_arguments(args)
        return int(args.func(args) or 0)
    except CliError as exc:
        return report_error(exc)
    except MemoryError:
        return report_error(CliError("out of memory: the run needs more memory than this machine has "
                                     "(lower N, the horizon or the resolution)", status=1))
    except OSError as exc:  # disk full, permission, a folder where a file was expected, ...
        where = f": {exc.filename}" if exc.filename else ""
        return report_error(CliError(f"{exc.strerror or exc}{where}", status=1))
    except KeyboardInterrupt:
        print("bigbadminima: interrupted", file=sys.stderr)
        return 130
