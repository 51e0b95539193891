# Finite N meets large N (theory.md §B, §C; bigbadminima.convergence): gradient flow at several N from
# m(0) = m0 -> median trajectories against the CHSCK curve from the same m0 (rule dynamics_curve) ->
# D(N), its exponent in N, checks -> figure.

CONVERGENCE = config["convergence"]
CONVERGENCE_BY_N = {entry["n"]: entry for entry in CONVERGENCE["sizes"]}
if len(CONVERGENCE_BY_N) != len(CONVERGENCE["sizes"]):
    raise WorkflowError("convergence.sizes: each N may appear once")
CONVERGENCE_POINT = (f"p{CONVERGENCE['p']}/dp{fmt(CONVERGENCE['delta_p'])}/m0_{fmt(CONVERGENCE['m0'])}/"
                     f"id2_{fmt(CONVERGENCE['inv_delta2'])}")
CONVERGENCE_CURVE = curve_path(CONVERGENCE["p"], CONVERGENCE["delta_p"], CONVERGENCE["m0"], CONVERGENCE["t_max"],
                               CONVERGENCE["inv_delta2"])
# The large-N curve from the same m0 is one more run of rule dynamics_curve (dynamics.smk).
DYNAMICS_CURVE_TABLE.setdefault(CONVERGENCE_CURVE, run_table([(CONVERGENCE_CURVE, {
    "p": CONVERGENCE["p"], "delta_p": CONVERGENCE["delta_p"], "m0": CONVERGENCE["m0"],
    "t_max": CONVERGENCE["t_max"], "inv_delta2": CONVERGENCE["inv_delta2"],
})], "convergence")[CONVERGENCE_CURVE])
# The exact parameters of each run, by output path (file names only encode them).
CONVERGENCE_TABLE = run_table((
    (f"results/convergence/{CONVERGENCE_POINT}/n{n}.csv",
     {"p": CONVERGENCE["p"], "delta_p": CONVERGENCE["delta_p"], "inv_delta2": CONVERGENCE["inv_delta2"],
      "m0": CONVERGENCE["m0"], "n": n, "replicas": entry["replicas"],
      # instance seeds first_seed, first_seed + 1, ... (sizes[].instances of them)
      "seeds": " ".join(str(CONVERGENCE["first_seed"] + k) for k in range(entry["instances"])),
      "tensor_layout": CONVERGENCE["tensor_layout"]})
    for n, entry in CONVERGENCE_BY_N.items()
), "convergence")
register_instance_sets(CONVERGENCE_TABLE, "convergence")
CONVERGENCE_OUTPUT = "results/convergence/p{p}/dp{delta_p}/m0_{m0}/id2_{inv_delta2}/n{n}.csv"


rule convergence_run:
    """Gradient flow at one N from m(0) = m0 on each instance, several starts: m(t), ε(t) per run."""
    input:
        instances=instance_set_input(CONVERGENCE_OUTPUT),
    output:
        CONVERGENCE_OUTPUT,
    log:
        "results/logs/convergence_run/p{p}/dp{delta_p}/m0_{m0}/id2_{inv_delta2}/n{n}.log",
    benchmark:
        "results/benchmarks/convergence_run/p{p}/dp{delta_p}/m0_{m0}/id2_{inv_delta2}/n{n}.tsv"
    wildcard_constraints:
        m0=r"[0-9.e+-]+",
    params:
        run=run_parameters(CONVERGENCE_TABLE, "convergence run"),
        t_max=fmt(CONVERGENCE["t_max"]),
        dt=fmt(CONVERGENCE["dt"]),
        points_per_decade=CONVERGENCE["points_per_decade"],
    threads: CONVERGENCE["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima convergence-run --p {params.run[p]} --delta-p {params.run[delta_p]} "
        "--inv-delta2 {params.run[inv_delta2]} --n {params.run[n]} --m0 {params.run[m0]} --seeds {params.run[seeds]} "
        "--instances {input.instances} "
        "--replicas {params.run[replicas]} --t-max {params.t_max} --dt {params.dt} "
        "--points-per-decade {params.points_per_decade} --tensor-layout {params.run[tensor_layout]} "
        "--threads {threads} --out {output} 2> {log}"


rule convergence_summary:
    """Median trajectories vs the large-N curve, D(N) with bootstrap intervals, D ∝ N^-b."""
    input:
        runs=sorted(CONVERGENCE_TABLE, key=lambda path: CONVERGENCE_TABLE[path]["n"]),
        curve=CONVERGENCE_CURVE,
    output:
        curves="results/tables/convergence_curves.csv",
        summary="results/tables/convergence.csv",
    log:
        "results/logs/convergence_summary.log",
    benchmark:
        "results/benchmarks/convergence_summary.tsv"
    params:
        samples=CONVERGENCE["bootstrap_samples"],
        seed=CONVERGENCE["bootstrap_seed"],
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima convergence-summary {input.runs} --curve {input.curve} --bootstrap-samples {params.samples} "
        "--bootstrap-seed {params.seed} --curves-out {output.curves} --summary-out {output.summary} "
        "--threads {threads} 2> {log}"


rule check_convergence:
    """Checks of the convergence stage: the large-N curve in the band of the median at the largest N, the spread exponent."""
    input:
        rules.convergence_summary.output.summary,
    output:
        "results/checks/convergence.csv",
    log:
        "results/logs/check_convergence.log",
    benchmark:
        "results/benchmarks/check_convergence.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima check-convergence --summary {input} --out {output} --threads {threads} 2> {log}"


CHECK_TABLES.append(rules.check_convergence.output[0])
