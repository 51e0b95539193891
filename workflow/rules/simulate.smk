# Finite-N gradient flow (theory.md §A, §B): instance records -> trajectories -> one tidy table -> figure.

SIMULATION = config["simulation"]

SIMULATION_RUNS = [
    (f"p{SIMULATION['p']}/dp{fmt(SIMULATION['delta_p'])}/n{n}/id2_{fmt(inv_delta2)}/seed{seed}",
     {"p": SIMULATION["p"], "delta_p": SIMULATION["delta_p"], "n": n, "inv_delta2": inv_delta2, "seed": seed})
    for n in SIMULATION["n"]
    for inv_delta2 in SIMULATION["inv_delta2"]
    for seed in SIMULATION["seeds"]
]
# The exact parameters of each instance and run, by output path (file names only encode them).
INSTANCE_TABLE = run_table(((f"results/instances/{run}.json", values) for run, values in SIMULATION_RUNS),
                           "simulation")
SIMULATION_TABLE = run_table(((f"results/simulation/{run}.csv", values) for run, values in SIMULATION_RUNS),
                             "simulation")


rule instance:
    """Generate an instance and write its verifiable record (spike + noise digests)."""
    output:
        "results/instances/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.json",
    log:
        "results/logs/instance/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.log",
    benchmark:
        "results/benchmarks/instance/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.tsv"
    params:
        run=run_parameters(INSTANCE_TABLE, "simulation instance"),
        tensor_layout=SIMULATION["tensor_layout"],
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima instance --p {params.run[p]} --n {params.run[n]} --inv-delta2 {params.run[inv_delta2]} "
        "--delta-p {params.run[delta_p]} --seed {params.run[seed]} --tensor-layout {params.tensor_layout} "
        "--threads {threads} --out {output} 2> {log}"


rule instance_set:
    """Generate the instances of one many-instance job (finite_size_run, convergence_run, hessian_spectra,
    amp_runs) and write their verifiable records in one file, the only source those jobs read."""
    output:
        "results/instance_sets/{job}.json",
    log:
        "results/logs/instance_set/{job}.log",
    benchmark:
        "results/benchmarks/instance_set/{job}.tsv"
    wildcard_constraints:
        job=r"[A-Za-z0-9_./+-]+",
    params:
        run=run_parameters(INSTANCE_SET_TABLE, "instance set"),
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima instance-set --p {params.run[p]} --n {params.run[n]} --delta-p {params.run[delta_p]} "
        "--inv-delta2 {params.run[inv_delta2]} --seeds {params.run[seeds]} "
        "--tensor-layout {params.run[tensor_layout]} --threads {threads} --out {output} 2> {log}"


rule simulate:
    """Finite-N gradient flow from several initial conditions on one instance."""
    input:
        "results/instances/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.json",
    output:
        "results/simulation/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.csv",
    log:
        "results/logs/simulate/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.log",
    benchmark:
        "results/benchmarks/simulate/p{p}/dp{delta_p}/n{n}/id2_{inv_delta2}/seed{seed}.tsv"
    params:
        run=run_parameters(SIMULATION_TABLE, "simulation run"),
        replicas=SIMULATION["replicas"],
        t_max=fmt(SIMULATION["t_max"]),
        dt=fmt(SIMULATION["dt"]),
        points_per_decade=SIMULATION["points_per_decade"],
        tensor_layout=SIMULATION["tensor_layout"],
    threads: SIMULATION["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima simulate --instance {input} --p {params.run[p]} --n {params.run[n]} "
        "--inv-delta2 {params.run[inv_delta2]} --delta-p {params.run[delta_p]} --seed {params.run[seed]} "
        "--replicas {params.replicas} --t-max {params.t_max} "
        "--dt {params.dt} --points-per-decade {params.points_per_decade} "
        "--tensor-layout {params.tensor_layout} --threads {threads} --out {output} 2> {log}"


rule aggregate_simulation:
    """All finite-N trajectories in one tidy table (one row per run, replica and recorded time)."""
    input:
        list(SIMULATION_TABLE),
    output:
        table="results/tables/simulation.csv",
        references="results/tables/simulation_references.csv",
    log:
        "results/logs/aggregate_simulation.log",
    benchmark:
        "results/benchmarks/aggregate_simulation.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima aggregate {input} --out {output.table} --references-out {output.references} 2> {log}"
