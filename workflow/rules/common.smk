# Shared definitions for every stage file: the CLI, the environment, paths and formatting.

import shlex
import sys
from pathlib import Path

from bigbadminima.workflow_config import ConfigError, encode_value, load_yaml_strict

# The rules call the package's CLI, `bigbadminima`, installed beside the Python that runs Snakemake;
# that folder goes first on PATH, so no activated shell is needed (and `--lint` sees plain commands).
shell.prefix(f'set -euo pipefail; export PATH="{Path(sys.executable).parent}:$PATH"; ')
# For `snakemake --lint` and `--sdm conda` users; pip installs the same list (pyproject.toml).
CONDA_ENV = "../../environment.yml"
# Checks tables (results/checks/<stage>.csv) that stages append; audit.smk gathers them (bigbadminima.reproduction).
CHECK_TABLES = []


def fmt(value):
    """A number as it appears in file names and on command lines: lossless (2.0 -> '2',
    2.1234567 -> '2.1234567', 1e-10 -> '1e-10'; bigbadminima.workflow_config.encode_value)."""
    return encode_value(value)


def run_table(runs, key):
    """{output path: {parameter: exact text}} for the runs of one rule, refusing two runs on one path.

    ``runs``: (path, parameters) pairs built from the config; ``key`` names the config entry in the
    error. The rule's shell reads ``{params.run[name]}``: the config's exact value, never the file name.
    """
    table = {}
    for path, parameters in runs:
        if path in table:
            raise WorkflowError(f"{key}: two runs share the output {path} (a value is repeated)")
        table[path] = {name: fmt(value) if isinstance(value, (int, float)) else value
                       for name, value in parameters.items()}
    return table


def run_parameters(table, what):
    """A ``params:`` function: the exact parameters of the run whose output is being built."""

    def lookup(wildcards, output):
        try:
            return table[output[0]]
        except KeyError:
            raise WorkflowError(f"{output[0]} is not a {what} of the configuration") from None

    return lookup


# The instance sets of the stages that run many instances per job (the instance_set rule, simulate.smk):
# {set path: exact parameters}; each stage registers its jobs' sets with register_instance_sets().
INSTANCE_SET_TABLE = {}


def instance_set_path(output):
    """The instance set read by the job that writes ``output``: results/instance_sets/<output>.json."""
    return f"results/instance_sets/{Path(output).relative_to('results').with_suffix('.json').as_posix()}"


def register_instance_sets(jobs, key):
    """Register the instance set of every job in ``jobs``, {output: parameters with p, delta_p, n,
    inv_delta2 (one or several, "1.8 2.5"), seeds ("1 2 3") and tensor_layout}; ``key`` names the config."""
    names = ("p", "delta_p", "n", "inv_delta2", "seeds", "tensor_layout")
    for path, parameters in run_table(((instance_set_path(output), {name: run[name] for name in names})
                                       for output, run in jobs.items()), key).items():
        if path in INSTANCE_SET_TABLE:
            raise WorkflowError(f"{key}: two jobs share the instance set {path}")
        INSTANCE_SET_TABLE[path] = parameters


def instance_set_input(output_pattern):
    """An ``input:`` function: the instance set of the job whose output is ``output_pattern`` filled in."""
    return lambda wildcards: instance_set_path(output_pattern.format(**dict(wildcards.items())))


def curve_path(p, delta_p, m0, t_max, inv_delta2):
    """Output of one full CHSCK run (rule dynamics_curve; convergence.smk asks for one too)."""
    return f"results/dynamics/curves/p{p}/dp{fmt(delta_p)}/m0_{fmt(m0)}/t{fmt(t_max)}/id2_{fmt(inv_delta2)}.csv"


def load_figure_table(basedir):
    """The figure table (workflow/figures.yaml, one figure rule per entry in figures.smk), checked for unique
    names, tables, parameters and values as mappings, and the notebook and caption of every figure present.
    Each entry gains its notebook (``notebook``, default its name), its report category numbered in the
    table's order ("2. Large-N gradient flow") and a label that sorts the figures in that order
    ("03 escape_time")."""
    path = basedir / "workflow" / "figures.yaml"
    try:
        figures = load_yaml_strict(path)
    except ConfigError as error:
        raise WorkflowError(str(error)) from None
    if not isinstance(figures, list) or not figures:
        raise WorkflowError(f"{path}: must be a list of figures")
    categories, names = {}, set()
    for index, figure in enumerate(figures, start=1):
        name = figure.get("name") if isinstance(figure, dict) else None
        if not isinstance(name, str) or name in names:
            raise WorkflowError(f"{path}: figure {index} has no name, or a name already used: {name!r}")
        names.add(name)
        if (set(figure) - {"name", "category", "notebook", "tables", "parameters", "values"}
                or not isinstance(figure.get("category"), str)):
            raise WorkflowError(f"{path}: figure {name} needs a category and only notebook, tables, parameters, "
                                "values besides")
        for key, kinds in (("tables", str), ("parameters", str), ("values", (str, int, float))):
            if not isinstance(figure.get(key, {}), dict) or not all(
                    isinstance(value, kinds) and not isinstance(value, bool) for value in figure.get(key, {}).values()):
                raise WorkflowError(f"{path}: {key} of figure {name} must map notebook parameters to "
                                    f"{'text' if kinds is str else 'numbers or text'}")
        figure["notebook"] = figure.get("notebook", name)
        for needed in (f"workflow/notebooks/fig_{figure['notebook']}.py", f"workflow/report/{name}.rst"):
            if not (basedir / needed).is_file():
                raise WorkflowError(f"{path}: figure {name} has no {needed}")
        number = categories.setdefault(figure["category"], len(categories) + 1)
        figure["report_category"] = f"{number}. {figure['category']}"
        figure["report_label"] = f"{index:02d} {name}"
    return figures


def config_value(key):
    """The value of the config key "section.key", as a notebook parameter (numbers as fmt writes them)."""
    value = config
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise WorkflowError(f"workflow/figures.yaml names the config key {key}, which does not exist")
        value = value[part]
    return fmt(value) if isinstance(value, (int, float)) else value


def notebook_parameters(figure):
    """The papermill options of one figure's notebook: its tables, its config parameters, its fixed values
    and where to draw (``-p name=value ...``), as exact text fixed when the rule is defined."""
    values = {**figure["tables"],
              **{name: config_value(key) for name, key in figure.get("parameters", {}).items()},
              **{name: fmt(value) if isinstance(value, (int, float)) else value
                 for name, value in figure.get("values", {}).items()},
              "figure_stem": f"results/figures/{figure['name']}"}
    return " ".join(f"-p {name}={shlex.quote(str(value))}" for name, value in values.items())
