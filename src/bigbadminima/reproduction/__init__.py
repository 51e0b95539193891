"""Reproduction checks: every number behind a figure against theory, within a stated tolerance.

One module per stage declares all of that stage's checks, and one command writes them:

==============  ==========================  =======================================================
stage           module                      command (rule) → checks table
==============  ==========================  =======================================================
simulation      ``reproduction.simulation``  ``check-simulation`` → ``results/checks/simulation.csv``
dynamics        ``reproduction.dynamics``    ``check-dynamics`` → ``results/checks/dynamics.csv``
landscape       ``reproduction.landscape``   ``check-landscape`` → ``results/checks/landscape.csv``
convergence     ``reproduction.convergence`` ``check-convergence`` → ``results/checks/convergence.csv``
finite_size     ``reproduction.finite_size`` ``check-finite_size`` → ``results/checks/finite_size.csv``
==============  ==========================  =======================================================

A checks table has one row per checked quantity and the columns

==================  ==========================================================================
figure              the figure the number belongs to (its stem in ``results/figures/``)
quantity            what is compared, in words (``final overlap m of escaped runs``)
parameters          the point of parameter space, in words (``p=3, Δp=1, 1/Δ2=2.5, N=256``)
expected            the reference value
expected_source     where it comes from: closed form + theory.md section, or independent method
reproduced          the value the pipeline produced (NaN when nothing could be measured: fails)
tolerance           the largest accepted deviation (> 0)
tolerance_reason    why that tolerance (measured spread, the method's error... with numbers)
tolerance_kind      optional: ``absolute`` (default) or ``relative`` (to ``|expected|``)
==================  ==========================================================================

and its rule appends the file to ``CHECK_TABLES`` in ``workflow/rules/<stage>.smk``. The rule
``reproduction`` (workflow/rules/audit.smk) gathers every checks table into
``results/reproduction.csv`` (plus ``.md`` and ``.html``), adding

* ``stage``: the checks table's file stem,
* ``deviation`` = |reproduced − expected| (divided by |expected| for relative rows),
* ``margin`` = tolerance − deviation (in the tolerance's units; ≥ 0 passes),
* ``passed`` = deviation ≤ tolerance (False when reproduced is NaN).

The table is always written, so that a failing row can be inspected; the rule
``reproduction_verdict`` then fails the run when any row failed. The stage modules read only the
tables the pipeline writes (never a CLI's internals), and each has a test that plants a physically
plausible error in those tables and sees its rows fail.
"""

from .convergence import convergence_checks
from .dynamics import dynamics_checks
from .finite_size import finite_size_checks
from .landscape import landscape_checks
from .simulation import simulation_checks
from .table import (
    CHECK_COLUMNS,
    RESULT_COLUMNS,
    CheckTableError,
    check_row,
    evaluate_checks,
    html_report,
    markdown_report,
    reproduction_table,
    validate_checks,
)

__all__ = [
    "CHECK_COLUMNS",
    "RESULT_COLUMNS",
    "CheckTableError",
    "check_row",
    "convergence_checks",
    "dynamics_checks",
    "evaluate_checks",
    "finite_size_checks",
    "html_report",
    "landscape_checks",
    "markdown_report",
    "reproduction_table",
    "simulation_checks",
    "validate_checks",
]
