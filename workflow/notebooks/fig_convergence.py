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
# # Finite N meets large N: gradient flow from a prescribed overlap
#
# Gradient flow at several N from m(0) = m0 (theory.md §B; rule `convergence_run`) against the CHSCK
# solution from the same m0 (theory.md §C.1; rule `dynamics_curve`). Left: the median over runs of
# m_N(t) per N with its 95% cluster-bootstrap band (instances resampled), and the large-N curve.
# Middle: the median minus the large-N curve, with the same bands. Right: the spread of the runs,
# S(N) = max_t of the interquartile range of m(t) across runs, with its 95% bootstrap interval and the
# fitted power law S ∝ N^-a (an N^-1/2 guide for the expected O(1/(m0√N)) fluctuations), and the
# distance of the median trajectory D(N) = max_t |median m_N − m_∞|, at the level of its sampling error.
# Data: rule `convergence_summary` (`bigbadminima.convergence`); this notebook only loads and plots.

# %% tags=["parameters"]
curves = "results/tables/convergence_curves.csv"
summary = "results/tables/convergence.csv"
figure_stem = "results/figures/convergence"

# %%
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, save_figure, set_style

set_style()
medians = pd.read_csv(curves)
sizes = pd.read_csv(summary)
first = sizes.iloc[0]
point = (f"p = {int(first['p'])}, $\\Delta_p$ = {first['delta_p']:g}, $1/\\Delta_2$ = {first['inv_delta2']:g}, "
         f"$m_0$ = {first['m0']:g}")
print(point)
sizes[["n", "runs", "instances", "spread", "spread_low", "spread_high", "deviation", "standardised_deviation",
       "critical_value"]]

# %%
palette = dict(zip(sorted(medians["n"].unique()), sns.color_palette("colorblind", medians["n"].nunique())))
fig, axes = new_figure("page", 2.9, ncols=3)
shown = medians[medians["time"] > 0]  # log time axis
reference = shown[shown["n"] == shown["n"].max()]
for n, group in shown.groupby("n"):
    group = group.sort_values("time")
    axes[0].plot(group["time"], group["median"], color=palette[n], lw=1.1, label=f"N = {n}")
    axes[0].fill_between(group["time"], group["band_low"], group["band_high"], color=palette[n], alpha=0.15, lw=0)
    axes[1].plot(group["time"], group["median"] - group["overlap_large_n"], color=palette[n], lw=1.1)
    axes[1].fill_between(group["time"], group["band_low"] - group["overlap_large_n"],
                         group["band_high"] - group["overlap_large_n"], color=palette[n], alpha=0.15, lw=0)
axes[0].plot(reference["time"], reference["overlap_large_n"], "k--", lw=1.0, label="large N (CHSCK)")
axes[0].set(xscale="log", xlabel="time $t$", ylabel="median overlap $m(t)$", title="median and 95 % band")
axes[1].axhline(0, color="k", lw=0.7, ls="--")
axes[1].set(xscale="log", xlabel="time $t$", ylabel=r"median $m_N(t) - m_\infty(t)$", title="distance to large N")

ax = axes[2]
dense = np.geomspace(sizes["n"].min(), sizes["n"].max(), 50)
for name, marker, colour, label in (("spread", "o", "0.2", r"spread of the runs $S(N)$"),
                                    ("deviation", "s", "0.55", r"median vs large N $D(N)$")):
    low = (sizes[name] - sizes[f"{name}_low"]).clip(lower=0)
    high = (sizes[f"{name}_high"] - sizes[name]).clip(lower=0)
    ax.errorbar(sizes["n"], sizes[name], yerr=[low, high], fmt=marker, color=colour, ms=3.5, capsize=2, label=label)
ax.plot(dense, first["prefactor"] * dense ** (-first["exponent"]), color="0.2", lw=0.9,
        label=f"fit $N^{{-a}}$, a = {first['exponent']:.2f} [{first['exponent_low']:.2f}, {first['exponent_high']:.2f}]")
anchor = sizes["spread"].iloc[0] * np.sqrt(sizes["n"].iloc[0])
ax.plot(dense, anchor / np.sqrt(dense), color="0.4", ls=":", lw=0.9, label=r"$N^{-1/2}$")
ax.set(xscale="log", yscale="log", xlabel="N", ylabel="largest over t", title="spread and distance vs N")
ax.set_xticks(sizes["n"], [str(n) for n in sizes["n"]])
ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
plain_numbers = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
for axis in (ax.yaxis, axes[0].xaxis, axes[1].xaxis):
    axis.set_major_formatter(plain_numbers)
handles, labels = (sum(pair, []) for pair in zip(axes[0].get_legend_handles_labels(), ax.get_legend_handles_labels()))
fig.legend(handles, labels, loc="outside lower center", ncols=4)
fig.suptitle(f"Finite-N gradient flow against the large-N dynamics, {point}")
save_figure(fig, figure_stem)
