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
# # Finite-size picture of gradient flow: who reaches the signal, and when
#
# Gradient flow on the sphere (theory.md §B) from uniformly random starts with m(0) > 0 (§A.5), so
# m(0) = O(N^-1/2). Left: probability that m reaches `success_overlap` before the horizon t_h, against
# 1/Δ2, one curve per N, with 95% Wilson intervals; the dashed line is the closed-form large-N threshold
# 1/Δ2^GF of §D.6. Right: escape times (first time m reaches `success_overlap`) at one 1/Δ2 above the
# threshold against N (log axis), with their quartiles and the least-squares line t = a + b ln N (§B.2).
# Data: rules `finite_size_run` and `finite_size_summary`; this notebook only loads the tables and plots.

# %% tags=["parameters"]
runs_table = "results/tables/finite_size_runs.csv"
success_table = "results/tables/finite_size_success.csv"
escape_table = "results/tables/finite_size_escape.csv"
fit_table = "results/tables/finite_size_escape_fit.csv"
figure_stem = "results/figures/finite_size"

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
runs = pd.read_csv(runs_table)
success = pd.read_csv(success_table)
escape = pd.read_csv(escape_table)
fit = pd.read_csv(fit_table).iloc[0]
p, delta_p = int(runs["p"].iloc[0]), runs["delta_p"].iloc[0]
horizon, success_overlap = runs["horizon"].iloc[0], runs["success_overlap"].iloc[0]
threshold = success["gf_threshold_inv_delta2"].iloc[0]
sizes = sorted(success["n"].unique())
print(f"{len(runs)} runs: p={p}, Δp={delta_p:g}, N={plain(sizes)}, horizon t_h={horizon:g}, success: m >= {success_overlap:g}")
success.pivot_table(index="inv_delta2", columns="n", values="successes", aggfunc="sum").astype("Int64").astype(str) + " / " + \
    success.pivot_table(index="inv_delta2", columns="n", values="runs", aggfunc="sum").astype("Int64").astype(str)

# %%
fig, (left, right) = new_figure("page", 3.0, ncols=2)
palette = dict(zip(sizes, sns.color_palette("colorblind", len(sizes))))
sns.lineplot(data=success, x="inv_delta2", y="probability", hue="n", palette=palette, marker="o", ms=3.5, lw=1.1,
             ax=left)
for n, group in success.groupby("n"):
    left.errorbar(group["inv_delta2"], group["probability"],
                  yerr=[group["probability"] - group["ci_low"], group["ci_high"] - group["probability"]],
                  fmt="none", ecolor=palette[n], elinewidth=0.8, capsize=1.5)
left.axvline(threshold, color="0.3", ls="--", lw=0.8, label=r"$1/\Delta_2^{\rm GF}$, N → ∞")
left.set_ylim(-0.03, 1.08)
left.set_xlabel(r"$1/\Delta_2$")
left.set_ylabel(f"P(m reaches {success_overlap:g} before t = {horizon:g})")
left.legend(title="N", loc="center left", bbox_to_anchor=(1.0, 0.5))

escaped = runs[np.isclose(runs["inv_delta2"], fit["inv_delta2"]) & runs["success"]]
sns.stripplot(data=escaped, x="n", y="escape_time", native_scale=True, log_scale=(2, None), jitter=0.08,
              hue="n", palette=palette, alpha=0.45, size=3, legend=False, ax=right)
right.errorbar(escape["n"], escape["escape_time_median"],
               yerr=[escape["escape_time_median"] - escape["escape_time_q25"],
                     escape["escape_time_q75"] - escape["escape_time_median"]],
               fmt="D", color="black", ms=3, capsize=2, label="median, quartiles")
line_n = np.geomspace(escape["n"].min(), escape["n"].max(), 50)
right.plot(line_n, fit["intercept"] + fit["slope_per_log_n"] * np.log(line_n), color="0.3", lw=0.9,
           label=fr"${fit['intercept']:.1f} + ({fit['slope_per_log_n']:.2f} \pm {fit['slope_stderr']:.2f})\,\ln N$")
right.set_xticks(escape["n"], [str(n) for n in escape["n"]])
right.set_xlabel("N")
right.set_ylabel(f"escape time (m reaches {success_overlap:g})")
right.set_title(rf"escape times at $1/\Delta_2$ = {fit['inv_delta2']:g}")
right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22))
fig.suptitle(f"Finite-size gradient flow from random starts, p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# Escape-time statistics per N at the chosen 1/Δ2 (runs that did not escape before t_h are not in the
# quantiles; `escaped` counts them out of `runs`):

# %%
escape

# %% [markdown]
# Where the runs that did not escape stopped: m(t_h) near 0 is a run still on the threshold plateau,
# m(t_h) < 0 a run carried to the negative-overlap branch that odd p has no signal on (theory.md §A.5).
# Starting from m(0) = O(N^-1/2), the O(N^-1/2) fluctuations of the early flow carry a fixed fraction of
# the runs to m < 0 whatever N, so above the threshold the success probability levels off below 1; below
# it the runs that stay on the plateau are what makes the curves fall with N.

# %%
stuck = runs[~runs["success"]]
stuck.groupby(["n", "inv_delta2"])["final_overlap"].describe()[["count", "mean", "min", "max"]]
