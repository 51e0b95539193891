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
# around the gradient-flow threshold at one (p, Δp) (the parameters `p`, `delta_p`: the config's main
# point for figure `dynamics`, p = 4, Δp = 4 for `dynamics_p4_dp4`), with the closed-form levels computed by
# `dynamics-table`: 2√f''(1), the limit of μ on the plateau (theory.md §D.4), and the good minimum m*,
# μ*, ε* (§D.5). Where the config has them, a second column starts at an m0 of the order of a random
# start at finite N and shows the medians of the finite-N runs (rule `aggregate_simulation`) at the same
# 1/Δ2. This notebook only loads and plots.

# %% tags=["parameters"]
table = "results/tables/dynamics.csv"
simulation = "results/tables/simulation.csv"
p = 3
delta_p = 1.0
figure_stem = "results/figures/dynamics"

# %%
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
p, delta_p = int(p), float(delta_p)
runs = pd.read_csv(table)
runs = runs[(runs["time"] > 0) & (runs["p"] == p) & (runs["delta_p"] == delta_p)]
if runs.empty:
    raise ValueError(f"{table} has no run at p={p}, Δp={delta_p:g} (config dynamics.p/delta_p or other_curves)")
finite = pd.read_csv(simulation)
finite = finite[(finite["p"] == p) & (finite["delta_p"] == delta_p)]
m0_values = sorted(runs["m0"].unique())
thetas = sorted(runs["inv_delta2"].unique())
palette = dict(zip(thetas, sns.color_palette("viridis", len(thetas))))
print(f"{runs.groupby(['m0', 'inv_delta2']).ngroups} runs, p={p}, Δp={delta_p:g}, m0={plain(m0_values)}, 1/Δ2={plain(thetas)}")
print("largest Richardson error of m per run:")
print(runs.groupby(["m0", "inv_delta2"])["overlap_error"].max().unstack(0))

# %%
# the large-N and finite-N tables share their column names
quantities = [("overlap", "overlap $m(t)$", "overlap_star"), ("multiplier", r"multiplier $\mu(t)$", "multiplier_star"),
              ("energy", r"energy $\varepsilon(t)$", "energy_star")]
width = "page" if len(m0_values) > 1 else "column"  # one column of panels fits a paper column
fig, axes = new_figure(width, 6.2, nrows=3, ncols=len(m0_values), sharex="col", squeeze=False)
sizes = sorted(finite["n"].unique())
markers = dict(zip(sizes, "osD^v"))
for column, m0 in enumerate(m0_values):
    subset = runs[runs["m0"] == m0]
    for row, (name, label, star) in enumerate(quantities):
        ax = axes[row, column]
        for theta, run in subset.groupby("inv_delta2"):
            ax.plot(run["time"], run[name], color=palette[theta], lw=1.2)
            level = run.iloc[0]
            if np.isfinite(level[star]):  # the good minimum, where it exists
                ax.axhline(level[star], color=palette[theta], ls=":", lw=0.8)
            if name == "multiplier":
                ax.axhline(level["multiplier_plateau"], color=palette[theta], ls="--", lw=0.7)
        if m0 > 1e-3 and not finite.empty:  # finite-N medians on the column whose m0 matches random starts
            shown = finite[finite["inv_delta2"].isin(thetas) & (finite["time"] > 0)]
            medians = shown.groupby(["n", "inv_delta2", "time"])[name].median().reset_index()
            for (n, theta), group in medians.groupby(["n", "inv_delta2"]):
                ax.plot(group["time"], group[name], markers[n], ms=2, color=palette[theta], alpha=0.6, ls="none")
        ax.set_xscale("log")
        if name == "overlap" and m0 < 1e-3:  # the plateau at m ~ m0 is visible only on a log axis
            ax.set_yscale("log")
        ax.set_ylabel(label)
    axes[-1, column].set_xlabel("time $t$")
    axes[0, column].set_title(f"$m_0$ = {m0:g}" + (" (markers: finite-N medians)" if m0 > 1e-3 and not finite.empty
                                                  else ""))
handles = [Line2D([], [], color=palette[theta], lw=1.2, label=f"$1/\\Delta_2$ = {theta:g}") for theta in thetas]
handles += [Line2D([], [], color="0.3", ls="--", lw=0.7, label=r"plateau $\mu = 2\sqrt{f''(1)}$"),
            Line2D([], [], color="0.3", ls=":", lw=0.8, label=r"good minimum $m^*, \mu^*, \varepsilon^*$")]
if any(m0 > 1e-3 for m0 in m0_values) and not finite.empty:
    handles += [Line2D([], [], color="0.3", marker=markers[n], ms=3, ls="none", label=f"median, N = {n}")
                for n in sizes]
fig.legend(handles=handles, loc="outside lower center", ncols=4 if width == "page" else 2)
fig.suptitle(f"Large-N gradient flow (CHSCK), p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# End points against the good minimum (runs that reached it):

# %%
last = runs[runs["time"] == runs.groupby(["m0", "inv_delta2"])["time"].transform("max")]
last[["m0", "inv_delta2", "time", "overlap", "overlap_star", "multiplier", "multiplier_star", "energy", "energy_star",
      "overlap_error"]]
