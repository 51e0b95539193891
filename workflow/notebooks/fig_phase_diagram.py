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
# # Phase diagrams of the spiked matrix-tensor model
#
# x = Δp (log axis), y = 1/Δ2, one panel per tensor order p ([PS] Fig. 1). Lines: trivialisation of the
# landscape (Kac-Rice, theory.md §D.7; dashed purple: no spurious minima at m ≥ 0 above it), gradient flow
# (closed form of [BBM], §D.6; dotted blue: GF reaches the signal above it), ML-AMP (§E.2; solid cyan).
# Background: Bayes-optimal regions (§E.3): impossible (red), hard (orange), easy (green).
# Points: the numerical GF threshold measured from the large-N (CHSCK) dynamics with its 95 % interval
# (rule `gf_threshold`, `bigbadminima.fits`), to be compared with the closed-form dotted line.
# Data: `bigbadminima phase-diagram-tables` (rule `phase_diagram_tables`). This notebook only plots.

# %% tags=["parameters"]
thresholds = "results/tables/thresholds.csv"
regions = "results/tables/bayes_regions.csv"
numerical = "results/tables/gf_threshold_numerical.csv"
figure_stem = "results/figures/phase_diagram"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
lines = pd.read_csv(thresholds)
background = pd.read_csv(regions)
measured = pd.read_csv(numerical)
orders = sorted(lines["p"].unique())
print(f"thresholds: p={plain(orders)}, {lines['delta_p'].nunique()} values of Δp in "
      f"[{lines['delta_p'].min():g}, {lines['delta_p'].max():g}]; region grid {len(background)} points")

# %%
REGION_ORDER = ["impossible", "hard", "easy"]
REGION_COLOURS = ["#e8857a", "#f5c26b", "#9fd39a"]
LINE_STYLES = {  # as in [PS] Fig. 1
    "triv": dict(color="purple", ls="--", label=r"$1/\Delta_2^{\rm triv}$ (Kac-Rice)"),
    "gf": dict(color="tab:blue", ls=":", lw=1.8, label=r"$1/\Delta_2^{\rm GF}$ (closed form)"),
    "ml_amp": dict(color="c", ls="-", label=r"$1/\Delta_2^{\rm ML\text{-}AMP}$"),
}

fig, axes = new_figure("page", 2.9, ncols=len(orders), squeeze=False, sharey=True)
for ax, p in zip(axes[0], orders):
    grid = background[background["p"] == p].pivot(index="inv_delta2", columns="delta_p", values="region")
    codes = grid.apply(lambda column: column.map(REGION_ORDER.index)).to_numpy()
    ax.pcolormesh(grid.columns, grid.index, codes, cmap=ListedColormap(REGION_COLOURS), vmin=-0.5, vmax=2.5,
                  shading="nearest", alpha=0.75, rasterized=True)
    for name, style in LINE_STYLES.items():
        subset = lines[(lines["p"] == p) & (lines["threshold"] == name)].sort_values("delta_p")
        ax.plot(subset["delta_p"], subset["inv_delta2"], **{"lw": 1.4, **style})
    points = measured[measured["p"] == p]
    ax.errorbar(points["delta_p"], points["inv_delta2_gf"],
                yerr=[points["inv_delta2_gf"] - points["ci_low"], points["ci_high"] - points["inv_delta2_gf"]],
                fmt="o", ms=3, color="navy", capsize=1.5, lw=0.8, zorder=5,
                label=r"$1/\Delta_2^{\rm GF}$, large-N dynamics (95 % CI)")
    ax.set_xscale("log")
    ax.set_xlim(background["delta_p"].min(), background["delta_p"].max())
    ax.set_ylim(0, background["inv_delta2"].max())
    ax.set_xlabel(r"$\Delta_p$")
    ax.set_title(f"p = {p}")
axes[0, 0].set_ylabel(r"$1/\Delta_2$")
handles, labels = axes[0, -1].get_legend_handles_labels()
handles += [Patch(color=colour, alpha=0.75, label=f"Bayes-optimal: {name}")
            for name, colour in zip(REGION_ORDER, REGION_COLOURS)]
fig.legend(handles=handles, loc="outside lower center", ncols=4)
save_figure(fig, figure_stem)

# %% [markdown]
# The three thresholds at a few Δp (values of 1/Δ2):

# %%
sample = lines.pivot_table(index=["p", "delta_p"], columns="threshold", values="inv_delta2").reset_index()
every = max(1, sample.groupby("p").size().max() // 6)
sample[sample.groupby("p").cumcount() % every == 0][["p", "delta_p", "ml_amp", "gf", "triv"]].round(4)
