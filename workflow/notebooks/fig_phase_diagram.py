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
# Background: the Bayes-optimal regions (§E.3), impossible (red), hard (orange), easy (green), filled
# between their boundaries (black dash-dotted), which are computed as lines, to 1e-10 in 1/Δ2, at every Δp of
# the threshold grid: the information-theoretic line (Φ_RS of the informative fixed point equal to that of
# m = 0, or, above 1/Δ2 = 1 for p = 4, to that of the low branch), 1/Δ2 = 1 (m = 0 becomes unstable for Bayes
# AMP) and the spinodal of the low branch (p = 4: the top of the hard region). The inset enlarges the grey box:
# the neighbourhood of 1/Δ2 = 1 over the Δp where a hard region exists. Between two neighbouring Δp of the grid
# where the sequence of regions changes (a boundary starts or ends), each half is drawn at its own Δp's values.
# Points: the numerical GF threshold measured from the large-N (CHSCK) dynamics with its 95 % interval
# (rule `gf_threshold`, `bigbadminima.fits`), to be compared with the closed-form dotted line; beside them
# (drawn at 1.12 Δp so that the two do not overlap), open markers: the [PS]-style threshold (theory.md §C.5),
# the 1/Δ2 at which a power law t = A (1/Δ2 − x_c)^(−γ) fitted to the escape times of the m0 → 0⁺ runs
# (first passage of m = 0.4 from each m0 of the config: 1e-10, squares, and 1e-30, triangles) diverges, with
# the range of the fits that leave one point out (none where only the four escape times a fit needs exist; no
# point where fewer runs escape before their end; `bigbadminima.fits.power_law_threshold`). At fixed m0 that
# extrapolation is biased (theory.md §C.3): the escape happens while the growth rate is still above its limit.
# Data: `bigbadminima phase-diagram-tables` (rule `phase_diagram_tables`). This notebook only plots.

# %% tags=["parameters"]
thresholds = "results/tables/thresholds.csv"
boundaries = "results/tables/bayes_boundaries.csv"
numerical = "results/tables/gf_threshold_numerical.csv"
power_law = "results/tables/gf_threshold_power_law.csv"
figure_stem = "results/figures/phase_diagram"
inv_delta2_max = 5.0

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
lines = pd.read_csv(thresholds)
bayes = pd.read_csv(boundaries)
measured = pd.read_csv(numerical)
extrapolated = pd.read_csv(power_law)
extrapolated = extrapolated[extrapolated["kind"] == "linear run"]
# one open marker per m0 of the escape times (config dynamics.escape_m0), largest m0 first
PS_MARKERS = dict(zip(sorted(extrapolated["m0"].unique(), reverse=True), "s^vD<>"))
orders = sorted(lines["p"].unique())
print(f"thresholds: p={plain(orders)}, {lines['delta_p'].nunique()} values of Δp in "
      f"[{lines['delta_p'].min():g}, {lines['delta_p'].max():g}]; {len(bayes)} Bayes-optimal boundary points: "
      f"{plain(bayes.groupby(['p', 'boundary']).size().to_dict())}")

# %%
REGION_COLOURS = {"impossible": "#f2b8b0", "hard": "#f8dca6", "easy": "#cbe8c6"}
BOUNDARY_STYLE = dict(color="black", ls="-.", lw=0.8)
PS_OFFSET = 1.12  # the [PS]-style points are drawn at 1.12 Δp, beside the growth-rate points
LINE_STYLES = {  # as in [PS] Fig. 1
    "triv": dict(color="purple", ls="--", label=r"$1/\Delta_2^{\rm triv}$ (Kac-Rice)"),
    "gf": dict(color="tab:blue", ls=":", lw=1.8, label=r"$1/\Delta_2^{\rm GF}$ (closed form)"),
    "ml_amp": dict(color="c", ls="-", label=r"$1/\Delta_2^{\rm ML\text{-}AMP}$"),
}


