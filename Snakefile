# bigbadminima: instance -> finite-N gradient flow -> large-N dynamics, Kac-Rice, ML-AMP -> figures.
# Thin on purpose: configuration, validation, stage files, and the final targets.
# Run: `make reproduce` (default config) or `snakemake --configfile workflow/config/ci.yaml`.

from pathlib import Path

from snakemake.utils import min_version

from bigbadminima.workflow_config import ConfigError, load_yaml_strict, validate_config

min_version("9.0")


configfile: "workflow/config/default.yaml"


# The landing page of the HTML report (`make report`): what the run reproduces and how to read it.
report: "workflow/report/workflow.rst"


try:
    for _configfile in workflow.configfiles:  # Snakemake's own loader keeps the last of duplicate keys
        load_yaml_strict(_configfile)
    validate_config(config, Path(workflow.basedir) / "workflow" / "schemas")
except ConfigError as error:
    raise WorkflowError(str(error)) from None

# File-name fields: integers, or numbers as written by encode_value() (lossless; common.smk).
wildcard_constraints:
    p=r"\d+",
    n=r"\d+",
    seed=r"\d+",
    delta_p=r"[0-9.e+-]+|inf",
    inv_delta2=r"[0-9.e+-]+",
    name=r"[a-z0-9_]+",

# Every stage file appends the outputs that `rule all` must build.
ALL_TARGETS = []


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/landscape.smk"
include: "workflow/rules/dynamics.smk"
include: "workflow/rules/finite_size.smk"
include: "workflow/rules/convergence.smk"
include: "workflow/rules/figures.smk"
# Keep last: it audits the outputs every stage above registered (ALL_TARGETS, CHECK_TABLES).
include: "workflow/rules/audit.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
