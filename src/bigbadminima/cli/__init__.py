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
from ._common import CliError, report_error


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
        return int(args.func(args) or 0)
    except CliError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        print("bigbadminima: interrupted", file=sys.stderr)
        return 130
