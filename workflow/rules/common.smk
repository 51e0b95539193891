# Shared definitions for every stage file: the CLI, the environment, paths and formatting.

import sys
from pathlib import Path

# The rules call the package's CLI, `bigbadminima`, installed beside the Python that runs Snakemake;
# that folder goes first on PATH, so no activated shell is needed (and `--lint` sees plain commands).
shell.prefix(f'set -euo pipefail; export PATH="{Path(sys.executable).parent}:$PATH"; ')
# For `snakemake --lint` and `--sdm conda` users; pip installs the same list (pyproject.toml).
CONDA_ENV = "../../environment.yml"
# Checks tables (results/checks/<stage>.csv) that stages append; audit.smk gathers them (bigbadminima.reproduction).
CHECK_TABLES = []


def fmt(value):
    """A number as it appears in file names and wildcards: 2.0 -> '2', 1.6 -> '1.6', 1e-10 -> '1e-10'."""
    return f"{value:g}"


def notebook_shell(source, parameters):
    """The shell command that executes a figure notebook through `bigbadminima notebook`.

    ``parameters`` maps papermill parameter names to Snakemake placeholders or literals.
    """
    options = " ".join(f"-p {name}={value}" for name, value in parameters.items())
    return (
        f"bigbadminima notebook {source} --executed {{output.executed}} --html {{output.html}} "
        f"--threads {{threads}} {options} > {{log}} 2>&1"
    )
