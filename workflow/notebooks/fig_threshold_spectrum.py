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
# # Hessian of the threshold states: semicircle + BBP outlier
#
# Theory (theory.md §D.1, §D.4, §D.6): at the threshold states (m = 0, μ = 2σ) the Riemannian Hessian is a
# semicircle on [0, 4σ] plus, when 1/Δ2 > σ, an isolated eigenvalue 2σ − θ − σ²/θ (θ = 1/Δ2) below it;
# it crosses zero at 1/Δ2^GF, where the marginal minima that attract gradient flow become saddles with one
# direction toward the signal ([BBM]). Measured: Riemannian Hessians of finite-N gradient-flow states at
# the recorded times, with the theory evaluated at each state's own measured (m, μ) (open symbols). With
# `flow = held` the flow starts at x ⊥ x* and the gradient's component on x* is removed, so m = 0 exactly:
# the large-N plateau (m0 → 0⁺) made exact at finite N, whose states approach the threshold states
# (μ → 2σ); the Hessian is that of the full landscape, so the outlier along x* is measured.
# `flow = free` is plain gradient flow from m(0) > 0 (for odd p it often drifts to m < 0 at finite N).
# Below the threshold the measured bottom of the bulk sits a little above the semicircle's edge at the
# state's own μ (e.g. +0.06 against μ − 2σ = −0.05 at N = 400, t = 40): μ is still below 2σ, so the
# semicircle of a typical point at that μ reaches below 0, but the flow has stopped near a finite-N local
# minimum, whose Hessian has no negative direction; the difference is about 3 Tracy-Widom units σN^(-2/3)
# and shrinks as N grows and μ → 2σ. Above the threshold the lowest eigenvalue leaves the bulk and crosses
# 0 within the finite-N BBP window 2σN^(-1/3) of 1/Δ2^GF (theory.md §D.6; a row of the reproduction table).
# Data: `bigbadminima threshold-spectrum-table`, `bigbadminima hessian-spectra`. This notebook only plots.

# %% tags=["parameters"]
theory = "results/tables/threshold_spectrum.csv"
spectra = "results/tables/hessian_spectra.csv"
states = "results/tables/hessian_states.csv"
figure_stem = "results/figures/threshold_spectrum"

# %%
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
curves = pd.read_csv(theory)
eigenvalues = pd.read_csv(spectra)
measured = pd.read_csv(states)
p, delta_p, gf = curves["p"].iloc[0], curves["delta_p"].iloc[0], curves["gf_threshold"].iloc[0]
times = sorted(measured["time"].unique())
print(f"p={p}, Δp={delta_p:g}, 1/Δ2^GF={gf:g}; {len(measured)} measured states at N={plain(sorted(measured['n'].unique()))}, "
      f"t={plain(times)}, flow={plain(sorted(measured['flow'].unique()))}")

# %%
time_colours = dict(zip(times, sns.color_palette("colorblind", len(times))))
MARKERS = {"lowest": "v", "second_lowest": "^", "highest": "o"}
fig, axes = new_figure("page", 3.3, ncols=3, gridspec_kw={"width_ratios": [1, 1, 0.9]})
for ax, zoom in zip(axes[:2], [False, True]):
    ax.fill_between(curves["inv_delta2"], curves["lower_edge"], curves["upper_edge"], color="0.85")
    ax.plot(curves["inv_delta2"], curves["outlier"], color="crimson", lw=1.3)
    ax.axvline(gf, color="tab:blue", ls=":", lw=1.2)
    ax.axhline(0, color="grey", lw=0.6)
    for time in times:
        rows = measured[measured["time"] == time]
        colour = time_colours[time]
        for column in ["lowest", "second_lowest"] + ([] if zoom else ["highest"]):
            ax.plot(rows["inv_delta2"], rows[column], marker=MARKERS[column], ls="none", color=colour, ms=3.5)
        for column in ["theory_lower_edge", "theory_outlier"] + ([] if zoom else ["theory_upper_edge"]):
            ax.plot(rows["inv_delta2"], rows[column], marker="o", mfc="none", ls="none", color=colour, ms=6, mew=0.7)
    ax.set_xlabel(r"$1/\Delta_2$")
    if zoom:
        ax.set_ylim(-0.8, 0.6)
        ax.set_title("bottom of the spectrum")
    else:
        ax.set_title(f"Hessian, p = {p}, $\\Delta_p$ = {delta_p:g}, flow: {measured['flow'].iloc[0]}")
axes[0].set_ylabel("eigenvalue")

# one measured state in full: the largest 1/Δ2 at the last time
state = measured[(measured["time"] == times[-1])].sort_values("inv_delta2").iloc[-1]
values = eigenvalues[(eigenvalues["inv_delta2"] == state["inv_delta2"]) & (eigenvalues["time"] == state["time"])
                     & (eigenvalues["seed"] == state["seed"])].sort_values("eigenvalue")
ax = axes[2]
ax.hist(values["eigenvalue"], bins=40, density=True, color="0.6")
ax.plot(values["eigenvalue"], values["semicircle_density"], color="black", lw=1.1)
if pd.notna(state["theory_outlier"]):
    ax.axvline(state["theory_outlier"], color="crimson", lw=1.1)
ax.axvline(state["lowest"], color="crimson", ls="--", lw=0.8)
ax.set_xlabel("eigenvalue")
ax.set_ylabel("density")
ax.set_title(f"$1/\\Delta_2$ = {state['inv_delta2']:g}, t = {state['time']:g}, m = {state['overlap']:.2f}")
handles = [Patch(color="0.85", label="bulk of the threshold states"),
           Line2D([], [], color="crimson", lw=1.3, label="their BBP outlier"),
           Line2D([], [], color="tab:blue", ls=":", lw=1.2, label=r"$1/\Delta_2^{\rm GF}$"),
           *[Line2D([], [], color="0.3", marker=marker, ls="none", ms=3.5, label=f"measured: {column.replace('_', '-')}")
             for column, marker in MARKERS.items()],
           Line2D([], [], color="0.3", marker="o", mfc="none", ls="none", ms=6, mew=0.7,
                  label="theory at the measured (m, μ)"),
           *[Patch(color=time_colours[time], label=f"t = {time:g}") for time in times],
           Patch(color="0.6", label=f"right: spectrum, N = {state['n']:g}"),
           Line2D([], [], color="black", lw=1.1, label="right: semicircle at its μ"),
           Line2D([], [], color="crimson", ls="--", lw=0.8, label="right: lowest eigenvalue")]
fig.legend(handles=handles, loc="outside lower center", ncols=3)
save_figure(fig, figure_stem)

# %% [markdown]
# Measured vs theory at each state's (m, μ): relative deviations of the bulk edges, and the lowest eigenvalue
# against the outlier where theory predicts one.

# %%
table = measured[["inv_delta2", "seed", "time", "overlap", "multiplier", "threshold_multiplier"]].copy()
table["lower edge: measured/theory - 1"] = measured["second_lowest"] / measured["theory_lower_edge"] - 1
table["upper edge: measured/theory - 1"] = measured["highest"] / measured["theory_upper_edge"] - 1
table["outlier: measured/theory - 1"] = measured["lowest"] / measured["theory_outlier"] - 1
table.round(4)
