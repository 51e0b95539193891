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
# # Finite-N gradient flow: m(t) and ε(t)
#
# Gradient flow on the sphere (theory.md §B) from random initial conditions with m(0) > 0, for a grid of
# 1/Δ2 around the closed-form threshold (theory.md §D.6). Data: `bigbadminima simulate` via the rule
# `simulate`, aggregated by `aggregate_simulation`. This notebook only loads the table and plots.

# %% tags=["parameters"]
table = "results/tables/simulation.csv"
references_table = "results/tables/simulation_references.csv"
figure_stem = "results/figures/gradient_flow"

# %%
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
trajectories = pd.read_csv(table)
references = pd.read_csv(references_table).set_index("inv_delta2")
trajectories["run"] = trajectories["seed"].astype(str) + "/" + trajectories["replica"].astype(str)
plotted = trajectories[trajectories["time"] > 0]
sizes = sorted(plotted["n"].unique())
p, delta_p = plotted["p"].iloc[0], plotted["delta_p"].iloc[0]
print(f"{len(trajectories)} rows: p={p}, Δp={delta_p:g}, N={plain(sizes)}, "
      f"1/Δ2={plain(sorted(plotted['inv_delta2'].unique()))}, runs per point={plotted.groupby(['n', 'inv_delta2'])['run'].nunique().min()}")

# %% [markdown]
# Every run is drawn (thin lines). At finite N a run starts at m(0) ~ N^-1/2, not at m = 0⁺, and can be
# carried to the m < 0 side, where for odd p there is no signal minimum (theory.md §A.5); a median over
# all runs would mix the two branches. So runs are split by the sign of their final overlap: the bold
# solid line is the median of the runs that end at m > 0, the bold dashed line that of the runs that end
# at m < 0 (the legend counts them). The triangles at the right edge mark, in each colour, the large-N
# good minimum m* and its energy ε* (theory.md §D.5), where one exists: the end point of the runs that
# succeed. A run starts at m(0) ~ N^-1/2, a finite m0: from there even the large-N flow escapes below
# 1/Δ2^GF (docs/dynamics.md, section 6), so the runs below the closed-form threshold climb too; the
# threshold itself is an m0 → 0⁺ statement (figures `dynamics`, `escape_time`, `finite_size`).

# %%
fig, axes = new_figure("page", 4.4, nrows=2, ncols=len(sizes), sharex=True, sharey="row", squeeze=False)
values = sorted(plotted["inv_delta2"].unique())
palette = dict(zip(values, sns.color_palette("viridis", len(values))))
final_sign = plotted.sort_values("time").groupby(["n", "inv_delta2", "run"])["overlap"].last().gt(0)
plotted = plotted.join(final_sign.rename("ends_positive"), on=["n", "inv_delta2", "run"])
for column, n in enumerate(sizes):
    subset = plotted[plotted["n"] == n]
    for row, (quantity, label) in enumerate([("overlap", "overlap $m(t)$"), ("energy", r"energy $\varepsilon(t)$")]):
        ax = axes[row, column]
        for (value, run), trajectory in subset.groupby(["inv_delta2", "run"]):
            ax.plot(trajectory["time"], trajectory[quantity], color=palette[value], lw=0.4, alpha=0.35)
        for (value, positive), branch in subset.groupby(["inv_delta2", "ends_positive"]):
            median = branch.groupby("time")[quantity].median()
            ax.plot(median.index, median.to_numpy(), color=palette[value], lw=1.6, ls="-" if positive else "--")
        reference = {"overlap": "good_minimum_overlap", "energy": "good_minimum_energy"}[quantity]
        edge = subset["time"].max() * 1.6
        for value in values:
            ax.plot(edge, references.loc[value, reference], marker="<", ms=4, color=palette[value], clip_on=False)
        ax.set_xscale("log")
        ax.set_ylabel(label)
    axes[-1, column].set_xlabel("time $t$")
    ends = final_sign.loc[n]
    axes[0, column].set_title(f"N = {n}: {int(ends.sum())} runs end at m > 0, {int((~ends).sum())} at m < 0")
handles = [Line2D([], [], color=palette[value], lw=1.6, label=f"$1/\\Delta_2$ = {value:g}") for value in values]
handles += [Line2D([], [], color="0.3", lw=1.6, label="median, runs ending at m > 0"),
            Line2D([], [], color="0.3", lw=1.6, ls="--", label="median, runs ending at m < 0"),
            Line2D([], [], color="0.3", lw=0.4, label="single runs"),
            Line2D([], [], color="0.3", lw=0, marker="<", ms=4, label="m*, ε* (large N, §D.5)")]
fig.legend(handles=handles, loc="outside lower center", ncols=4)
fig.suptitle(f"Finite-N gradient flow from random starts, p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# Final overlaps per run (last recorded time):

# %%
final = trajectories[trajectories["time"] == trajectories.groupby(["n", "inv_delta2", "run"])["time"].transform("max")]
final.groupby(["n", "inv_delta2"])["overlap"].describe()[["count", "mean", "std", "min", "max"]]
