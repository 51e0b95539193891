# Audit trail (issue 5): stage checks -> reproduction table -> manifest -> verdict.
# Included last by the Snakefile: every stage has registered its final outputs in ALL_TARGETS
# and its checks tables (results/checks/<stage>.csv, see bigbadminima.reproduction) in CHECK_TABLES.

import json
import os
import shlex

# Precondition: a results folder that cannot be written stops the run before any job, in one line
# (Snakemake itself would fail while building the DAG with a traceback).
if os.path.lexists("results") and not (os.path.isdir("results") and os.access("results", os.W_OK | os.X_OK)):
    raise WorkflowError(f"the results folder {os.path.abspath('results')} is not a writable folder")


rule check_simulation:
    """Checks of the finite-N stage: end-point overlap vs m* above the GF threshold, energy descent."""
    input:
        "results/tables/simulation.csv",
    output:
        "results/checks/simulation.csv",
    log:
        "results/logs/check_simulation.log",
    benchmark:
        "results/benchmarks/check_simulation.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima check-simulation --trajectories {input} --out {output} --threads {threads} 2> {log}"


CHECK_TABLES.append(rules.check_simulation.output[0])


rule reproduction:
    """Every checks table in one reproduction table (margins, pass/fail) and a readable Markdown version."""
    input:
        CHECK_TABLES,
    output:
        table="results/reproduction.csv",
        markdown="results/reproduction.md",
        html=report(
            "results/reproduction.html",
            caption="../report/reproduction.rst",
            category="0. Reproduction checks",
        ),
    log:
        "results/logs/reproduction.log",
    benchmark:
        "results/benchmarks/reproduction.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima reproduction {input} --out {output.table} --markdown {output.markdown} --html {output.html} "
        "--threads {threads} 2> {log}"


# Written after the manifest (the manifest's own timing, the verdict's log and timing): not hashed.
MANIFEST_BENCHMARK = "results/benchmarks/manifest.tsv"
VERDICT_LOG = "results/logs/reproduction_verdict.log"
VERDICT_BENCHMARK = "results/benchmarks/reproduction_verdict.tsv"


rule manifest:
    """Commit, packages, platform, resolved config and seeds, sha256 of every result, benchmarks per rule."""
    input:
        list(ALL_TARGETS),
        rules.reproduction.output,
    output:
        report("results/manifest.json", caption="../report/manifest.rst", category="Audit trail"),
    log:
        "results/logs/manifest.log",
    benchmark:
        MANIFEST_BENCHMARK
    params:
        config=shlex.quote(json.dumps(config, sort_keys=True)),
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima manifest --results results --config-json {params.config} --exclude {log} "
        f"--exclude {MANIFEST_BENCHMARK} --exclude {VERDICT_LOG} --exclude {VERDICT_BENCHMARK} "
        "--snakemake-metadata .snakemake/metadata --out {output} --threads {threads} 2> {log}"


rule reproduction_verdict:
    """Fail the run when any reproduction row failed. After the manifest, so a failure still leaves the audit trail."""
    input:
        table=rules.reproduction.output.table,
        manifest=rules.manifest.output[0],
    output:
        "results/reproduction.passed",
    log:
        VERDICT_LOG,
    benchmark:
        VERDICT_BENCHMARK
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima reproduction-verdict --table {input.table} --out {output} --threads {threads} 2> {log}"


ALL_TARGETS.extend([*rules.manifest.output, *rules.reproduction_verdict.output])
