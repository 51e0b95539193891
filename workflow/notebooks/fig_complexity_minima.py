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
# # Complexity of local minima vs overlap
#
# Annealed Kac-Rice complexity Σ_min(m) of minima (theory.md §D.3, with the isolated-eigenvalue condition)
# against the overlap m, for several 1/Δ2 at fixed (p, Δp), and Σ of all stationary points (thin dashed).
# Spurious minima (Σ_min > 0) at m ≥ 0 disappear last at m = 0, at 1/Δ2^triv (§D.7, black curve); the good
# minimum is where Σ touches 0 from below at m* (§D.5). For odd p the m < 0 side is not the mirror image:
# there spurious minima outlive 1/Δ2^triv. Data: `bigbadminima complexity-table`. This notebook only plots.

# %% tags=["parameters"]
table = "results/tables/complexity_minima.csv"
figure_stem = "results/figures/complexity_minima"

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
complexity = pd.read_csv(table)
p, delta_p, triv = complexity["p"].iloc[0], complexity["delta_p"].iloc[0], complexity["triv"].iloc[0]
values = sorted(complexity["inv_delta2"].unique())
print(f"p={p}, Δp={delta_p:g}, 1/Δ2 = {plain(values)}, 1/Δ2^triv = {triv:.4f}")

# %%
palette = dict(zip(values, sns.color_palette("viridis", len(values))))
palette.update({value: "black" for value in values if complexity.loc[complexity["inv_delta2"] == value, "is_triv"].any()})
fig, axes = new_figure("page", 2.7, ncols=2)
for ax, (y_low, y_high), title in zip(
    axes, [(-0.06, 0.14), (-0.004, 0.004)], ["all stationary points (dashed) and minima (solid)", "minima, near Σ = 0"]
):
    for value in values:
        rows = complexity[complexity["inv_delta2"] == value]
        label = f"{value:.4g}" + (" (triv)" if rows["is_triv"].any() else "")
        minima = rows[rows["kind"] == "minima"]
        ax.plot(minima["overlap"], minima["complexity"], color=palette[value], lw=1.3, label=label)
        if ax is axes[0]:
            stationary = rows[rows["kind"] == "stationary"]
            ax.plot(stationary["overlap"], stationary["complexity"], color=palette[value], lw=0.7, ls="--")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_ylim(y_low, y_high)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("overlap $m$")
    ax.set_title(title)
axes[0].set_ylabel(r"complexity $\Sigma$")
axes[1].legend(title=r"$1/\Delta_2$", loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.suptitle(f"Kac-Rice complexity, p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# Largest Σ_min at m ≥ 0 per 1/Δ2 (positive: spurious minima exist; ≈ 0: only the good minimum touches 0):

# %%
minima = complexity[(complexity["kind"] == "minima") & (complexity["overlap"] >= 0)]
largest = minima.loc[minima.groupby("inv_delta2")["complexity"].idxmax(), ["inv_delta2", "complexity", "overlap"]]
largest.rename(columns={"complexity": "max Σ_min at m ≥ 0", "overlap": "at m"})
