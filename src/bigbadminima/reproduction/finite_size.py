"""Checks of the finite-size stage (figure finite_size; theory.md §B.2, §C, §D.5, §D.6).

Read from the stage's tables (``finite-size-summary --points-out``, ``--midpoints-out``, ``--slopes-out``).
What they check: the success criterion means "in the good minimum's basin" (the successful runs end at m*);
the large-N references drawn beside the data are the CHSCK solutions (they end at m*, within the solver's
error); and where P(success) crosses ½ at the largest N, against where the large-N curve from the typical
m(0) starts to succeed by t_h (a prediction with no free parameter).

Not a check, a finding reported by the figure and docs/dynamics.md, section 6: at N = 64…256 the median escape time
grows with ln N far more slowly than the large-N curves from the typical m(0) (and than b∞ = 1/(2λ∞)).
"""

from __future__ import annotations

import math

import pandas as pd

from ..landscape import good_minimum
from ..params import ModelParams
from .table import check_row, checks_frame, describe_point

#: Figure of the stage (results/figures/finite_size.png).
FINITE_SIZE_FIGURE = "finite_size"
#: The large-N curve may end this many times its own largest half-resolution error estimate away from m*:
#: the estimate bounds the scheme's error at the resolution run (docs/dynamics.md), and the curves measured
#: at t_h ≥ 17 lie within 2e-5 of m* (the approach to the minimum is exponential, rate ~ its Hessian gap).
CURVE_ERROR_FACTOR = 10.0


def _interval_side(value: float, low: float, high: float, expected: float) -> float:
    """Half-width of the interval [low, high] around ``value`` on the side of ``expected``."""
    return (high - value) if expected > value else (value - low)


def finite_size_checks(points: pd.DataFrame, midpoints: pd.DataFrame, slopes: pd.DataFrame) -> pd.DataFrame:
    """At the largest N, for every 1/Δ2 above 1/Δ2^GF: the median end overlap of the successful runs against m*
    (inside its cluster-bootstrap interval), and the end of the large-N curve from the typical m(0) against m*
    (within its error estimate); and the midpoint 1/Δ2_c at the largest N against the large-N one, where the
    large-N curve's midpoint lies inside the grid (elsewhere the grid cannot place it)."""
    threshold = float(slopes["gf_threshold_inv_delta2"].iloc[0])
    largest = points[points["n"] == points["n"].max()]
    rows = []
    for row in largest[largest["inv_delta2"] > threshold].itertuples():
        p, delta_p, n = int(row.p), float(row.delta_p), int(row.n)
        m_star = good_minimum(ModelParams.from_inv_delta2(p, float(row.inv_delta2), delta_p)).m
        point = (f"{describe_point(p, delta_p, row.inv_delta2, n)}, t_h={row.horizon:g}; {row.successes}/{row.runs} "
                 f"runs succeeded on {row.instances} instances")
        source = "m*: largest root of f'(m)²(1−m²) = m² f'(1), theory.md §D.5 (landscape.good_minimum)"
        side = _interval_side(row.success_overlap_median, row.success_overlap_median_low,
                              row.success_overlap_median_high, m_star)
        measured = math.isfinite(side) and side > 0
        rows.append(check_row(
            FINITE_SIZE_FIGURE, "median end overlap m(t_h) of the successful runs (escaped to m > 0, stayed ≥ ½ m*)",
            point, m_star, source, row.success_overlap_median if measured else math.nan, side if measured else 1.0,
            f"the {100 * row.confidence:g} % cluster-bootstrap interval of that median (instances resampled), on "
            "the side of m*: it holds the instance-to-instance spread of the finite-N minimum"
            + ("" if measured else "; not measurable (too few successes or instances): fails"),
        ))
        error = row.large_n_overlap_error
        estimated = math.isfinite(error) and error > 0
        rows.append(check_row(
            FINITE_SIZE_FIGURE, "end overlap m(t_h) of the large-N curve from the typical m(0) = Φ⁻¹(3/4)/√N",
            f"{describe_point(p, delta_p, row.inv_delta2, n)}, m(0)={row.typical_m0:.4g}, t_h={row.horizon:g}",
            m_star, source, row.large_n_final_overlap if estimated else math.nan,
            CURVE_ERROR_FACTOR * error if estimated else 1.0,
            f"{CURVE_ERROR_FACTOR:g} x the curve's largest half-resolution error estimate of m "
            + (f"({error:.1e}; docs/dynamics.md)" if estimated else "(missing: the curve has no estimate; fails)"),
        ))
    rows.extend(_midpoint_rows(midpoints))
    return checks_frame(rows)


def _midpoint_rows(midpoints: pd.DataFrame) -> list[dict]:
    """The measured midpoint at the largest N inside its bootstrap interval around the large-N midpoint."""
    row = midpoints.loc[midpoints["n"].idxmax()]
    expected = float(row["large_n_midpoint"])
    if not math.isfinite(expected):
        return []
    value, low, high = (float(row[name]) for name in ("midpoint", "midpoint_low", "midpoint_high"))
    # an interval end off the grid (±inf) is not resolved by the grid: the other end's half-width stands in
    # for it (the bootstrap distribution of a crossing is close to symmetric where both ends are resolved)
    if math.isfinite(value) and math.isinf(low) != math.isinf(high):
        half_width = (high - value) if math.isinf(low) else (value - low)
        low, high = value - half_width, value + half_width
    side = _interval_side(value, low, high, expected)
    measured = math.isfinite(value) and math.isfinite(side) and side > 0
    return [check_row(
        FINITE_SIZE_FIGURE, "midpoint 1/Δ2_c where P(success by t_h) crosses ½ (linear between grid points)",
        f"{describe_point(int(row['p']), float(row['delta_p']), n=int(row['n']))}, t_h={row['horizon']:g} "
        f"= {row['horizon_per_log_n']:g} ln N",
        expected, "the large-N (CHSCK, theory.md §C) curve from the typical m(0) = Φ⁻¹(3/4)/√N escapes and stays "
        "by t_h above it: halfway between the grid points where it fails and succeeds",
        value if measured else math.nan, side if measured else 1.0,
        f"the {100 * row['confidence']:g} % cluster-bootstrap interval of the midpoint (instances resampled), on "
        "the side of the large-N midpoint (an end off the grid replaced by the other end's half-width)"
        + ("" if measured else "; the midpoint is off the grid: fails"),
    )]
