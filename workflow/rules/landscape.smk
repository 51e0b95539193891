# Landscape theory and ML-AMP (theory.md §D, §E): CLI tables -> figure notebooks.
# Theory tables take seconds; the two finite-N rules (Hessian spectra, ML-AMP) take about a minute each
# at N = 400. The landscape map and the ML-AMP figure also read the finite-N gradient-flow table.

LANDSCAPE = config["landscape"]


# Lists of the config as CLI arguments ("1.8 2.5").
LANDSCAPE_LISTS = {
    key: " ".join(fmt(value) for value in LANDSCAPE[key])
    for key in (
        "phase_diagram_p", "complexity_inv_delta2", "map_inv_delta2", "spectra_inv_delta2", "spectra_seeds",
        "spectra_times", "amp_inv_delta2", "amp_seeds",
    )
}


rule phase_diagram_tables:
    """Thresholds (ML-AMP, GF closed form, triv) on a Δp grid and the Bayes-optimal boundaries on the same grid."""
    output:
        thresholds="results/tables/thresholds.csv",
        boundaries="results/tables/bayes_boundaries.csv",
    log:
        "results/logs/landscape/phase_diagram_tables.log",
    benchmark:
        "results/benchmarks/landscape/phase_diagram_tables.tsv"
    params:
        p=LANDSCAPE_LISTS["phase_diagram_p"],
        delta_p_min=fmt(LANDSCAPE["delta_p_min"]),
        delta_p_max=fmt(LANDSCAPE["delta_p_max"]),
        delta_p_points=LANDSCAPE["delta_p_points"],
        inv_delta2_max=fmt(LANDSCAPE["inv_delta2_max"]),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima phase-diagram-tables --p {params.p} --delta-p-min {params.delta_p_min} "
        "--delta-p-max {params.delta_p_max} --delta-p-points {params.delta_p_points} "
        "--inv-delta2-max {params.inv_delta2_max} "
        "--thresholds-out {output.thresholds} --boundaries-out {output.boundaries} --threads {threads} 2> {log}"


rule complexity_table:
    """Σ_min(m) and Σ of all stationary points vs m for several 1/Δ2 (and 1/Δ2^triv)."""
    output:
        "results/tables/complexity_minima.csv",
    log:
        "results/logs/landscape/complexity_table.log",
    benchmark:
        "results/benchmarks/landscape/complexity_table.tsv"
    params:
        inv_delta2=LANDSCAPE_LISTS["complexity_inv_delta2"],
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        f"bigbadminima complexity-table --p {LANDSCAPE['p']} --delta-p {fmt(LANDSCAPE['delta_p'])} "
        f"--inv-delta2 {{params.inv_delta2}} --add-triv --overlap-points {LANDSCAPE['overlap_points']} "
        "--out {output} --threads {threads} 2> {log}"


# The zero-overlap tables: the config's main (p, Δp), then each of landscape.other_points.
ZERO_OVERLAP_TABLE = run_table((
    ("results/tables/zero_overlap_states.csv", {"p": LANDSCAPE["p"], "delta_p": LANDSCAPE["delta_p"]}),
    *((f"results/tables/zero_overlap_states_p{point['p']}_dp{fmt(point['delta_p'])}.csv",
       {"p": point["p"], "delta_p": point["delta_p"]}) for point in LANDSCAPE["other_points"]),
), "landscape.other_points")


rule zero_overlap_table:
    """Stationary points at m = 0 by μ between 1/Δ2^GF and 1/Δ2^triv: index-one saddles and minima."""
    output:
        "results/tables/zero_overlap_states{point}.csv",
    log:
        "results/logs/landscape/zero_overlap_table{point}.log",
    benchmark:
        "results/benchmarks/landscape/zero_overlap_table{point}.tsv"
    wildcard_constraints:
        point=r"(_p[0-9]+_dp[0-9.e+-]+)?",
    params:
        run=run_parameters(ZERO_OVERLAP_TABLE, "zero-overlap table"),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima zero-overlap-table --p {params.run[p]} --delta-p {params.run[delta_p]} "
        f"--values {LANDSCAPE['zero_overlap_values']} --points {LANDSCAPE['zero_overlap_points']} "
        "--out {output} --threads {threads} 2> {log}"


rule landscape_map_table:
    """Energy-resolved complexity Σ(m, ε) of minima and stationary points, and the reference states."""
    output:
        table="results/tables/landscape_map.csv",
        zoom="results/tables/landscape_map_zoom.csv",
        points="results/tables/landscape_points.csv",
    log:
        "results/logs/landscape/landscape_map_table.log",
    benchmark:
        "results/benchmarks/landscape/landscape_map_table.tsv"
    params:
        inv_delta2=LANDSCAPE_LISTS["map_inv_delta2"],
        energy_min=fmt(LANDSCAPE["map_energy_min"]),
        energy_max=fmt(LANDSCAPE["map_energy_max"]),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        f"bigbadminima landscape-map-table --p {LANDSCAPE['p']} --delta-p {fmt(LANDSCAPE['delta_p'])} "
        f"--inv-delta2 {{params.inv_delta2}} --overlap-points {LANDSCAPE['map_overlap_points']} "
        f"--energy-min {{params.energy_min}} --energy-max {{params.energy_max}} "
        f"--energy-points {LANDSCAPE['map_energy_points']} "
        f"--zoom-points {LANDSCAPE['map_zoom_points']} "
        "--out {output.table} --zoom-out {output.zoom} --points-out {output.points} --threads {threads} 2> {log}"


