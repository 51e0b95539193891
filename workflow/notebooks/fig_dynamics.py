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
# # Large-N gradient flow: m(t), μ(t), ε(t)
#
# CHSCK solutions (theory.md §C.1, `bigbadminima dynamics`, rule `dynamics_curve`) for several 1/Δ2
# around the gradient-flow threshold, with the closed-form levels computed by `dynamics-table`:
# 2√f''(1), the limit of μ on the plateau (theory.md §D.4), and the good minimum m*, μ*, ε* (§D.5).
# The right column starts at an m0 of the order of a random start at finite N and shows the medians of
# the finite-N runs (rule `aggregate_simulation`) at the same 1/Δ2. This notebook only loads and plots.

# %% tags=["parameters"]
table = "results/tables/dynamics.csv"
simulation = "results/tables/simulation.csv"
figure_stem = "results/figures/dynamics"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import plain, save_figure, set_style

set_style()
runs = pd.read_csv(table)
runs = runs[runs["time"] > 0]
finite = pd.read_csv(simulation)
m0_values = sorted(runs["m0"].unique())
thetas = sorted(runs["inv_delta2"].unique())
palette = dict(zip(thetas, sns.color_palette("viridis", len(thetas))))
p, delta_p = int(runs["p"].iloc[0]), runs["delta_p"].iloc[0]
print(f"{runs.groupby(['m0', 'inv_delta2']).ngroups} runs, p={p}, Δp={delta_p:g}, m0={plain(m0_values)}, 1/Δ2={plain(thetas)}")
print("largest Richardson error of m per run:")
print(runs.groupby(["m0", "inv_delta2"])["overlap_error"].max().unstack(0))

# %%
# the large-N and finite-N tables share their column names
quantities = [("overlap", "overlap $m(t)$", "overlap_star"), ("multiplier", r"multiplier $\mu(t)$", "multiplier_star"),
              ("energy", r"energy $\varepsilon(t)$", "energy_star")]
fig, axes = plt.subplots(3, len(m0_values), figsize=(4.6 * len(m0_values), 8.4), sharex="col", squeeze=False)
for column, m0 in enumerate(sorted(m0_values, reverse=False)):
    subset = runs[runs["m0"] == m0]
    for row, (name, label, star) in enumerate(quantities):
        ax = axes[row, column]
        sns.lineplot(data=subset, x="time", y=name, hue="inv_delta2", palette=palette, lw=1.6, ax=ax,
                     legend=(row == 0 and column == 0), estimator=None)
        levels = subset.groupby("inv_delta2")[[star, "multiplier_plateau"]].first()
        for theta, level in levels.iterrows():
            if np.isfinite(level[star]):
                ax.axhline(level[star], color=palette[theta], ls=":", lw=1)
            if name == "multiplier":
                ax.axhline(level["multiplier_plateau"], color=palette[theta], ls="--", lw=0.8)
        if m0 > 1e-3:  # finite-N medians on the panel whose m0 matches random starts
            shown = finite[finite["inv_delta2"].isin(thetas) & (finite["time"] > 0)]
            medians = shown.groupby(["n", "inv_delta2", "time"])[name].median().reset_index()
            for (n, theta), group in medians.groupby(["n", "inv_delta2"]):
                ax.plot(group["time"], group[name], "o" if n == medians["n"].min() else "s",
                        ms=2.5, color=palette[theta], alpha=0.6, label=None)
        ax.set_xscale("log")
        ax.set_ylabel(label)
        ax.set_xlabel("time $t$")
    axes[0, column].set_title(f"$m_0$ = {m0:g}" + (" (markers: finite-N medians)" if m0 > 1e-3 else ""))
legend = axes[0, 0].get_legend()
if legend is not None:
    legend.set_title(r"$1/\Delta_2$")
fig.suptitle(f"Large-N gradient flow (CHSCK), p = {p}, $\\Delta_p$ = {delta_p:g}; "
             r"dashed: $2\sqrt{f''(1)}$, dotted: good minimum")
fig.tight_layout()
save_figure(fig, figure_stem)

# %% [markdown]
# End points against the good minimum (runs that reached it):

# %%
last = runs[runs["time"] == runs.groupby(["m0", "inv_delta2"])["time"].transform("max")]
last[["m0", "inv_delta2", "time", "overlap", "overlap_star", "multiplier", "multiplier_star", "energy", "energy_star",
      "overlap_error"]]
