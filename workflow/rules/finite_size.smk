# Finite-size picture (theory.md §B.2, §D.6, §F.3): runs per (N, 1/Δ2) to t_h = c ln N, the large-N
# (CHSCK) curve from the typical m(0) of each N (rule dynamics_curve) -> summary tables, checks -> figure.

from bigbadminima.finite_size import escape_level, horizon_for_size, typical_initial_overlap
from bigbadminima.params import ModelParams, ParameterError

FINITE_SIZE = config["finite_size"]
FINITE_SIZE_BY_N = {entry["n"]: entry for entry in FINITE_SIZE["sizes"]}
if len(FINITE_SIZE_BY_N) != len(FINITE_SIZE["sizes"]):
    raise WorkflowError("finite_size.sizes: each N may appear once")
for _x in FINITE_SIZE["inv_delta2"]:  # the escape level ½ m* must exist before any job runs
    try:
        escape_level(ModelParams.from_inv_delta2(FINITE_SIZE["p"], _x, FINITE_SIZE["delta_p"]))
    except ParameterError as error:
        raise WorkflowError(f"finite_size.inv_delta2: {_x:g} has no escape level ½ m*: {error}") from None
FINITE_SIZE_POINT = f"p{FINITE_SIZE['p']}/dp{fmt(FINITE_SIZE['delta_p'])}"

# The exact parameters of each run, by output path (file names only encode them).
FINITE_SIZE_TABLE = run_table((
    (f"results/finite_size/{FINITE_SIZE_POINT}/n{n}/id2_{fmt(inv_delta2)}.csv",
     {"p": FINITE_SIZE["p"], "delta_p": FINITE_SIZE["delta_p"], "n": n, "inv_delta2": inv_delta2,
      "seeds": " ".join(str(seed) for seed in entry["seeds"]), "replicas": entry["replicas"],
      "tensor_layout": FINITE_SIZE["tensor_layout"]})
    for n, entry in FINITE_SIZE_BY_N.items()
    for inv_delta2 in FINITE_SIZE["inv_delta2"]
), "finite_size")
FINITE_SIZE_RUNS = list(FINITE_SIZE_TABLE)
register_instance_sets(FINITE_SIZE_TABLE, "finite_size")
FINITE_SIZE_OUTPUT = "results/finite_size/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}.csv"

# The large-N prediction of each (N, 1/Δ2): one more run of rule dynamics_curve (dynamics.smk) from the
# typical m(0) = Φ⁻¹(3/4)/√N of a random start, to the horizon of that N.
FINITE_SIZE_CURVES = []
for _n in FINITE_SIZE_BY_N:
    _m0 = typical_initial_overlap(_n)
    _horizon = horizon_for_size(_n, FINITE_SIZE["horizon_per_log_n"], FINITE_SIZE["record_every"])
    for _x in FINITE_SIZE["inv_delta2"]:
        _path = curve_path(FINITE_SIZE["p"], FINITE_SIZE["delta_p"], _m0, _horizon, _x)
        DYNAMICS_CURVE_TABLE.setdefault(_path, run_table([(_path, {
            "p": FINITE_SIZE["p"], "delta_p": FINITE_SIZE["delta_p"], "m0": _m0, "t_max": _horizon, "inv_delta2": _x,
        })], "finite_size")[_path])
        FINITE_SIZE_CURVES.append(_path)


rule finite_size_run:
    """Gradient flow from random starts on each seed's instance at one (N, 1/Δ2) to t_h = c ln N."""
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
        horizon_per_log_n=fmt(FINITE_SIZE["horizon_per_log_n"]),
        dt=fmt(FINITE_SIZE["dt"]),
        record_every=fmt(FINITE_SIZE["record_every"]),
    threads: FINITE_SIZE["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima finite-size-run --p {params.run[p]} --n {params.run[n]} --inv-delta2 {params.run[inv_delta2]} "
        "--delta-p {params.run[delta_p]} --seeds {params.run[seeds]} --instances {input.instances} "
        "--replicas {params.run[replicas]} --horizon-per-log-n {params.horizon_per_log_n} --dt {params.dt} "
        "--record-every {params.record_every} --tensor-layout {params.run[tensor_layout]} --threads {threads} "
        "--out {output} 2> {log}"


rule finite_size_summary:
    """All runs; P(success), midpoints, escape times and their ln N slopes with intervals, beside large N."""
    input:
        runs=FINITE_SIZE_RUNS,
        curves=FINITE_SIZE_CURVES,
    output:
        runs="results/tables/finite_size_runs.csv",
        points="results/tables/finite_size_points.csv",
        midpoints="results/tables/finite_size_midpoints.csv",
        slopes="results/tables/finite_size_slopes.csv",
    log:
        "results/logs/finite_size_summary.log",
    benchmark:
        "results/benchmarks/finite_size_summary.tsv"
    params:
        samples=FINITE_SIZE["bootstrap_samples"],
        seed=FINITE_SIZE["bootstrap_seed"],
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima finite-size-summary {input.runs} --curves {input.curves} --bootstrap-samples {params.samples} "
        "--bootstrap-seed {params.seed} --runs-out {output.runs} --points-out {output.points} "
        "--midpoints-out {output.midpoints} --slopes-out {output.slopes} --threads {threads} 2> {log}"


rule check_finite_size:
    """Checks of the finite-size stage (bigbadminima.reproduction.finite_size)."""
    input:
        points=rules.finite_size_summary.output.points,
        midpoints=rules.finite_size_summary.output.midpoints,
        slopes=rules.finite_size_summary.output.slopes,
    output:
        "results/checks/finite_size.csv",
    log:
        "results/logs/check_finite_size.log",
    benchmark:
        "results/benchmarks/check_finite_size.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima check-finite-size --points {input.points} --midpoints {input.midpoints} --slopes {input.slopes} "
        "--out {output} --threads {threads} 2> {log}"


CHECK_TABLES.append(rules.check_finite_size.output[0])
