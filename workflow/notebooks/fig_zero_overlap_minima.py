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
# # Why gradient flow succeeds although spurious minima remain: the stationary points at m = 0
#
# The papers' central picture ([BBM] Fig. 1; theory.md §D.6, §D.7). At overlap m = 0, the stationary
# points with no negative direction in the bulk of their Hessian (μ ≥ 2σ) are counted by the Kac-Rice
# complexity Σ(0, μ) (§D.2), drawn against their energy ε for several 1/Δ2 from the gradient-flow
# threshold 1/Δ2^GF to the trivialisation threshold 1/Δ2^triv. The most numerous of them, the marginal
# threshold states at μ = 2σ (the right end of each curve, the highest energy), are where gradient flow
# from a random start arrives; above 1/Δ2^GF their isolated eigenvalue, the direction towards the signal,
# is negative: they are index-one saddles (dashed) and the flow escapes along it. Deeper points, below the
# switch μ_c(0) = θ + σ²/θ in energy, keep a positive isolated eigenvalue: they are true spurious minima
# (solid), rarer, and they survive until 1/Δ2^triv, where their complexity reaches 0. Gradient flow never
# meets them: it is not afraid of these big bad minima. Data: `bigbadminima zero-overlap-table` (rule
# `zero_overlap_table`). This notebook only plots.

# %% tags=["parameters"]
table = "results/tables/zero_overlap_states.csv"
figure_stem = "results/figures/zero_overlap_minima"

# %%
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
states = pd.read_csv(table)
p, delta_p = int(states["p"].iloc[0]), states["delta_p"].iloc[0]
gf, triv = states["gf_threshold"].iloc[0], states["triv_threshold"].iloc[0]
values = sorted(states["inv_delta2"].unique())
print(f"p={p}, Δp={delta_p:g}: 1/Δ2^GF = {gf:.4f}, 1/Δ2^triv = {triv:.4f}; 1/Δ2 = {plain(values)}")

# %%
palette = dict(zip(values, sns.color_palette("viridis", len(values))))
fig, (left, right) = new_figure("page", 2.9, ncols=2)
for value, rows in states.groupby("inv_delta2"):
    rows = rows.sort_values("multiplier")
    for kind, style in (("saddle", "--"), ("minimum", "-")):
        branch = rows[rows["kind"] == kind]
        if len(branch):
            left.plot(branch["energy"], 1e3 * branch["complexity"], color=palette[value], ls=style, lw=1.2)
    top = rows.iloc[0]  # μ = 2σ: the threshold states
    left.plot(top["energy"], 1e3 * top["complexity"], "o", color=palette[value], ms=3.5)
    if rows["kind"].eq("minimum").any() and rows["kind"].eq("saddle").any():
        left.plot(top["switch_energy"], 1e3 * top["switch_complexity"], "|", color=palette[value], ms=7, mew=1.2)
left.axhline(0, color="grey", lw=0.6)
left.set_xlabel(r"energy per site $\varepsilon$")
left.set_ylabel(r"$10^3\,\Sigma(m = 0, \varepsilon)$")
left.set_title("stationary points at m = 0 without negative bulk directions")

summary = states.groupby("inv_delta2").first().reset_index()
threshold = states[states["multiplier"] == states.groupby("inv_delta2")["multiplier"].transform("min")]
right.plot(summary["inv_delta2"], 1e3 * threshold["complexity"].to_numpy(), "o-", color="0.2", ms=3, lw=1.0,
           label="threshold states (μ = 2σ): saddles")
right.plot(summary["inv_delta2"], 1e3 * summary["switch_complexity"], "s-", color="crimson", ms=3, lw=1.0,
           label=r"most numerous minima (μ = $\mu_c(0)$)")
right.axhline(0, color="grey", lw=0.6)
right.axvline(gf, color="tab:blue", ls=":", lw=1.0, label=r"$1/\Delta_2^{\rm GF}$")
right.axvline(triv, color="purple", ls="--", lw=1.0, label=r"$1/\Delta_2^{\rm triv}$")
right.set_xlabel(r"$1/\Delta_2$")
right.set_ylabel(r"$10^3\,\Sigma$")
right.set_title("who survives between the thresholds")
handles = [Line2D([], [], color=palette[value], lw=1.2, label=f"$1/\\Delta_2$ = {value:.4g}") for value in values]
handles += [Line2D([], [], color="0.3", ls="--", lw=1.2, label="index-one saddles (outlier < 0)"),
            Line2D([], [], color="0.3", lw=1.2, label="minima (outlier ≥ 0)"),
            Line2D([], [], color="0.3", marker="o", ls="none", ms=3.5, label="threshold states, μ = 2σ"),
            Line2D([], [], color="0.3", marker="|", ls="none", ms=7, mew=1.2, label=r"switch, μ = $\mu_c(0)$")]
fig.legend(handles=handles, loc="outside lower left", ncols=3)
right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2)
fig.suptitle(f"Threshold states turn into saddles while deeper minima survive, p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# Per 1/Δ2: the complexity of the threshold states and of the most numerous minima at m = 0, and their
# energies.

# %%
summary[["inv_delta2", "switch_multiplier", "switch_energy", "switch_complexity"]].assign(
    threshold_complexity=threshold["complexity"].to_numpy(), threshold_energy=threshold["energy"].to_numpy())
