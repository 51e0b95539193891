"""The checks-table convention, the reproduction table built from the stages' tables, and its reports.

See the package docstring (``bigbadminima.reproduction``) for the columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

import numpy as np
import pandas as pd

CHECK_COLUMNS = [
    "figure", "quantity", "parameters", "expected", "expected_source",
    "reproduced", "tolerance", "tolerance_reason",
]
TOLERANCE_KINDS = ("absolute", "relative")
RESULT_COLUMNS = ["stage", *CHECK_COLUMNS, "tolerance_kind", "deviation", "margin", "passed"]
_TEXT_COLUMNS = ["figure", "quantity", "parameters", "expected_source", "tolerance_reason"]
#: Standard errors allowed between a mean over instances and its expected value (a 3σ test).
STANDARD_ERRORS = 3.0
#: Two-sided level of the Student-t interval of a mean over instances (:func:`mean_tolerance`), and the
#: fewest instances whose spread is measured rather than taken from a calibration.
SPREAD_LEVEL = 0.99
MEASURED_SPREAD_INSTANCES = 4


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


def _text(value) -> str:
    """One cell as plain text: pass/FAIL, numbers to 6 significant digits."""
    if isinstance(value, (bool, np.bool_)):
        return "pass" if value else "FAIL"
    if isinstance(value, (float, np.floating)):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    return str(value).replace("\n", " ")


#: Columns of the readable versions of the table, in order.
_SHOWN = ["quantity", "parameters", "expected", "reproduced", "tolerance", "tolerance_kind",
          "margin", "passed", "expected_source", "tolerance_reason"]
_LEGEND = ("deviation = |reproduced − expected| (relative rows: divided by |expected|); "
           "margin = tolerance − deviation (≥ 0 passes).")


def _verdict(table: pd.DataFrame) -> tuple[str, str]:
    """("62 checked quantities from 5 stage(s)", "all rows pass" or "3 row(s) FAIL")."""
    failed = int((~table["passed"]).sum())
    return (f"{len(table)} checked quantities from {table['stage'].nunique()} stage(s)",
            "all rows pass" if failed == 0 else f"{failed} row(s) FAIL")


def _markdown_cell(value) -> str:
    text = _text(value).replace("|", "\\|")
    return "**FAIL**" if text == "FAIL" and isinstance(value, (bool, np.bool_)) else text


def markdown_report(table: pd.DataFrame) -> str:
    """The reproduction table as Markdown: a verdict line, then one section per figure."""
    counted, outcome = _verdict(table)
    outcome = outcome if outcome == "all rows pass" else f"**{outcome}**"
    lines = ["# Reproduction checks", "", f"{counted}: {outcome}. {_LEGEND}"]
    for figure, rows in table.groupby("figure", sort=True):
        lines += ["", f"## {figure}", "", "| " + " | ".join(_SHOWN) + " |", "|" + "---|" * len(_SHOWN)]
        lines += ["| " + " | ".join(_markdown_cell(row[column]) for column in _SHOWN) + " |" for _, row in rows.iterrows()]
    return "\n".join(lines) + "\n"


def html_report(table: pd.DataFrame) -> str:
    """The reproduction table as one standalone HTML page (the report shows it inline): the verdict,
    then one table per figure; failed rows are marked."""
    counted, outcome = _verdict(table)
    style = ("body{font:13px/1.4 sans-serif;margin:1em}table{border-collapse:collapse;margin-bottom:1.5em}"
             "th,td{border:1px solid #ccc;padding:2px 6px;vertical-align:top}th{background:#eee}"
             "tr.fail td{background:#fdd}td.number{text-align:right;font-variant-numeric:tabular-nums}")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>Reproduction checks</title>',
             f"<style>{style}</style></head><body>", "<h1>Reproduction checks</h1>",
             f'<p class="verdict">{escape(counted)}: <b>{escape(outcome)}</b>. {escape(_LEGEND)}</p>']
    for figure, rows in table.groupby("figure", sort=True):
        parts += [f"<h2>{escape(str(figure))}</h2>", "<table>",
                  "<tr>" + "".join(f"<th>{escape(column)}</th>" for column in _SHOWN) + "</tr>"]
        for _, row in rows.iterrows():
            cells = "".join(
                f'<td class="number">{escape(_text(row[column]))}</td>'
                if isinstance(row[column], (float, np.floating)) else f"<td>{escape(_text(row[column]))}</td>"
                for column in _SHOWN)
            parts.append(f'<tr class="{"pass" if row["passed"] else "fail"}">{cells}</tr>')
        parts.append("</table>")
    return "\n".join([*parts, "</body></html>"]) + "\n"


def checks_frame(rows: list[dict]) -> pd.DataFrame:
    """The rows of one stage as its checks table (the convention's columns, in order, even when empty)."""
    return pd.DataFrame(rows, columns=[*CHECK_COLUMNS, "tolerance_kind"])


#: The papers' main point (p, Δp). A figure drawn again at another (p, Δp) is named
#: ``<figure>_p<p>_dp<Δp>`` (workflow/figures.yaml: dynamics_p4_dp4, zero_overlap_minima_p4_dp4).
MAIN_POINT = (3, 1.0)


def figure_at(figure: str, p, delta_p) -> str:
    """The figure that draws ``figure``'s quantity at (p, Δp): its own name at MAIN_POINT, else
    ``<figure>_p<p>_dp<Δp>``."""
    if (int(p), float(delta_p)) == MAIN_POINT:
        return figure
    return f"{figure}_p{p:g}_dp{delta_p:g}"


def describe_point(p, delta_p, inv_delta2=None, n=None) -> str:
    """A point of parameter space in words: ``p=3, Δp=1, 1/Δ2=2.5, N=256`` (the parts given)."""
    words = [f"p={p:g}", f"Δp={delta_p:g}"]
    if inv_delta2 is not None:
        words.append(f"1/Δ2={inv_delta2:g}")
    if n is not None:
        words.append(f"N={n:g}")
    return ", ".join(words)


def mean_tolerance(per_instance, calibrated: float, calibrated_reason: str) -> tuple[float, str]:
    """(tolerance, reason) for the mean over instances of a finite-N quantity against its N → ∞ value.

    With ≥ MEASURED_SPREAD_INSTANCES instances: the half-width t_{k−1}·sd/√k of the SPREAD_LEVEL Student-t
    interval of the mean, sd the measured spread over the k instances. With fewer (a small configuration),
    the spread cannot be measured and ``calibrated`` (with its ``calibrated_reason``) is used.
    """
    from scipy import stats

    values = np.asarray(per_instance, dtype=float)
    k = values.size
    if k < MEASURED_SPREAD_INSTANCES:
        return calibrated, (f"{calibrated_reason}; {k} instance(s), fewer than {MEASURED_SPREAD_INSTANCES}: "
                            "the calibrated spread, not a measured one")
    spread = float(np.std(values, ddof=1))
    quantile = float(stats.t.ppf(0.5 + SPREAD_LEVEL / 2, k - 1))
    return (max(quantile * spread / math.sqrt(k), 1e-15),  # identical instances accept only the exact value
            f"{100 * SPREAD_LEVEL:g} % Student-t interval of the mean over {k} instances, t·sd/√k = "
            f"{quantile:.2f} × {spread:.3g}/√{k} (sd measured over the instances)")
