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
# # The landscape map Σ(m, ε) with gradient-flow trajectories
#
# Top: energy-resolved Kac-Rice complexity of all stationary points, Σ(m, ε) = max_μ Σ(m, ε, μ)
# (theory.md §D.2), where it is positive. Bottom: zoom on the thin band around the threshold energy where
# **minima** exist, Σ_min(m, ε) = max over μ ≥ μ_c(m) (§D.1, §D.3), coloured where positive; elsewhere
# the stationary points are saddles. Markers: the threshold states at m = 0 (energies ε_A and ε_B of §D.4)
# and the good minimum (§D.5). Lines: finite-N gradient-flow trajectories (m(t), ε(t)) from the simulation
# stage at the same (p, Δp, 1/Δ2). At these N a run starts at m(0) ~ N^-1/2 and the runs drawn here,
# below the GF threshold as above it, leave m ≈ 0 within the simulated time: the large-N plateau among
# the marginal states (figure `dynamics`) is not what a finite-N run from a random start shows. Above the
# threshold they end near the good minimum; for odd p some runs go to m < 0 (§A.5), where spurious minima
# survive longer. Data: `bigbadminima landscape-map-table`, `results/tables/simulation.csv`. This notebook
# only plots.

# %% tags=["parameters"]
table = "results/tables/landscape_map.csv"
zoom = "results/tables/landscape_map_zoom.csv"
points = "results/tables/landscape_points.csv"
trajectories = "results/tables/simulation.csv"
figure_stem = "results/figures/landscape_map"

# %%
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd
import seaborn as sns

from bigbadminima.plotting import new_figure, plain, save_figure, set_style

set_style()
landscape = pd.read_csv(table)
zoomed = pd.read_csv(zoom)
reference = pd.read_csv(points)
runs = pd.read_csv(trajectories)
p, delta_p = landscape["p"].iloc[0], landscape["delta_p"].iloc[0]
values = sorted(landscape["inv_delta2"].unique())
# trajectories at the map's (p, Δp) and 1/Δ2 (numbers compared after rounding: they come from the configs)
runs = runs[(runs["p"] == p) & np.isclose(runs["delta_p"], delta_p)]
runs = runs.assign(key=runs["inv_delta2"].round(8))
counts = runs.drop_duplicates(["key", "n", "seed", "replica"]).groupby(["key", "n"]).size()
print(f"maps: p={p}, Δp={delta_p:g}, 1/Δ2={plain(values)}; trajectories per (1/Δ2, N): {plain(counts.to_dict())}")


# %%
def draw_map(ax, grid, column, cmap):
    """Heat map of ``column`` where it is positive."""
    surface = grid.pivot(index="energy", columns="overlap", values=column)
    return ax.pcolormesh(surface.columns, surface.index, surface.where(surface > 0).to_numpy(), cmap=cmap,
                         shading="nearest", vmin=0, rasterized=True)


def draw_overlays(ax, value, on_map, colours, legend):
    for _, state in reference[np.isclose(reference["inv_delta2"], value)].iterrows():
        marker = "*" if state["state"] == "good minimum" else ("o" if "ε_A" in state["state"] else "s")
        ax.plot(state["overlap"], state["energy"], marker=marker, color="tab:cyan", mec="black", ls="none",
                ms=8 if marker == "*" else 4.5, mew=0.6, label=state["state"] if legend else None)
    labelled = set()
    for (n, seed, replica), path in on_map.groupby(["n", "seed", "replica"]):
        path = path.sort_values("time")
        ax.plot(path["overlap"], path["energy"], color=colours[n], lw=0.6, alpha=0.8,
                label=f"GF, N = {n}" if (legend and n not in labelled) else None)
        labelled.add(n)


sizes = sorted(runs["n"].unique())
colours = dict(zip(sizes, sns.color_palette("dark", len(sizes))))
fig, axes = new_figure("page", 6.0, nrows=2, ncols=len(values), squeeze=False)
thousandths = matplotlib.ticker.FuncFormatter(lambda value, _: f"{1e3 * value:g}")  # no offset text
for column, value in enumerate(values):
    on_map = runs[runs["key"] == round(value, 8)]
    top, bottom = axes[0, column], axes[1, column]
    grid = landscape[landscape["inv_delta2"] == value]
    mesh = draw_map(top, grid, "complexity_stationary", "magma_r")
    fig.colorbar(mesh, ax=top, label=r"$\Sigma(m,\varepsilon)$, stationary points")
    top.set_xlim(grid["overlap"].min(), grid["overlap"].max())
    top.set_ylim(grid["energy"].min(), grid["energy"].max())
    top.set_title(f"$1/\\Delta_2$ = {value:g}" + ("" if len(on_map) else " (no trajectories at this 1/Δ2)"))
    window = zoomed[zoomed["inv_delta2"] == value]
    top.add_patch(plt.Rectangle((window["overlap"].min(), window["energy"].min()), np.ptp(window["overlap"]),
                                np.ptp(window["energy"]), fill=False, ls="--", lw=0.8, color="0.3"))
    if (window["complexity_minima"] > 0).any():
        mesh = draw_map(bottom, window, "complexity_minima", "viridis")
        fig.colorbar(mesh, ax=bottom, format=thousandths, label=r"$10^3\,\Sigma_{\rm min}(m,\varepsilon)$, minima")
    else:
        bottom.text(0.5, 0.9, "no minima in this window", transform=bottom.transAxes, ha="center")
    surface = window.pivot(index="energy", columns="overlap", values="complexity_stationary")
    bottom.contour(surface.columns, surface.index, surface.to_numpy(), levels=[0.0], colors="0.4", linewidths=0.8)
    bottom.set_xlim(window["overlap"].min(), window["overlap"].max())
    bottom.set_ylim(window["energy"].min(), window["energy"].max())
    bottom.set_title("zoom on the dashed box: minima")
    for ax, legend in ((top, column == len(values) - 1), (bottom, False)):
        draw_overlays(ax, value, on_map, colours, legend)
        ax.set_xlabel("overlap $m$")
    top.set_ylabel(r"energy per site $\varepsilon$")
    bottom.set_ylabel(r"energy per site $\varepsilon$")
handles, labels = axes[0, -1].get_legend_handles_labels()
handles.append(plt.Line2D([], [], color="0.4", lw=0.8, label="Σ = 0 of all stationary points (zoom)"))
fig.legend(handles=handles, loc="outside lower center", ncols=3)
fig.suptitle(f"Landscape map, p = {p}, $\\Delta_p$ = {delta_p:g}")
save_figure(fig, figure_stem)

# %% [markdown]
# Reference states drawn on the maps:

# %%
reference
