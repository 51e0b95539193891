"""``notebook``: execute a figure notebook (jupytext percent file) with papermill, keep it and its HTML."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ._common import CliError, add_threads_argument, atomic_output, declare_files, pin_threads


def _parameter(text: str) -> tuple[str, object]:
    import yaml

    name, separator, value = text.partition("=")
    if not separator or not name.isidentifier():
        raise CliError(f"notebook parameter must look like name=value, got {text!r}")
    return name, yaml.safe_load(value)


def _staged_figures(listing: Path) -> list[Path]:
    return [Path(line) for line in dict.fromkeys(listing.read_text().splitlines()) if line]


def _discard_staged(listing: Path) -> None:
    from ..plotting import staged_path

    for path in _staged_figures(listing):
        staged_path(path).unlink(missing_ok=True)


def _ipc_kernel_manager(folder: Path):
    """A kernel manager whose sockets are files in ``folder`` (ZeroMQ's ipc transport): two notebooks
    started together by parallel jobs cannot race for the same TCP port (seen as "Address already in
    use", then "Kernel died before replying to kernel_info")."""
    from jupyter_client.manager import AsyncKernelManager

    class IpcKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(transport="ipc", ip=str(folder / "kernel"), **kwargs)

    return IpcKernelManager


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "notebook",
        help="run a figure notebook with papermill (parameters injected), export HTML",
        description="Convert a jupytext percent-format notebook to .ipynb, execute it with papermill "
        "(its cell tagged 'parameters' is overridden by -p name=value), write the executed notebook and "
        "an HTML export. Nothing is written if execution fails.",
    )
    parser.add_argument("source", help="notebook source (workflow/notebooks/fig_*.py)")
    parser.add_argument("--executed", required=True, help="executed notebook to write (.ipynb)")
    parser.add_argument("--html", required=True, help="HTML export to write (.html)")
    parser.add_argument("-p", "--parameter", action="append", default=[], metavar="NAME=VALUE",
                        help="papermill parameter (value parsed as YAML); repeatable")
    add_threads_argument(parser)
    declare_files(parser, inputs=["source"], outputs=["executed", "html"])
    parser.set_defaults(func=cmd_notebook)


def cmd_notebook(args) -> int:
    pin_threads(args.threads)
    import jupytext
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from ..plotting import STAGING_ENV, staged_path

    source = Path(args.source)
    if not source.is_file():
        raise CliError(f"notebook source {source} does not exist")
    parameters = dict(_parameter(text) for text in args.parameter)
    notebook = jupytext.read(source)
    if not any("parameters" in cell.get("metadata", {}).get("tags", []) for cell in notebook.cells):
        raise CliError(f"notebook {source} has no cell tagged 'parameters'")
    with tempfile.TemporaryDirectory(prefix="bbm-notebook-") as folder:
        unexecuted = Path(folder) / f"{source.stem}.ipynb"
        executed = Path(folder) / f"{source.stem}.executed.ipynb"
        staging = Path(folder) / "staged-figures.txt"
        staging.touch()
        nbformat.write(notebook, unexecuted)
        try:
            os.environ[STAGING_ENV] = str(staging)  # the kernel inherits it: save_figure stages its files
            papermill.execute_notebook(
                str(unexecuted), str(executed), parameters=parameters, kernel_name="python3",
                cwd=os.getcwd(), progress_bar=False, log_output=True,
                kernel_manager_class=_ipc_kernel_manager(Path(folder)),
            )
            result = nbformat.read(executed, as_version=4)
        except BaseException as exc:
            _discard_staged(staging)
            if isinstance(exc, papermill.PapermillExecutionError):
                raise CliError(f"notebook {source} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}; "
                               "no figure was replaced", status=1) from None
            if isinstance(exc, Exception):
                raise CliError(f"notebook {source} could not be run: {exc}", status=1) from None
            raise
        finally:
            os.environ.pop(STAGING_ENV, None)
        figures = _staged_figures(staging)
    # nbformat draws random cell ids; number them so that two runs export the same HTML
    for index, cell in enumerate(result.cells):
        cell.id = f"cell-{index}"
    html, _ = HTMLExporter().from_notebook_node(result)
    with atomic_output(args.executed) as stream:
        nbformat.write(result, stream)
    with atomic_output(args.html) as stream:
        stream.write(html)
    for path in figures:  # the figures last: a notebook that failed above replaced none of them
        os.replace(staged_path(path), path)
    print(f"executed {source} -> {args.executed}, {args.html}", file=sys.stderr)
    return 0
