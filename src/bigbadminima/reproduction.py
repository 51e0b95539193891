"""Reproduction checks: every number behind a figure against theory, within a stated tolerance.

Convention (one per stage, so stages plug in without changing this module)
--------------------------------------------------------------------------
A stage that checks numbers writes a *checks table* ``results/checks/<stage>.csv`` with one
row per checked quantity and the columns

==================  ==========================================================================
figure              the figure the number belongs to (its stem in ``results/figures/``)
quantity            what is compared, in words (``final overlap m of escaped runs``)
parameters          the point of parameter space, in words (``p=3, Δp=1, 1/Δ2=2.5, N=256``)
expected            the reference value
expected_source     where it comes from: closed form + theory.md section, or independent method
reproduced          the value the pipeline produced (NaN when nothing could be measured: fails)
tolerance           the largest accepted deviation (> 0)
tolerance_reason    why that tolerance (finite N, step size, statistics... with numbers)
tolerance_kind      optional: ``absolute`` (default) or ``relative`` (to ``|expected|``)
==================  ==========================================================================

and appends the file to ``CHECK_TABLES`` in its ``workflow/rules/<stage>.smk``. The rule
``reproduction`` (workflow/rules/audit.smk) gathers every checks table into
``results/reproduction.csv`` (plus ``results/reproduction.md``), adding

* ``stage``: the checks table's file stem,
* ``deviation`` = |reproduced − expected| (divided by |expected| for relative rows),
* ``margin`` = tolerance − deviation (in the tolerance's units; ≥ 0 passes),
* ``passed`` = deviation ≤ tolerance (False when reproduced is NaN).

The table is always written, so that a failing row can be inspected; the rule
``reproduction_verdict`` then fails the run when any row failed.

This module also holds the checks of the finite-N simulation stage (:func:`simulation_checks`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .landscape import gf_threshold, good_minimum
from .params import ModelParams

__all__ = [
    "CHECK_COLUMNS",
    "RESULT_COLUMNS",
    "CheckTableError",
    "check_row",
    "evaluate_checks",
    "markdown_report",
    "reproduction_table",
    "simulation_checks",
    "validate_checks",
]

CHECK_COLUMNS = [
    "figure", "quantity", "parameters", "expected", "expected_source",
    "reproduced", "tolerance", "tolerance_reason",
]
TOLERANCE_KINDS = ("absolute", "relative")
RESULT_COLUMNS = ["stage", *CHECK_COLUMNS, "tolerance_kind", "deviation", "margin", "passed"]
_TEXT_COLUMNS = ["figure", "quantity", "parameters", "expected_source", "tolerance_reason"]


class CheckTableError(ValueError):
    """A checks table that does not follow the convention (missing column, bad tolerance...)."""


def check_row(
    figure: str,
    quantity: str,
    parameters: str,
    expected: float,
    expected_source: str,
    reproduced: float,
    tolerance: float,
    tolerance_reason: str,
    tolerance_kind: str = "absolute",
) -> dict:
    """One row of a checks table (validated like a whole table by :func:`validate_checks`)."""
    row = {
        "figure": figure, "quantity": quantity, "parameters": parameters, "expected": expected,
        "expected_source": expected_source, "reproduced": reproduced, "tolerance": tolerance,
        "tolerance_reason": tolerance_reason, "tolerance_kind": tolerance_kind,
    }
    validate_checks(pd.DataFrame([row]), "check_row")
    return row


def validate_checks(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The checks table ``frame`` (read from ``source``) with ``tolerance_kind`` filled in; raises on violations."""
    missing = [column for column in CHECK_COLUMNS if column not in frame.columns]
    if missing:
        raise CheckTableError(f"checks table {source} lacks the columns {missing}")
    frame = frame.copy()
    if "tolerance_kind" not in frame.columns:
        frame["tolerance_kind"] = "absolute"
    frame["tolerance_kind"] = frame["tolerance_kind"].fillna("absolute")
    unknown = sorted(set(frame["tolerance_kind"]) - set(TOLERANCE_KINDS))
    if unknown:
        raise CheckTableError(f"checks table {source}: tolerance_kind must be one of {TOLERANCE_KINDS}, got {unknown}")
    for column in _TEXT_COLUMNS:
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise CheckTableError(f"checks table {source}: empty {column!r} in row(s) {list(np.flatnonzero(blank))}")
    for column in ("expected", "reproduced", "tolerance"):
        values = pd.to_numeric(frame[column], errors="coerce")
        unreadable = values.isna() & frame[column].notna()
        if unreadable.any():
            raise CheckTableError(f"checks table {source}: {column!r} is not a number in row(s) {list(np.flatnonzero(unreadable))}")
        frame[column] = values.astype(float)
    if not np.isfinite(frame["expected"]).all():
        raise CheckTableError(f"checks table {source}: every 'expected' value must be a finite number")
    if not (np.isfinite(frame["tolerance"]) & (frame["tolerance"] > 0)).all():
        raise CheckTableError(f"checks table {source}: every 'tolerance' must be a finite number > 0")
    relative = frame["tolerance_kind"] == "relative"
    if (relative & (frame["expected"] == 0)).any():
        raise CheckTableError(f"checks table {source}: a relative tolerance needs a non-zero expected value")
    return frame


