# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # ML-AMP at finite N, its state evolution, and gradient flow
#
# Left: overlap m^t of ML-AMP (theory.md §E.1) on finite-N instances (thin) and its state evolution from
# the same m0 (§E.2, bold dashed), one colour per 1/Δ2. Right: where they end, against 1/Δ2: the state-
# evolution fixed point from m0 (line), the good minimum m* (§D.5, dashed: the Kac-Rice zero-complexity
# point, which is also the end point of gradient flow), finite-N ML-AMP (dots) and finite-N gradient-flow
# end points from the simulation stage (crosses). Above the ML-AMP and GF thresholds both algorithms reach
# the same m* ([PS]). Data: `bigbadminima amp-runs`, `results/tables/simulation.csv`. This notebook only plots.

# %% tags=["parameters"]
runs = "results/tables/amp_runs.csv"
theory = "results/tables/amp_theory.csv"
trajectories = "results/tables/simulation.csv"
figure_stem = "results/figures/amp_vs_gf"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
iterates = pd.read_csv(runs)
fixed_points = pd.read_csv(theory)
flows = pd.read_csv(trajectories)
p, delta_p, n = iterates["p"].iloc[0], iterates["delta_p"].iloc[0], iterates["n"].iloc[0]
m0 = fixed_points["m0"].iloc[0]
flows = flows[(flows["p"] == p) & np.isclose(flows["delta_p"], delta_p)]
final_flows = flows[flows["time"] == flows.groupby(["n", "inv_delta2", "seed", "replica"])["time"].transform("max")]
print(f"p={p}, Δp={delta_p:g}: ML-AMP at N={n} from m0={m0:g}, 1/Δ2={plain(sorted(iterates['inv_delta2'].unique()))}; "
      f"GF end points: {len(final_flows)} runs, N={plain(sorted(final_flows['n'].unique()))}, t={final_flows['time'].max():g}")

# %%
values = sorted(iterates["inv_delta2"].unique())
palette = dict(zip(values, sns.color_palette("viridis", len(values))))
fig, axes = new_figure("page", 3.3, ncols=2)
ax = axes[0]
amp_runs = iterates[iterates["method"] == "ml_amp"]
for (value, seed), run in amp_runs.groupby(["inv_delta2", "seed"]):
    ax.plot(run["iteration"], run["overlap"], color=palette[value], lw=0.6, alpha=0.7)
for value, run in iterates[iterates["method"] == "state_evolution"].groupby("inv_delta2"):
    ax.plot(run["iteration"], run["overlap"], color=palette[value], lw=1.6, ls="--", label=f"{value:g}")
ax.set_xlabel("iteration $t$")
ax.set_ylabel("overlap $m^t$")
ax.set_title(f"ML-AMP at N = {n} (thin), state evolution (dashed)")
ax.legend(title=r"$1/\Delta_2$", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(values))

ax = axes[1]
ax.plot(fixed_points["inv_delta2"], fixed_points["state_evolution_fixed_point"], color="black", lw=1.4,
        label=f"state evolution from $m_0$ = {m0:g}")
ax.plot(fixed_points["inv_delta2"], fixed_points["good_minimum"], color="tab:orange", ls="--", lw=1.5,
        label=r"good minimum $m^*$ (Kac-Rice $\Sigma = 0$)")
last = amp_runs[amp_runs["iteration"] == amp_runs["iteration"].max()]
ax.plot(last["inv_delta2"], last["overlap"], "o", color="tab:green", ms=4, alpha=0.8, label=f"ML-AMP, N = {n}")
for size, marker in zip(sorted(final_flows["n"].unique()), ["x", "+", "1", "2"]):
    rows = final_flows[final_flows["n"] == size]
    ax.plot(rows["inv_delta2"], rows["overlap"], marker, color="tab:blue", ms=5, alpha=0.8,
            label=f"GF end point, N = {size}, t = {rows['time'].max():g}")
ax.axvline(fixed_points["ml_amp_threshold"].iloc[0], color="c", lw=1, label=r"$1/\Delta_2^{\rm ML\text{-}AMP}$")
ax.axvline(fixed_points["gf_threshold"].iloc[0], color="tab:blue", ls=":", lw=1.5, label=r"$1/\Delta_2^{\rm GF}$")
ax.axhline(0, color="grey", lw=0.7)
ax.set_xlabel(r"$1/\Delta_2$")
ax.set_ylabel("final overlap $m$")
ax.set_xlim(0, fixed_points["inv_delta2"].max())
ax.set_title(f"end points, p = {p}, $\\Delta_p$ = {delta_p:g}")
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)  # the right panel's
save_figure(fig, figure_stem)

# %% [markdown]
# Final overlaps: finite-N ML-AMP (mean, sd over instances, with m*) and gradient flow (mean, sd over runs; odd p:
# runs that went to the m < 0 side are included, theory.md §A.5):

# %%
amp_summary = last.groupby("inv_delta2").agg(
    **{"ml_amp mean": ("overlap", "mean"), "ml_amp sd": ("overlap", "std"), "runs": ("overlap", "size"),
       "m*": ("good_minimum", "first")})
gf_summary = final_flows.groupby("inv_delta2")["overlap"].agg(["mean", "std", "count"]).add_prefix("gf ")
amp_summary.join(gf_summary, how="outer").round(4)
