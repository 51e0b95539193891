"""Checks of the finite-N → large-N convergence stage (figure convergence; theory.md §C.1, §C.4).

Read from the stage's summary table (``convergence-summary --summary-out``, one row per N).
"""

from __future__ import annotations

import pandas as pd

from .table import STANDARD_ERRORS, check_row, checks_frame

#: Figure of the stage (results/figures/convergence.png).
CONVERGENCE_FIGURE = "convergence"
#: Exponent of S(N) ∝ N^-a for the O(1/(m0√N)) fluctuations of a run (theory.md §C.4).
SPREAD_EXPONENT = 0.5


def convergence_checks(summary: pd.DataFrame) -> pd.DataFrame:
    """The large-N curve inside the simultaneous bootstrap band of the median trajectory at the largest N
    (Z = max_t |median − m_∞|/se ≤ its critical value), and the exponent a of the spread S(N) ∝ N^-a."""
    largest = summary.loc[summary["n"].idxmax()]
    point = (f"p={largest['p']:g}, Δp={largest['delta_p']:g}, 1/Δ2={largest['inv_delta2']:g}, "
             f"m0={largest['m0']:g}, t ≤ {largest['t_max']:g}")
    level = float(largest["band_level"])
    return checks_frame([
        check_row(
            CONVERGENCE_FIGURE, "Z = max over t of |median over runs of m_N(t) − m_∞(t)| / se(t), largest N "
            f"(D = {largest['deviation']:.4f} unstandardised)",
            f"{point}, N={int(largest['n'])}, {int(largest['instances'])} instances × "
            f"{int(largest['runs']) // int(largest['instances'])} starts",
            0.0, f"CHSCK solution from the same m0 (theory.md §C.1; `bigbadminima dynamics`, "
            f"{largest['curve_method']} scheme)", float(largest["standardised_deviation"]),
            float(largest["critical_value"]),
            f"simultaneous {100 * level:g} % cluster-bootstrap band of the median trajectory (instances "
            f"resampled; se(t) its bootstrap standard error), after the large-N Richardson error "
            f"({largest['curve_overlap_error']:.1e}); the median cancels the O(1/(m0√N)) fluctuation of a run "
            "at first order",
        ),
        check_row(
            CONVERGENCE_FIGURE, "exponent a of the spread S(N) = max_t interquartile range of m(t) across runs "
            "∝ N^-a", f"{point}, N = {int(largest['n_min'])}..{int(largest['n_max'])}",
            SPREAD_EXPONENT, "runs fluctuate by O(1/(m0√N)) about the large-N curve (theory.md §C.4)",
            float(largest["exponent"]), STANDARD_ERRORS * float(largest["exponent_standard_error"]),
            f"{STANDARD_ERRORS:g} cluster-bootstrap standard errors of the fitted exponent "
            f"({largest['exponent_standard_error']:.3f})",
        ),
    ])
