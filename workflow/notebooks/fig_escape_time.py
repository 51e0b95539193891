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
# # Escape time and the numerical gradient-flow threshold
#
# From the m0 → 0⁺ CHSCK runs (rule `dynamics_rate`) `bigbadminima gf-threshold` computes the growth
# rate λ(t) of log m, its extrapolation λ_∞, the threshold 1/Δ2_GF where √(θλ_∞) vanishes (with a
# bootstrap interval), escape-time predictions and the fitted divergence (fits.py, theory.md §C.3, §D.6).
# This notebook only loads those tables and plots them.

# %% tags=["parameters"]
rates = "results/tables/growth_rates.csv"
escape = "results/tables/escape_times.csv"
threshold = "results/tables/gf_threshold_numerical.csv"
figure_stem = "results/figures/escape_time"
main_p = 3  # the (p, Δp) of the first two panels
main_delta_p = 1.0

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, save_figure, set_style

set_style()
rate_table = pd.read_csv(rates)
escape_table = pd.read_csv(escape)
thresholds = pd.read_csv(threshold)
chosen = thresholds[(thresholds["p"] == main_p) & np.isclose(thresholds["delta_p"], main_delta_p)]
main = (chosen if len(chosen) else thresholds).iloc[0]
p, delta_p = int(main["p"]), main["delta_p"]
thresholds

# %%
fig, axes = new_figure("page", 4.3, ncols=3)
below = dict(loc="upper center", bbox_to_anchor=(0.5, -0.2))
ax = axes[0]
subset = rate_table[(rate_table["p"] == p) & (rate_table["delta_p"] == delta_p)]
thetas = sorted(subset["inv_delta2"].unique())
palette = dict(zip(thetas, sns.color_palette("viridis", len(thetas))))
for theta, group in subset.groupby("inv_delta2"):
    ax.plot(group["time"], group["rate"], "o-", ms=1.5, lw=0.7, color=palette[theta], label=f"{theta:g}")
    ax.axhline(group["rate_inf"].iloc[0], color=palette[theta], lw=0.9)
    ax.axhline(group["rate_inf_closed_form"].iloc[0], color=palette[theta], lw=0.8, ls="--")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("time $t$")
ax.set_ylabel(r"growth rate $d\log m/dt$")
ax.set_title(f"growth rate, p = {p}, $\\Delta_p$ = {delta_p:g}")
ax.legend(title=r"$1/\Delta_2$; line: λ$_\infty$, dashed: BBP", ncols=3, **below)

ax = axes[1]
esc = escape_table[(escape_table["p"] == p) & (escape_table["delta_p"] == delta_p)]
m0_colors = dict(zip(sorted(esc["m0"].unique()), sns.color_palette("colorblind", esc["m0"].nunique())))
for (kind, m0), group in esc.groupby(["kind", "m0"]):
    color = m0_colors[m0]
    if kind == "linear run":
        ax.plot(group["inv_delta2"], group["t_escape"], "o", ms=3, color=color, label=f"m0→0⁺ run, m0 = {m0:g}")
    elif kind == "full run":
        ax.plot(group["inv_delta2"], group["t_escape"], "s", ms=4, mfc="none", color=color, label=f"full run, m0 = {m0:g}")
    elif kind.startswith("fit"):
        ax.plot(group["inv_delta2"], group["t_escape"], "-", color=color, lw=0.9,
                label=f"log(0.4/m0)/λ$_\\infty$, m0 = {m0:g}")
    else:
        ax.plot(group["inv_delta2"], group["t_escape"], ":", color="gray", lw=0.9, label=kind)
ax.axvspan(main["ci_low"], main["ci_high"], color="C3", alpha=0.15)
ax.axvline(main["inv_delta2_gf"], color="C3", lw=0.9, label=f"threshold {main['inv_delta2_gf']:.3f}, 95 % band")
ax.axvline(main["closed_form"], color="k", ls="--", lw=0.8, label=f"closed form {main['closed_form']:.3f}")
ax.set_yscale("log")
ax.set_xlabel(r"$1/\Delta_2$")
ax.set_ylabel("escape time (m reaches 0.4)")
ax.set_title("escape time and its divergence")
fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3)  # the middle panel's

ax = axes[2]
for k, (p_value, group) in enumerate(thresholds.groupby("p")):
    deviation = 100 * (group["inv_delta2_gf"] - group["closed_form"]) / group["closed_form"]
    low = 100 * (group["inv_delta2_gf"] - group["ci_low"]) / group["closed_form"]
    high = 100 * (group["ci_high"] - group["inv_delta2_gf"]) / group["closed_form"]
    dodge = 1.08**k  # p = 4 beside p = 3 where both have a point at the same Δp
    ax.errorbar(dodge * group["delta_p"], deviation, yerr=[low, high], fmt="o", ms=3, capsize=2,
                label=f"p = {p_value}" + (f" (drawn at {dodge:g} Δp)" if k else ""))
ax.axhline(0, color="k", lw=0.6)
ax.axhspan(-1, 1, color="gray", alpha=0.15, label="±1 %")
ax.set_xscale("log")
ax.set_xticks(sorted(thresholds["delta_p"].unique()))
ax.xaxis.set_major_formatter(plt.FormatStrFormatter("%g"))
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.tick_params(axis="x", labelrotation=45)  # neighbouring Δp (0.15, 0.25) would overlap upright
ax.set_xlabel(r"$\Delta_p$")
ax.set_ylabel("numerical − closed form (%)")
ax.set_title("vs closed form (§D.6)")
ax.legend(ncols=1, **below)
save_figure(fig, figure_stem)