def columns(table):
    """Per Δp (sorted): the boundary names and 1/Δ2 values, in increasing 1/Δ2."""
    return [(delta_p, tuple(group["boundary"]), group["inv_delta2"].to_numpy())
            for delta_p, group in table.sort_values(["delta_p", "inv_delta2"]).groupby("delta_p", sort=True)]


def runs(table):
    """Stretches of consecutive Δp with the same sequence of boundaries; each is widened to the geometric
    middle between its end columns and the neighbouring ones (where the sequence changes: a line ends),
    holding its end values there. Yields (x, names, values (points, boundaries))."""
    cols = columns(table)
    x = np.array([c[0] for c in cols])
    start = 0
    for stop in range(1, len(cols) + 1):
        if stop < len(cols) and cols[stop][1] == cols[start][1]:
            continue
        xs = list(x[start:stop])
        values = [cols[i][2] for i in range(start, stop)]
        if start > 0:
            xs.insert(0, np.sqrt(x[start - 1] * x[start]))
            values.insert(0, values[0])
        if stop < len(cols):
            xs.append(np.sqrt(x[stop - 1] * x[stop]))
            values.append(values[-1])
        yield np.array(xs), cols[start][1], np.array(values)
        start = stop


def draw_bayes(ax, table, top):
    """Fill the regions between the boundaries and draw the boundaries (lines through every Δp)."""
    for x, names, values in runs(table):
        regions = [names[0].split("|")[0]] + [name.split("|")[1] for name in names]
        edges = np.column_stack([np.zeros(len(x)), values, np.full(len(x), top)])
        for k, region in enumerate(regions):  # an edge of the fill's own colour hides seams between stretches
            ax.fill_between(x, edges[:, k], edges[:, k + 1], facecolor=REGION_COLOURS[region],
                            edgecolor=REGION_COLOURS[region], lw=0.6, zorder=0)
        for k in range(len(names)):
            ax.plot(x, values[:, k], **BOUNDARY_STYLE, zorder=1)


def inset_box(own_lines, own_points, x_range, top, bottom=0.55, height=0.42):
    """The inset's place (axes fraction) in the top right corner, to the right of every threshold line and
    measured point that rises above its bottom edge (its tick labels need about 0.08 more)."""
    floor = bottom * top
    above = np.concatenate([own_lines.loc[own_lines["inv_delta2"] > floor, "delta_p"],
                            own_points.loc[own_points["ci_high"] > floor, "delta_p"]])
    clear = np.log(above.max() / x_range[0]) / np.log(x_range[1] / x_range[0]) if above.size else 0.0
    left = min(max(0.45, clear + 0.1), 0.68)
    return [left, bottom, 0.98 - left, height]


