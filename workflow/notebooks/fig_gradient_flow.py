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
figure_stem = "results/figures/gradient_flow"

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import plain, save_figure, set_style

set_style()
trajectories = pd.read_csv(table)
trajectories["run"] = trajectories["seed"].astype(str) + "/" + trajectories["replica"].astype(str)
plotted = trajectories[trajectories["time"] > 0]
sizes = sorted(plotted["n"].unique())
p, delta_p = plotted["p"].iloc[0], plotted["delta_p"].iloc[0]
print(f"{len(trajectories)} rows: p={p}, Δp={delta_p:g}, N={plain(sizes)}, "
      f"1/Δ2={plain(sorted(plotted['inv_delta2'].unique()))}, runs per point={plotted.groupby(['n', 'inv_delta2'])['run'].nunique().min()}")

# %% [markdown]
# Every run is drawn (thin lines): at finite N a run can be carried to the m < 0 side, where for odd p
# there is no signal minimum (theory.md §A.5), so a mean over runs would hide the two branches. The bold
# line is the median over runs at each time.

# %%
fig, axes = plt.subplots(2, len(sizes), figsize=(3.6 * len(sizes), 5.6), sharex=True, sharey="row", squeeze=False)
palette = dict(zip(sorted(plotted["inv_delta2"].unique()), sns.color_palette("viridis", plotted["inv_delta2"].nunique())))
for column, n in enumerate(sizes):
    subset = plotted[plotted["n"] == n]
    for row, (quantity, label) in enumerate([("overlap", "overlap $m(t)$"), ("energy", r"energy $\varepsilon(t)$")]):
        ax = axes[row, column]
        sns.lineplot(
            data=subset, x="time", y=quantity, hue="inv_delta2", units="run", estimator=None,
            palette=palette, lw=0.6, alpha=0.35, ax=ax, legend=False,
        )
        sns.lineplot(
            data=subset, x="time", y=quantity, hue="inv_delta2", estimator="median", errorbar=None,
            palette=palette, lw=2, ax=ax, legend=(row == 0 and column == len(sizes) - 1),
        )
        ax.set_xscale("log")
        ax.set_ylabel(label)
        ax.set_xlabel("time $t$")
    axes[0, column].set_title(f"N = {n}")
legend = axes[0, -1].get_legend()
if legend is not None:
    legend.set_title(r"$1/\Delta_2$")
fig.suptitle(f"Finite-N gradient flow, p = {p}, $\\Delta_p$ = {delta_p:g} (thin: runs, bold: median)")
fig.tight_layout()
save_figure(fig, figure_stem)

# %% [markdown]
# Final overlaps per run (last recorded time):

# %%
final = trajectories[trajectories["time"] == trajectories.groupby(["n", "inv_delta2", "run"])["time"].transform("max")]
final.groupby(["n", "inv_delta2"])["overlap"].describe()[["count", "mean", "std", "min", "max"]]
