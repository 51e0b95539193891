"""From CHSCK runs to the numerical GF threshold: the tables of ``gf-threshold`` (theory.md §C.3, §C.5, §D.6).

* :func:`rate_limit_table`: per linear (m0 → 0⁺) run, λ(t) of log m and its extrapolation λ_∞ beside the
  BBP rate (θ − σ)²/θ of the threshold states (landscape.threshold_growth_rate), and the escape times the
  run predicts for small m0;
* :func:`threshold_table`: per (p, Δp), θ_c = 1/Δ2_GF from √(θ λ_∞) with its bootstrap interval
  (fits.threshold_from_rates), beside the closed form;
* :func:`escape_table`: escape times measured in full runs, predicted by the linear runs, and implied by
  the fit of √(θ λ_∞) (log(0.4/m0)/λ_∞);
* :func:`power_law_table`: the [PS]-style extrapolation t_esc = A (θ − θ_c)^(−γ) of fixed-m0 escape times,
  with the spread of θ_c when one point is left out (its model error; it is biased low, §C.3).

The definitions (escape level, growth rate, the fit) are those of :mod:`bigbadminima.fits`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import fits
from .landscape import gf_threshold, threshold_growth_rate
from .params import ModelParams

__all__ = ["escape_table", "power_law_table", "rate_limit_table", "threshold_table"]

#: Points of the growth-rate curve λ(t) per decade of t (the figure's curve, fits.growth_rate).
RATE_POINTS_PER_DECADE = 10
#: Points of the curves drawn from fits (the fitted divergence, the power law).
CURVE_POINTS = 60
#: The fitted divergence is drawn from θ_c + this fraction of the fitted range (it diverges at θ_c).
CURVE_START_FRACTION = 0.02


def rate_limit_table(runs: list[pd.DataFrame], t_min_fraction: float, escape_m0: list[float]):
    """(λ(t) table of every linear run, one row per run with λ_∞ ± error and predicted escape times).

    λ_∞ is fits.rate_limit of log m(t)/m0 on t ≥ t_min_fraction·t_max, with the run's Richardson error of
    log m (its ``overlap_error`` column in a linear run). Raises ValueError naming the run if it fails.
    """
    rate_rows, point_rows = [], []
    for frame in runs:
        first = frame.iloc[0]
        p, delta_p, theta = int(first["p"]), float(first["delta_p"]), float(first["inv_delta2"])
        t, log_ratio = frame["time"].to_numpy(), frame["log_overlap_ratio"].to_numpy()
        centres, rates = fits.growth_rate(t, log_ratio, RATE_POINTS_PER_DECADE)
        try:
            limit = fits.rate_limit(t, log_ratio, frame["overlap_error"].to_numpy(), t_min_fraction)
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"p={p}, Δp={delta_p:g}, 1/Δ2={theta:g}: rate extrapolation failed ({exc})") from exc
        closed = float(threshold_growth_rate(ModelParams.from_inv_delta2(p, theta, delta_p)))
        rate_rows.append(pd.DataFrame({
            "p": p, "delta_p": delta_p, "inv_delta2": theta, "time": centres, "rate": rates,
            "multiplier": np.interp(centres, t, frame["multiplier"].to_numpy()),
            "rate_inf": limit.rate_inf, "rate_inf_err": limit.rate_inf_err, "rate_exponent": limit.exponent,
            "rate_inf_closed_form": closed, "t_max": t[-1],
        }))
        point = {"p": p, "delta_p": delta_p, "inv_delta2": theta, "rate_inf": limit.rate_inf,
                 "rate_inf_err": limit.rate_inf_err, "rate_inf_closed_form": closed}
        for m0 in escape_m0:
            point[f"t_escape_linear_{m0:g}"] = fits.linear_escape_time(t, log_ratio, m0)
        point_rows.append(point)
    return pd.concat(rate_rows, ignore_index=True), pd.DataFrame(point_rows)


def threshold_table(points: pd.DataFrame, confidence: float, seed: int) -> pd.DataFrame:
    """One row per (p, Δp): the fitted θ_c with its interval, the closed form §D.6 and the fitted range."""
    rows = []
    for (p, delta_p), group in points.groupby(["p", "delta_p"], sort=True):
        fit = _threshold_fit(group, confidence, seed)
        closed = float(gf_threshold(int(p), float(delta_p)))
        rows.append({
            "p": int(p), "delta_p": float(delta_p), "inv_delta2_gf": fit.threshold, "ci_low": fit.ci_low,
            "ci_high": fit.ci_high, "closed_form": closed, "confidence": fit.confidence, "points": fit.points,
            "inv_delta2_min": group["inv_delta2"].min(), "inv_delta2_max": group["inv_delta2"].max(),
            "relative_deviation": (fit.threshold - closed) / closed,
        })
    return pd.DataFrame(rows)


def _threshold_fit(group: pd.DataFrame, confidence: float, seed: int) -> fits.ThresholdFit:
    first = group.iloc[0]
    try:
        return fits.threshold_from_rates(group["inv_delta2"], group["rate_inf"], group["rate_inf_err"],
                                         confidence=confidence, seed=seed)
    except ValueError as exc:
        raise ValueError(f"p={first['p']:g}, Δp={first['delta_p']:g}: threshold fit failed ({exc})") from exc


def escape_table(points: pd.DataFrame, thresholds: pd.DataFrame, curves: list[pd.DataFrame],
                 escape_m0: list[float]) -> pd.DataFrame:
    """Escape times (level fits.ESCAPE_LEVEL) by kind: "linear run" (predicted for each m0 of
    ``escape_m0``), "fit: log(0.4/m0)/λ_∞" (√(θλ_∞) fitted by a quadratic, drawn from just above θ_c) and
    "full run" (measured in the full-run tables ``curves``)."""
    rows = []
    for (p, delta_p), group in points.groupby(["p", "delta_p"], sort=True):
        threshold = float(thresholds.loc[(thresholds["p"] == p) & (thresholds["delta_p"] == delta_p),
                                         "inv_delta2_gf"].iloc[0])
        top = group["inv_delta2"].max()
        dense = np.linspace(threshold + CURVE_START_FRACTION * (top - threshold), top, CURVE_POINTS)
        usable = group[group["rate_inf"] > 0]
        coefficients = np.polyfit(usable["inv_delta2"], np.sqrt(usable["inv_delta2"] * usable["rate_inf"]),
                                  2 if len(usable) >= 4 else 1, w=1 / np.maximum(usable["rate_inf_err"], 1e-12))
        fitted_rate = np.polyval(coefficients, dense) ** 2 / dense
        for m0 in escape_m0:
            rows += [{"p": p, "delta_p": delta_p, "inv_delta2": row["inv_delta2"], "m0": m0,
                      "t_escape": row[f"t_escape_linear_{m0:g}"], "kind": "linear run"}
                     for _, row in group.iterrows()]
            rows += [{"p": p, "delta_p": delta_p, "inv_delta2": theta, "m0": m0,
                      "t_escape": math.log(fits.ESCAPE_LEVEL / m0) / rate, "kind": "fit: log(0.4/m0)/λ_∞"}
                     for theta, rate in zip(dense, fitted_rate)]
    for frame in curves:
        first = frame.iloc[0]
        rows.append({"p": int(first["p"]), "delta_p": float(first["delta_p"]),
                     "inv_delta2": float(first["inv_delta2"]), "m0": float(first["m0"]),
                     "t_escape": fits.escape_time(frame["time"], frame["overlap"]), "kind": "full run"})
    return pd.DataFrame(rows)


#: Escape times a power law t = A (θ − θ_c)^(−γ) needs (three parameters and one degree of freedom).
POWER_LAW_POINTS = 4


def power_law_table(escape: pd.DataFrame) -> pd.DataFrame:
    """[PS]-style θ_c per (p, Δp, m0, kind ∈ {full run, linear run}) with ≥ POWER_LAW_POINTS escape times:
    the fit on all of them, and the smallest and largest θ_c of the fits leaving one point out."""
    rows = []
    measured = escape[escape["kind"].isin(["full run", "linear run"])].dropna(subset=["t_escape"])
    for (p, delta_p, m0, kind), group in measured.groupby(["p", "delta_p", "m0", "kind"], sort=True):
        if len(group) < POWER_LAW_POINTS:
            continue
        theta, times = group["inv_delta2"].to_numpy(), group["t_escape"].to_numpy()
        theta_c, amplitude, gamma = fits.power_law_threshold(theta, times)
        left_out = ([fits.power_law_threshold(np.delete(theta, i), np.delete(times, i))[0] for i in range(len(theta))]
                    if len(theta) > POWER_LAW_POINTS else [theta_c])
        rows.append({"p": int(p), "delta_p": float(delta_p), "m0": float(m0), "kind": kind,
                     "inv_delta2_c": theta_c, "amplitude": amplitude, "exponent": gamma,
                     "leave_one_out_low": min(left_out), "leave_one_out_high": max(left_out),
                     "points": len(theta), "inv_delta2_min": theta.min(), "inv_delta2_max": theta.max(),
                     "closed_form": float(gf_threshold(int(p), float(delta_p)))})
    return pd.DataFrame(rows, columns=["p", "delta_p", "m0", "kind", "inv_delta2_c", "amplitude", "exponent",
                                       "leave_one_out_low", "leave_one_out_high", "points", "inv_delta2_min",
                                       "inv_delta2_max", "closed_form"])


def power_law_curves(escape: pd.DataFrame, power_laws: pd.DataFrame) -> pd.DataFrame:
    """The fitted power laws of the full runs as escape-table rows (kind "power law (θ_c = …)")."""
    frames = []
    for _, fit in power_laws[power_laws["kind"] == "full run"].iterrows():
        dense = np.linspace(fit["inv_delta2_min"], fit["inv_delta2_max"], CURVE_POINTS)
        frames.append(pd.DataFrame({
            "p": int(fit["p"]), "delta_p": fit["delta_p"], "inv_delta2": dense, "m0": fit["m0"],
            "t_escape": fit["amplitude"] * (dense - fit["inv_delta2_c"]) ** (-fit["exponent"]),
            "kind": f"power law (θ_c = {fit['inv_delta2_c']:.3f})",
        }))
    return pd.concat([escape, *frames], ignore_index=True)