fig, axes = new_figure("page", 3.0, ncols=len(orders), squeeze=False, sharey=True)
x_range = (lines["delta_p"].min(), lines["delta_p"].max())
top = inv_delta2_max  # the top of the 1/Δ2 range the boundaries were searched in
for ax, p in zip(axes[0], orders):
    own = bayes[bayes["p"] == p]
    draw_bayes(ax, own, top)
    for name, style in LINE_STYLES.items():
        subset = lines[(lines["p"] == p) & (lines["threshold"] == name)].sort_values("delta_p")
        ax.plot(subset["delta_p"], subset["inv_delta2"], **{"lw": 1.4, **style})
    points = measured[measured["p"] == p]
    ax.errorbar(points["delta_p"], points["inv_delta2_gf"],
                yerr=[points["inv_delta2_gf"] - points["ci_low"], points["ci_high"] - points["inv_delta2_gf"]],
                fmt="o", ms=3, color="navy", capsize=1.5, lw=0.8, zorder=5,
                label=r"$1/\Delta_2^{\rm GF}$, large-N dynamics (95 % CI)")
    for m0, marker in PS_MARKERS.items():
        fits = extrapolated[(extrapolated["p"] == p) & (extrapolated["m0"] == m0)]
        ax.errorbar(PS_OFFSET * fits["delta_p"], fits["inv_delta2_c"],
                    yerr=[fits["inv_delta2_c"] - fits["leave_one_out_low"],
                          fits["leave_one_out_high"] - fits["inv_delta2_c"]],
                    fmt=marker, ms=3.2, mfc="white", mec="darkred", ecolor="darkred", capsize=1.2, lw=0.7, zorder=5,
                    label=rf"[PS]-style: $t_{{\rm esc}}$ diverges, $m_0 = 10^{{{round(np.log10(m0))}}}$")
    ax.set_xscale("log")
    ax.set_xlim(*x_range)
    ax.set_ylim(0, top)
    ax.set_xlabel(r"$\Delta_p$")
    ax.set_title(f"p = {p}")
    # Inset: where the hard region ends, around 1/Δ2 = 1 (a thin band at this scale for p = 4), over the Δp
    # at which there is a hard region; the grey box on the main axes marks the enlarged area.
    hard = own[own["boundary"].str.contains("hard")]
    if not hard.empty:
        zoom_x = (x_range[0], min(x_range[1], 1.6 * hard["delta_p"].max()))
        zoom_y = (0.9, max(1.05, hard["inv_delta2"].max() + 0.02))
        inset = ax.inset_axes(inset_box(lines[lines["p"] == p], points, x_range, top))
        draw_bayes(inset, own, top)
        inset.set_xscale("log")
        inset.set_xlim(*zoom_x)
        inset.set_ylim(*zoom_y)
        ticks = [v for v in (0.1, 0.2, 0.3, 0.5, 1.0) if 1.2 * zoom_x[0] < v <= zoom_x[1]]
        inset.xaxis.set_major_locator(FixedLocator(ticks))
        inset.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        inset.xaxis.set_minor_formatter(NullFormatter())
        inset.tick_params(labelsize=7, length=2, pad=1)
        ax.add_patch(Rectangle((zoom_x[0], zoom_y[0]), zoom_x[1] - zoom_x[0], zoom_y[1] - zoom_y[0], fill=False,
                               edgecolor="0.35", lw=0.6, zorder=4))
axes[0, 0].set_ylabel(r"$1/\Delta_2$")
handles = list({label: handle for ax in axes[0] for handle, label in zip(*ax.get_legend_handles_labels())}.values())
handles += [Line2D([], [], **BOUNDARY_STYLE, label="Bayes-optimal boundaries")]
handles += [Patch(color=colour, label=f"Bayes-optimal: {name}") for name, colour in REGION_COLOURS.items()]
fig.legend(handles=handles, loc="outside lower center", ncols=4)
save_figure(fig, figure_stem)

# %% [markdown]
# The Bayes-optimal boundaries at a few Δp (values of 1/Δ2; "below|above" names the regions on each side):

# %%
picked = np.unique(bayes["delta_p"])[:: max(1, bayes["delta_p"].nunique() // 8)]
bayes[bayes["delta_p"].isin(picked)].sort_values(["p", "delta_p", "inv_delta2"]).round(6)

# %% [markdown]
# The three thresholds at a few Δp (values of 1/Δ2):

# %%
sample = lines.pivot_table(index=["p", "delta_p"], columns="threshold", values="inv_delta2").reset_index()
every = max(1, sample.groupby("p").size().max() // 6)
sample[sample.groupby("p").cumcount() % every == 0][["p", "delta_p", "ml_amp", "gf", "triv"]].round(4)

# %% [markdown]
# The measured thresholds side by side (1/Δ2): growth rates (with their 95 % interval), the [PS]-style
# power-law extrapolation of the escape times (with the leave-one-out range), and the closed form §D.6.

# %%
side = extrapolated.pivot_table(index=["p", "delta_p"], columns="m0", values="inv_delta2_c")
side.columns = [f"power law, m0={m0:g}" for m0 in side.columns]
summary = measured.set_index(["p", "delta_p"])[["inv_delta2_gf", "ci_low", "ci_high", "closed_form"]].join(side)
summary.round(4)