rule threshold_spectrum_table:
    """Hessian of the threshold states vs 1/Δ2: bulk edges and the BBP outlier."""
    output:
        "results/tables/threshold_spectrum.csv",
    log:
        "results/logs/landscape/threshold_spectrum_table.log",
    benchmark:
        "results/benchmarks/landscape/threshold_spectrum_table.tsv"
    params:
        low=fmt(LANDSCAPE["spectrum_inv_delta2_min"]),
        high=fmt(LANDSCAPE["spectrum_inv_delta2_max"]),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        f"bigbadminima threshold-spectrum-table --p {LANDSCAPE['p']} --delta-p {fmt(LANDSCAPE['delta_p'])} "
        f"--inv-delta2-min {{params.low}} --inv-delta2-max {{params.high}} --points {LANDSCAPE['spectrum_points']} "
        "--out {output} --threads {threads} 2> {log}"


# The two finite-N rules read their instances from one instance set each (rule instance_set).
register_instance_sets({
    output: {"p": LANDSCAPE["p"], "delta_p": LANDSCAPE["delta_p"], "n": LANDSCAPE["n"],
             "inv_delta2": LANDSCAPE_LISTS[f"{prefix}_inv_delta2"], "seeds": LANDSCAPE_LISTS[f"{prefix}_seeds"],
             "tensor_layout": LANDSCAPE["tensor_layout"]}
    for output, prefix in (("results/tables/hessian_spectra.csv", "spectra"), ("results/tables/amp_runs.csv", "amp"))
}, "landscape")


rule hessian_spectra:
    """Finite-N Riemannian Hessian spectra at gradient-flow states (m held at 0: the plateau; or free flow)."""
    input:
        instances=instance_set_path("results/tables/hessian_spectra.csv"),
    output:
        spectra="results/tables/hessian_spectra.csv",
        states="results/tables/hessian_states.csv",
    log:
        "results/logs/landscape/hessian_spectra.log",
    benchmark:
        "results/benchmarks/landscape/hessian_spectra.tsv"
    params:
        inv_delta2=LANDSCAPE_LISTS["spectra_inv_delta2"],
        seeds=LANDSCAPE_LISTS["spectra_seeds"],
        times=LANDSCAPE_LISTS["spectra_times"],
        dt=fmt(LANDSCAPE["dt"]),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        f"bigbadminima hessian-spectra --p {LANDSCAPE['p']} --delta-p {fmt(LANDSCAPE['delta_p'])} "
        f"--n {LANDSCAPE['n']} --inv-delta2 {{params.inv_delta2}} --seeds {{params.seeds}} "
        "--instances {input.instances} "
        f"--times {{params.times}} --flow {LANDSCAPE['spectra_flow']} --dt {{params.dt}} "
        f"--tensor-layout {LANDSCAPE['tensor_layout']} "
        "--spectra-out {output.spectra} --states-out {output.states} --threads {threads} 2> {log}"


rule amp_runs:
    """Finite-N ML-AMP iterates, their state evolution, and the fixed points on a 1/Δ2 grid."""
    input:
        instances=instance_set_path("results/tables/amp_runs.csv"),
    output:
        runs="results/tables/amp_runs.csv",
        theory="results/tables/amp_theory.csv",
    log:
        "results/logs/landscape/amp_runs.log",
    benchmark:
        "results/benchmarks/landscape/amp_runs.tsv"
    params:
        inv_delta2=LANDSCAPE_LISTS["amp_inv_delta2"],
        seeds=LANDSCAPE_LISTS["amp_seeds"],
        m0=fmt(LANDSCAPE["amp_m0"]),
        inv_delta2_max=fmt(LANDSCAPE["inv_delta2_max"]),
    threads: LANDSCAPE["threads"]
    conda:
        CONDA_ENV
    shell:
        f"bigbadminima amp-runs --p {LANDSCAPE['p']} --delta-p {fmt(LANDSCAPE['delta_p'])} --n {LANDSCAPE['n']} "
        f"--inv-delta2 {{params.inv_delta2}} --seeds {{params.seeds}} --iterations {LANDSCAPE['amp_iterations']} "
        "--instances {input.instances} "
        f"--m0 {{params.m0}} --inv-delta2-max {{params.inv_delta2_max}} "
        f"--tensor-layout {LANDSCAPE['tensor_layout']} "
        "--out {output.runs} --theory-out {output.theory} --threads {threads} 2> {log}"




rule check_landscape:
    """Checks of the landscape stage: §G numbers, identities, finite-N Hessians, ML-AMP and GF end points."""
    input:
        thresholds=rules.phase_diagram_tables.output.thresholds,
        complexity=rules.complexity_table.output[0],
        points=rules.landscape_map_table.output.points,
        spectrum=rules.threshold_spectrum_table.output[0],
        states=rules.hessian_spectra.output.states,
        amp_runs=rules.amp_runs.output.runs,
        amp_theory=rules.amp_runs.output.theory,
        trajectories="results/tables/simulation.csv",
        zero_overlap=list(ZERO_OVERLAP_TABLE),
    output:
        "results/checks/landscape.csv",
    log:
        "results/logs/landscape/check_landscape.log",
    benchmark:
        "results/benchmarks/landscape/check_landscape.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima check-landscape --thresholds {input.thresholds} --complexity {input.complexity} "
        "--points {input.points} --threshold-spectrum {input.spectrum} --hessian-states {input.states} "
        "--amp-runs {input.amp_runs} --amp-theory {input.amp_theory} --trajectories {input.trajectories} "
        "--zero-overlap {input.zero_overlap} "
        "--out {output} --threads {threads} 2> {log}"


CHECK_TABLES.append(rules.check_landscape.output[0])