def evaluate_checks(frame: pd.DataFrame) -> pd.DataFrame:
    """Add deviation = |reproduced − expected| (/|expected| if relative), margin = tolerance − deviation, passed."""
    frame = frame.copy()
    deviation = (frame["reproduced"] - frame["expected"]).abs()
    relative = frame["tolerance_kind"] == "relative"
    deviation[relative] = deviation[relative] / frame.loc[relative, "expected"].abs()
    frame["deviation"] = deviation
    frame["margin"] = frame["tolerance"] - deviation
    frame["passed"] = (deviation <= frame["tolerance"]).fillna(False).astype(bool)
    return frame


def reproduction_table(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """All checks tables ({stage: table}) validated, evaluated and stacked, stages in sorted order."""
    if not tables:
        raise CheckTableError("no checks tables given")
    frames = []
    for stage in sorted(tables):
        frame = validate_checks(tables[stage], stage)
        frame.insert(0, "stage", stage)
        frames.append(frame)
    return evaluate_checks(pd.concat(frames, ignore_index=True))[RESULT_COLUMNS]


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "pass" if value else "**FAIL**"
    if isinstance(value, (float, np.floating)):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_report(table: pd.DataFrame) -> str:
    """The reproduction table as Markdown: a verdict line, then one section per figure."""
    failed = int((~table["passed"]).sum())
    verdict = "all rows pass" if failed == 0 else f"**{failed} row(s) FAIL**"
    lines = [
        "# Reproduction checks",
        "",
        f"{len(table)} checked quantities from {table['stage'].nunique()} stage(s): {verdict}. "
        "deviation = |reproduced − expected| (relative rows: divided by |expected|); "
        "margin = tolerance − deviation (≥ 0 passes).",
    ]
    shown = ["quantity", "parameters", "expected", "reproduced", "tolerance", "tolerance_kind",
             "margin", "passed", "expected_source", "tolerance_reason"]
    for figure, rows in table.groupby("figure", sort=True):
        lines += ["", f"## {figure}", "", "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
        lines += ["| " + " | ".join(_cell(row[column]) for column in shown) + " |" for _, row in rows.iterrows()]
    return "\n".join(lines) + "\n"


# --- checks of the finite-N simulation stage (theory.md §B, §D.5, §D.6) -----------------------

#: Figure the finite-N checks belong to (results/figures/gradient_flow.png).
SIMULATION_FIGURE = "gradient_flow"

#: Scale c of the instance-to-instance spread of the finite-N end-point overlap, sd(m) ≈ c/√N.
#: Measured: sd(m)·√N = 0.46, 0.37, 0.91 at N = 32, 64, 128 (1/Δ2 = 2.5) and 0.27, 0.55 at
#: N = 64, 128 (1/Δ2 = 3), 12-20 instances x 4 starts each, t = 100, p = 3, Δp = 1; the mean
#: over instances deviated from m* by at most 0.027 (N = 128, within its own standard error).
#: c = 1 bounds every measured spread.
END_POINT_SPREAD = 1.0
#: Standard errors allowed between the mean end-point overlap and m* (a 3σ test).
STANDARD_ERRORS = 3.0

#: Largest accepted rise of ε between consecutive recorded times. Gradient flow only descends
#: (dε/dt = −|P∇ℒ|²/N); the table stores 12 significant digits, so ε (|ε| ≲ 3) is rounded by
#: ≤ 2e-12, and a resolved RK4 step descends too (measured rise: 0 on the ci runs). 1e-9 is 500x
#: that rounding. A flow field that is not the descent direction (a sign or a projection error)
#: raises ε by O(1); a step too large is stopped earlier by the integrator's norm guard.
ENERGY_RISE_TOLERANCE = 1e-9

_RUN = ["p", "delta_p", "n", "inv_delta2", "seed", "replica"]


def _final_points(trajectories: pd.DataFrame) -> pd.DataFrame:
    last = trajectories.groupby(_RUN)["time"].transform("max")
    return trajectories[trajectories["time"] == last]


def _point(p, delta_p, inv_delta2=None, n=None) -> str:
    words = [f"p={p:g}", f"Δp={delta_p:g}"]
    if inv_delta2 is not None:
        words.append(f"1/Δ2={inv_delta2:g}")
    if n is not None:
        words.append(f"N={n:g}")
    return ", ".join(words)


def _end_point_rows(final: pd.DataFrame, p: int, delta_p: float) -> list[dict]:
    """m at the end of the runs that escaped, vs m* (§D.5), at the largest N, for 1/Δ2 above 1/Δ2^GF (§D.6)."""
    threshold = gf_threshold(p, delta_p)
    n = final["n"].max()
    rows = []
    for inv_delta2, runs in final[(final["n"] == n) & (final["inv_delta2"] > threshold)].groupby("inv_delta2"):
        minimum = good_minimum(ModelParams.from_inv_delta2(p, inv_delta2, delta_p))
        escaped = runs[runs["overlap"] > minimum.m / 2]
        per_instance = escaped.groupby("seed")["overlap"].mean()
        instances = max(len(per_instance), 1)
        tolerance = STANDARD_ERRORS * END_POINT_SPREAD / math.sqrt(n * instances)
        rows.append(check_row(
            figure=SIMULATION_FIGURE,
            quantity="final overlap m of the runs that escaped (m > m*/2), mean over instances",
            parameters=f"{_point(p, delta_p, inv_delta2, n)}, t={runs['time'].max():g}; "
            f"{len(escaped)}/{len(runs)} runs escaped, on {len(per_instance)}/{runs['seed'].nunique()} instances",
            expected=minimum.m,
            expected_source="m*: largest root of f'(m)²(1−m²) = m² f'(1), theory.md §D.5 (landscape.good_minimum)",
            reproduced=per_instance.mean() if len(per_instance) else math.nan,
            tolerance=tolerance,
            tolerance_reason=f"finite N: end points spread by sd(m) ≤ {END_POINT_SPREAD:g}/√N over instances "
            f"(measured at N=32-128), so {STANDARD_ERRORS:g} standard errors of the mean over "
            f"{instances} instance(s) = {STANDARD_ERRORS:g}/√(N·instances)",
        ))
    return rows


def _energy_rise_row(trajectories: pd.DataFrame, p: int, delta_p: float) -> dict:
    rises = trajectories.sort_values([*_RUN, "time"]).groupby(_RUN)["energy"].diff()
    largest = max(float(rises.max()) if rises.notna().any() else 0.0, 0.0)
    return check_row(
        figure=SIMULATION_FIGURE,
        quantity="largest rise of the energy ε between recorded times, over all runs (0 if none)",
        parameters=f"{_point(p, delta_p)}, {trajectories.groupby(_RUN).ngroups} runs",
        expected=0.0,
        expected_source="gradient flow descends: dε/dt = −|P∇ℒ|²/N ≤ 0, theory.md §B.1",
        reproduced=largest,
        tolerance=ENERGY_RISE_TOLERANCE,
        tolerance_reason="CSV rounding of ε (12 significant digits, ≤ 2e-12) with a 500x margin; "
        "a resolved RK4 step descends (measured rise 0)",
    )


def simulation_checks(trajectories: pd.DataFrame) -> pd.DataFrame:
    """Checks table of the finite-N gradient-flow stage (one table of trajectories, as aggregated).

    * per (p, Δp) and 1/Δ2 > 1/Δ2^GF (theory.md §D.6), at the largest N: the mean over instances
      of the final overlap of the runs that escaped the m ≈ 0 plateau (m > m*/2; the others are
      still on it or went to the m < 0 side, §A.5) against m* (§D.5);
    * per (p, Δp): the energy never rises (§B.1).
    """
    rows = []
    for (p, delta_p), group in trajectories.groupby(["p", "delta_p"], sort=True):
        rows += _end_point_rows(_final_points(group), int(p), float(delta_p))
        rows.append(_energy_rise_row(group, int(p), float(delta_p)))
    return pd.DataFrame(rows, columns=[*CHECK_COLUMNS, "tolerance_kind"])
