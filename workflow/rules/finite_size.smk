# Finite-size picture (theory.md §B.2, §D.6, §F.3): runs per (N, 1/Δ2) -> summary tables -> figure.

FINITE_SIZE = config["finite_size"]
FINITE_SIZE_BY_N = {entry["n"]: entry for entry in FINITE_SIZE["sizes"]}
if len(FINITE_SIZE_BY_N) != len(FINITE_SIZE["sizes"]):
    raise WorkflowError("finite_size.sizes: each N may appear once")
for _n, _entry in FINITE_SIZE_BY_N.items():
    if FINITE_SIZE["escape_inv_delta2"] not in _entry.get("inv_delta2", FINITE_SIZE["inv_delta2"]):
        raise WorkflowError(
            f"finite_size: N={_n} does not run escape_inv_delta2 = {FINITE_SIZE['escape_inv_delta2']}; "
            "add it to its inv_delta2 (or to the grid)"
        )

# The exact parameters of each run, by output path (file names only encode them).
FINITE_SIZE_TABLE = run_table((
    (f"results/finite_size/p{FINITE_SIZE['p']}/dp{fmt(FINITE_SIZE['delta_p'])}/n{n}/id2_{fmt(inv_delta2)}.csv",
     {"p": FINITE_SIZE["p"], "delta_p": FINITE_SIZE["delta_p"], "n": n, "inv_delta2": inv_delta2,
      "seeds": " ".join(str(seed) for seed in entry["seeds"]), "replicas": entry["replicas"],
      "tensor_layout": FINITE_SIZE["tensor_layout"]})
    for n, entry in FINITE_SIZE_BY_N.items()
    for inv_delta2 in entry.get("inv_delta2", FINITE_SIZE["inv_delta2"])
), "finite_size")
FINITE_SIZE_RUNS = list(FINITE_SIZE_TABLE)
register_instance_sets(FINITE_SIZE_TABLE, "finite_size")
FINITE_SIZE_OUTPUT = "results/finite_size/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}.csv"


rule finite_size_run:
    """Gradient flow from random starts on each seed's instance at one (N, 1/Δ2): escape times, success."""
    input:
        instances=instance_set_input(FINITE_SIZE_OUTPUT),
    output:
        FINITE_SIZE_OUTPUT,
    log:
        "results/logs/finite_size_run/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}.log",
    benchmark:
        "results/benchmarks/finite_size_run/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}.tsv"
    params:
        run=run_parameters(FINITE_SIZE_TABLE, "finite-size run"),
        horizon=fmt(FINITE_SIZE["horizon"]),
        dt=fmt(FINITE_SIZE["dt"]),
        record_every=fmt(FINITE_SIZE["record_every"]),
        segment=fmt(FINITE_SIZE["segment"]),
        success_overlap=fmt(FINITE_SIZE["success_overlap"]),
    threads: FINITE_SIZE["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima finite-size-run --p {params.run[p]} --n {params.run[n]} --inv-delta2 {params.run[inv_delta2]} "
        "--delta-p {params.run[delta_p]} --seeds {params.run[seeds]} --instances {input.instances} "
        "--replicas {params.run[replicas]} --horizon {params.horizon} --dt {params.dt} --record-every {params.record_every} "
        "--segment {params.segment} --success-overlap {params.success_overlap} "
        "--tensor-layout {params.run[tensor_layout]} --threads {threads} --out {output} 2> {log}"


rule finite_size_summary:
    """All runs; success probability per (N, 1/Δ2) with Wilson intervals; escape times vs N and their ln N fit."""
    input:
        FINITE_SIZE_RUNS,
    output:
        runs="results/tables/finite_size_runs.csv",
        success="results/tables/finite_size_success.csv",
        escape="results/tables/finite_size_escape.csv",
        fit="results/tables/finite_size_escape_fit.csv",
    log:
        "results/logs/finite_size_summary.log",
    benchmark:
        "results/benchmarks/finite_size_summary.tsv"
    params:
        escape_inv_delta2=fmt(FINITE_SIZE["escape_inv_delta2"]),
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima finite-size-summary {input} --escape-inv-delta2 {params.escape_inv_delta2} "
        "--runs-out {output.runs} --success-out {output.success} --escape-out {output.escape} "
        "--fit-out {output.fit} --threads {threads} 2> {log}"
