# Large-N gradient flow (theory.md §C): CHSCK runs -> tables (curves, growth rates, numerical GF
# threshold, escape times, checks) -> figures. Each run repeats itself at half resolution for its
# error estimate. The two (p, Δp) of issue 14's goal run at resolution 2 to t = 5000 (12 runs of ~57 s
# with their estimates), the other threshold sets at resolution 1 to t = 1000.

DYNAMICS = config["dynamics"]



# The exact parameters of each run, by output path (file names only encode them).
DYNAMICS_CURVE_TABLE = run_table((
    *((curve_path(DYNAMICS["p"], DYNAMICS["delta_p"], m0, t_max, x),
       {"p": DYNAMICS["p"], "delta_p": DYNAMICS["delta_p"], "m0": m0, "t_max": t_max, "inv_delta2": x})
      for m0, t_max in ((DYNAMICS["m0"], DYNAMICS["curve_t_max"]), (DYNAMICS["matched_m0"], DYNAMICS["matched_t_max"]))
      for x in DYNAMICS["curve_inv_delta2"]),
    # the other (p, Δp) of the m(t) figures: from the smallest m0 only
    *((curve_path(entry["p"], entry["delta_p"], DYNAMICS["m0"], DYNAMICS["curve_t_max"], x),
       {"p": entry["p"], "delta_p": entry["delta_p"], "m0": DYNAMICS["m0"], "t_max": DYNAMICS["curve_t_max"],
        "inv_delta2": x})
      for entry in DYNAMICS["other_curves"]
      for x in entry["inv_delta2"]),
), "dynamics.curve_inv_delta2 and dynamics.other_curves")
DYNAMICS_CURVES = list(DYNAMICS_CURVE_TABLE)
DYNAMICS_ESCAPE_CURVES = [path for path, run in DYNAMICS_CURVE_TABLE.items() if run["m0"] == fmt(DYNAMICS["m0"])]
DYNAMICS_RATE_TABLE = run_table((
    (f"results/dynamics/rates/p{entry['p']}/dp{fmt(entry['delta_p'])}/t{fmt(t_max)}/id2_{fmt(x)}.csv",
     {"p": entry["p"], "delta_p": entry["delta_p"], "t_max": t_max, "inv_delta2": x,
      "resolution": entry.get("resolution", DYNAMICS["resolution"])})
    for entry in DYNAMICS["threshold_sets"]
    for t_max in [entry.get("t_max", DYNAMICS["rate_t_max"])]
    for x in entry["inv_delta2"]
), "dynamics.threshold_sets")
DYNAMICS_RATES = list(DYNAMICS_RATE_TABLE)


rule dynamics_curve:
    """One CHSCK run (full model) from m(0) = m0: m, μ, ε and the Richardson error of m."""
    output:
        "results/dynamics/curves/p{p}/dp{delta_p}/m0_{m0}/t{t_max}/id2_{inv_delta2}.csv",
    log:
        "results/logs/dynamics_curve/p{p}/dp{delta_p}/m0_{m0}/t{t_max}/id2_{inv_delta2}.log",
    benchmark:
        "results/benchmarks/dynamics_curve/p{p}/dp{delta_p}/m0_{m0}/t{t_max}/id2_{inv_delta2}.tsv"
    wildcard_constraints:
        m0=r"[0-9.e+-]+",
        t_max=r"[0-9.e+-]+",
    params:
        run=run_parameters(DYNAMICS_CURVE_TABLE, "large-N curve"),
        resolution=fmt(DYNAMICS["resolution"]),
    threads: DYNAMICS["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima dynamics --p {params.run[p]} --delta-p {params.run[delta_p]} --inv-delta2 {params.run[inv_delta2]} "
        "--m0 {params.run[m0]} --t-max {params.run[t_max]} --resolution {params.resolution} --threads {threads} "
        "--out {output} 2> {log}"


rule dynamics_rate:
    """One m0 -> 0+ CHSCK run (--linear): log(m/m0) and μ up to t_max, for the growth rate."""
    output:
        "results/dynamics/rates/p{p}/dp{delta_p}/t{t_max}/id2_{inv_delta2}.csv",
    log:
        "results/logs/dynamics_rate/p{p}/dp{delta_p}/t{t_max}/id2_{inv_delta2}.log",
    benchmark:
        "results/benchmarks/dynamics_rate/p{p}/dp{delta_p}/t{t_max}/id2_{inv_delta2}.tsv"
    wildcard_constraints:
        t_max=r"[0-9.e+-]+",
    params:
        run=run_parameters(DYNAMICS_RATE_TABLE, "growth-rate run"),
    threads: DYNAMICS["threads"]
    conda:
        CONDA_ENV
    shell:
        "bigbadminima dynamics --linear --p {params.run[p]} --delta-p {params.run[delta_p]} "
        "--inv-delta2 {params.run[inv_delta2]} --t-max {params.run[t_max]} --resolution {params.run[resolution]} "
        "--threads {threads} --out {output} 2> {log}"


rule dynamics_table:
    """All full CHSCK runs in one table, with 2√f''(1) and the good minimum m*, μ*, ε*."""
    input:
        DYNAMICS_CURVES,
    output:
        "results/tables/dynamics.csv",
    log:
        "results/logs/dynamics_table.log",
    benchmark:
        "results/benchmarks/dynamics_table.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima dynamics-table {input} --out {output} --threads {threads} 2> {log}"


rule gf_threshold:
    """Growth rates -> numerical GF threshold with its interval; escape times; [PS]-style power laws."""
    input:
        rates=DYNAMICS_RATES,
        curves=DYNAMICS_ESCAPE_CURVES,
    output:
        threshold="results/tables/gf_threshold_numerical.csv",
        rates="results/tables/growth_rates.csv",
        escape="results/tables/escape_times.csv",
        power_law="results/tables/gf_threshold_power_law.csv",
    log:
        "results/logs/gf_threshold.log",
    benchmark:
        "results/benchmarks/gf_threshold.tsv"
    params:
        t_min_fraction=fmt(DYNAMICS["t_min_fraction"]),
        seed=DYNAMICS["bootstrap_seed"],
        escape_m0=" ".join(fmt(value) for value in DYNAMICS["escape_m0"]),
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima gf-threshold --rates {input.rates} --curves {input.curves} "
        "--t-min-fraction {params.t_min_fraction} --bootstrap-seed {params.seed} --escape-m0 {params.escape_m0} "
        "--threshold-table {output.threshold} --rates-table {output.rates} --escape-table {output.escape} "
        "--power-law-table {output.power_law} --threads {threads} 2> {log}"


ALL_TARGETS += [rules.gf_threshold.output.threshold, rules.gf_threshold.output.power_law]


rule check_dynamics:
    """Checks of the large-N stage: full runs (first passage, end state, plateau μ, no escape below GF),
    λ_∞ vs the BBP rate, the numerical threshold's interval around the closed form."""
    input:
        curves=rules.dynamics_table.output[0],
        rates=rules.gf_threshold.output.rates,
        thresholds=rules.gf_threshold.output.threshold,
    output:
        "results/checks/dynamics.csv",
    log:
        "results/logs/check_dynamics.log",
    benchmark:
        "results/benchmarks/check_dynamics.tsv"
    threads: 1
    conda:
        CONDA_ENV
    shell:
        "bigbadminima check-dynamics --curves {input.curves} --rates {input.rates} --thresholds {input.thresholds} "
        "--out {output} --threads {threads} 2> {log}"


CHECK_TABLES.append(rules.check_dynamics.output[0])
