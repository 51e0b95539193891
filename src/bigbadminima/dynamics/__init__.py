"""Large-N gradient-flow dynamics: the CHSCK equations of the (2+p) model (theory.md §C).

Order parameters C(t,t') = x(t)·x(t')/N, R(t,t') = response, m(t) = overlap with the signal,
μ(t) = spherical multiplier. With the covariance function f of theory.md §0 (always through
:class:`~bigbadminima.params.ModelParams`), for t > t' (theory.md §C.1)::

    ∂_t C(t,t') = -μ C(t,t') + f'(m(t)) m(t') + ∫_0^t R(t,s) f''(C(t,s)) C(t',s) ds
                  + ∫_0^t' f'(C(t,s)) R(t',s) ds
    ∂_t R(t,t') = -μ R(t,t') + ∫_t'^t R(t,s) f''(C(t,s)) R(s,t') ds
    dm/dt       = -μ m + f'(m) + ∫_0^t R(t,s) f''(C(t,s)) m(s) ds
    μ(t)        = T + m f'(m) + ∫_0^t R(t,s) [f'(C) + f''(C) C](t,s) ds
    ε(t)        = -f(m) - ∫_0^t R(t,s) f'(C(t,s)) ds

with C(t,t) = 1, C(0,0) = 1, m(0) = m0 > 0, R(t⁺,t) = 1. Gradient flow is T = 0.

Two solvers share one result type, :class:`DynamicsResult`:

``method="uniform"`` — the reference scheme (:mod:`.uniform`). Uniform grid t_i = i h,
Heun predictor-corrector in t, every memory integral by the trapezoid rule. Second order in h
because the quadratures use the left limit R(t, t⁻) = 1 at s = t (theory.md §C.3: the authors'
code uses R(t,t) = 0 there, which is first order). Memory O(n²), work O(n³) for n steps.

``method="doubling"`` — the long-time scheme (:mod:`.doubling`), T = 0 only. A Kim-Latz
window of N + 1 points (theory.md §C.2) whose step doubles each time it fills, so that t_max
costs O(N³ log t_max) work and O(N²) memory. Its pieces (details in docs/dynamics.md section 1):

* the response enters through the integrated response χ(t,t') = ∫_t'^t R(t,s) ds, its cell
  averages and the first moments of R in each cell, so that merging two cells is exact;
* *band*: the near-diagonal part of R (lags below ``band_cells``·h) is recomputed at every new
  time on a sub-grid fine near lag 0 and geometric further out, from the R equation in lag
  coordinates, corrected to second order in the age by the band's drift along the diagonal;
* the rest of each new row is implicit (BDF2 in t at fixed t', stiff diagonal terms and the
  multiplier implicit), solved by Anderson-accelerated fixed-point iteration, then
  Jacobian-free Newton-GMRES where that stalls;
* *band span*: the band's lag span Kb·h is capped at ``band_span``: past it each compression
  halves Kb (the kept bands then cover the new band exactly), down to ``MIN_BAND_CELLS``;
* *far cells*: the centroid of R in each cell is carried from row to row (not the trapezoid's
  1/2), so the exact moments of the band and of merged cells survive; *initial layer*: at each
  compression the first cell's centroid is recalibrated so that the μ integrand keeps its
  finer-grid value;
* the m quadrature and the m step are exact for m ∝ e^{κt} where m grows exponentially
  (:meth:`.row._RowMixin._local_growth`);
* *escape hold*: when doubling the step would give 2h·|dm/dt| > ``escape_bound`` (dm/dt
  extrapolated ``HOLD_HORIZON`` times the present time ahead), the window grows by N/2 rows at
  the same step instead (at most ``HOLD_LIMIT``·N rows) and the band doubles its cells (up to
  N/8); the compressions resume once m has settled.

Error control (theory.md §C.3, "always show convergence in h"): every run is repeated at half
the resolution (2h for the uniform scheme; window N/2, every sub-grid length doubled, for the
doubling scheme) and the error of m is estimated as |m - m_half| / 3 (second order), reported
column by column with the solution.

``linear=True`` solves the m0 → 0⁺ limit: C, R, μ follow the signal-free dynamics and m enters
linearly (f'(m) → m/Δ2, the O(m²) terms dropped); the result holds log(m(t)/m0), which stays
finite where m itself would saturate. Its slope is the growth rate used to locate the
gradient-flow threshold (theory.md §C.3, §D.6; :mod:`bigbadminima.fits`).

:func:`solve_chsck` refuses up front runs over the cost bounds ``MAX_MEMORY_BYTES``,
``MAX_UNIFORM_STEPS``, ``MAX_DOUBLINGS`` and ``MIN_DOUBLING_RESOLUTION``.

The modules (docs/dynamics.md section 5): :mod:`.api` (:func:`solve_chsck`, :data:`METHODS`),
:mod:`.result`, :mod:`.settings` (every knob), :mod:`.guards`, :mod:`.base` (:class:`~.base.Scheme`),
:mod:`.terms`, :mod:`.uniform`, :mod:`.quadrature`, :mod:`.band`, :mod:`.row`, :mod:`.nonlinear`,
:mod:`.policy`, :mod:`.window`, :mod:`.doubling`.

docs/dynamics.md holds the rest: every tuning knob with its meaning and how it scales with the
resolution, the measured accuracy, cost and limits, the pitfalls that shaped the scheme, and the
golden run (tests/data/golden/) that a change of the numerics must reproduce or regenerate.
"""

from __future__ import annotations

from .api import METHODS, _match_times, solve_chsck
from .band import _band_grid, _band_march, _BandStencils
from .doubling import _DoublingSolver
from .guards import MAX_DOUBLINGS, MAX_MEMORY_BYTES, MAX_UNIFORM_STEPS, MIN_DOUBLING_RESOLUTION, _doubling_cost
from .quadrature import (
    _corrected_trapezoid,
    _cumulative_hermite,
    _cumulative_trapezoid,
    _fd_weights,
    _interpolate_cubic,
    _interpolation_matrix,
    _lagrange_stencils,
)
from .result import DynamicsBlowUp, DynamicsResult, Trajectory
from .settings import _doubling_settings
from .uniform import _memory_sums

__all__ = ["METHODS", "DynamicsBlowUp", "DynamicsResult", "Trajectory", "solve_chsck"]

#: names the tests and the cost guards' users read from the package (re-exported)
_REEXPORTED = (
    MAX_DOUBLINGS, MAX_MEMORY_BYTES, MAX_UNIFORM_STEPS, MIN_DOUBLING_RESOLUTION, _doubling_cost,
    _corrected_trapezoid, _fd_weights, _interpolation_matrix, _lagrange_stencils, _memory_sums,
    _band_grid, _BandStencils, _band_march, _DoublingSolver, _doubling_settings, _cumulative_hermite,
    _cumulative_trapezoid, _interpolate_cubic, _match_times,
)
