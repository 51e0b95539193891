"""The reference scheme: uniform grid, Heun predictor-corrector, trapezoid memory integrals.

Second order in h (the quadratures use the left limit R(t, t⁻) = 1 at s = t, theory.md §C.3);
packed lower-triangular C and R: memory O(n²), work O(n³) for n steps; any T >= 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..params import ModelParams, ParameterError
from .base import Scheme
from .result import DynamicsBlowUp, Trajectory
from .settings import _FAST, _RESCALE_ABOVE
from .terms import _energy_split, _signal_terms


@njit(cache=True, fastmath=_FAST)
def _memory_sums(C, R, i, h, a, b, ap, S1, S2, S3):  # pragma: no cover - compiled
    """Trapezoid memory sums of row i for every t_l <= t_i (packed lower-triangular C, R).

    S1[l] = Σ_s a_s C(t_l, t_s)                      (a carries weights: ∫R f'' C(t_l,·))
    S2[l] = h Σ_{s<=l} w_s b_s R(t_l, t_s)           (∫_0^{t_l} f'(C(t_i,s)) R(t_l,s) ds)
    S3[l] = h Σ_{l<=s<=i} w_s ap_s R(t_s, t_l)       (∫_{t_l}^{t_i} R f'' R(s,t_l) ds)
    """
    for l in range(i + 1):
        S1[l] = 0.0
        S3[l] = 0.0
    for r in range(i + 1):
        o = r * (r + 1) // 2
        acc1 = 0.0
        acc2 = 0.0
        ar = a[r]
        apr = ap[r]
        for s in range(r):
            cv = C[o + s]
            rv = R[o + s]
            acc1 += a[s] * cv
            S1[s] += ar * cv
            acc2 += b[s] * rv
            S3[s] += apr * rv
        S1[r] += acc1 + ar * C[o + r]
        if r > 0:
            S2[r] = h * (acc2 + 0.5 * b[r] * R[o + r] - 0.5 * b[0] * R[o])
        else:
            S2[0] = 0.0
        S3[r] += apr * R[o + r]
    oi = i * (i + 1) // 2
    for l in range(i + 1):
        S3[l] = h * (S3[l] - 0.5 * ap[l] * R[l * (l + 1) // 2 + l] - 0.5 * ap[i] * R[oi + l])


def _uniform_rates(params: ModelParams, C, R, m, i: int, h: float, temperature: float, linear: bool, S1, S2, S3):
    """Row i of the uniform scheme: (μ, ε, ε2, εp) at t_i and the rates dm/dt, ∂_tC(t_i,·), ∂_tR(t_i,·)
    of theory.md §C.1, every memory integral by the trapezoid rule (S1..S3: scratch of _memory_sums)."""
    o = i * (i + 1) // 2
    c = C[o : o + i + 1]
    r = R[o : o + i + 1]
    w = np.full(i + 1, h)
    w[0] *= 0.5
    w[-1] *= 0.5
    if i == 0:
        w[0] = 0.0
    wr = w * r
    fp = params.df(c)
    fpp = params.d2f(c)
    df_m, m_df_m, f_m = _signal_terms(params, m[i], linear)
    mu_i = temperature + m_df_m + np.dot(wr, fp + fpp * c)
    a = wr * fpp
    fm = -mu_i * m[i] + df_m + np.dot(a, m[: i + 1])
    _memory_sums(C, R, i, h, a, fp, r * fpp, S1, S2, S3)
    drive = 0.0 if linear else df_m
    fc = -mu_i * c + drive * m[: i + 1] + S1[: i + 1] + S2[: i + 1]
    fr = -mu_i * r + S3[: i + 1]
    e2, ep = _energy_split(params, m[i], wr, c, linear)
    return mu_i, -f_m - np.dot(wr, fp), e2, ep, fm, fc, fr


class _UniformScheme(Scheme):
    """Heun/trapezoid integration of theory.md §C.1 on t_i = i h, i = 0..n_steps.

    Arrays: m, log_m_ratio, mu, energy, eps2, epsp per grid point and packed lower-triangular C,
    R (row i at i(i+1)/2). In linear mode m holds m/m0 divided by a running scale,
    log_m_ratio = log(m/m0) (NaN otherwise). R is stored with R(t_i, t_i) = 1, the left limit
    R(t, t⁻) used by the quadratures.
    """

    def __init__(self, params: ModelParams, m0: float, n_steps: int, h: float, temperature: float = 0.0,
                 linear: bool = False):
        self.params, self.h, self.temperature, self.linear = params, h, temperature, linear
        n = n_steps + 1
        size = n * (n + 1) // 2
        self.C = np.zeros(size)
        self.R = np.zeros(size)
        self.m = np.zeros(n)
        self.log_m_ratio = np.full(n, np.nan)
        self.mu = np.zeros(n)
        self.energy = np.zeros(n)
        self.eps2 = np.zeros(n)
        self.epsp = np.zeros(n)
        self.C[0] = self.R[0] = 1.0
        self.m[0] = 1.0 if linear else m0
        if linear:
            self.log_m_ratio[0] = 0.0
        self.S1, self.S2, self.S3 = np.zeros(n), np.zeros(n), np.zeros(n)
        self.scale = 0.0
        self.i = 0  # the last computed grid point
        self.rates_now = None  # (dm/dt, ∂_tC, ∂_tR) at t_i

    @property
    def t(self) -> float:
        return self.i * self.h

    def _rates(self, i: int):
        return _uniform_rates(self.params, self.C, self.R, self.m, i, self.h, self.temperature, self.linear,
                              self.S1, self.S2, self.S3)

    def start(self) -> None:
        with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported, not warned
            self.mu[0], self.energy[0], self.eps2[0], self.epsp[0], *self.rates_now = self._rates(0)

    def step(self) -> None:
        """One Heun step t_i -> t_{i+1}: Euler predictor, trapezoid corrector in t."""
        C, R, m, h, i = self.C, self.R, self.m, self.h, self.i
        fm, fc, fr = self.rates_now
        with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported, not warned
            o = i * (i + 1) // 2
            o1 = (i + 1) * (i + 2) // 2
            c_old = C[o : o + i + 1].copy()
            r_old = R[o : o + i + 1].copy()
            C[o1 : o1 + i + 1] = c_old + h * fc
            R[o1 : o1 + i + 1] = r_old + h * fr
            C[o1 + i + 1] = R[o1 + i + 1] = 1.0
            m[i + 1] = m[i] + h * fm
            _, _, _, _, fm_p, fc_p, fr_p = self._rates(i + 1)
            C[o1 : o1 + i + 1] = c_old + 0.5 * h * (fc + fc_p[: i + 1])
            R[o1 : o1 + i + 1] = r_old + 0.5 * h * (fr + fr_p[: i + 1])
            m[i + 1] = m[i] + 0.5 * h * (fm + fm_p)
            if self.linear:
                if abs(m[i + 1]) > _RESCALE_ABOVE:
                    m[: i + 2] /= _RESCALE_ABOVE
                    self.scale += math.log(_RESCALE_ABOVE)
                self.log_m_ratio[i + 1] = math.log(abs(m[i + 1])) + self.scale
            self.mu[i + 1], self.energy[i + 1], self.eps2[i + 1], self.epsp[i + 1], *self.rates_now = self._rates(i + 1)
        self.i = i + 1
        if not (math.isfinite(self.mu[i + 1]) and math.isfinite(m[i + 1])):
            raise DynamicsBlowUp(f"non-finite values at t = {(i + 1) * h:g} (step h = {h:g})")


def _uniform_run(params: ModelParams, m0: float, n_steps: int, h: float, temperature: float = 0.0,
                 linear: bool = False) -> _UniformScheme:
    """The uniform scheme run to t = n_steps·h (its arrays filled); raises DynamicsBlowUp at a non-finite value."""
    scheme = _UniformScheme(params, m0, n_steps, h, temperature, linear)
    scheme.start()
    for _ in range(n_steps):
        scheme.step()
    return scheme


def _full_two_time(t: np.ndarray, C: np.ndarray, R: np.ndarray) -> dict:
    """C and R of every pair of grid points (lower triangle) from their packed rows."""
    count = t.size
    rows = np.arange(count)
    lower = rows[:, None] >= rows[None, :]
    full_c = np.zeros((count, count))
    full_r = np.zeros((count, count))
    full_c[lower] = C
    full_r[lower] = R
    return {"t": t, "C": full_c, "R": full_r}


def _run_uniform(params, m0, t_max, step, temperature, linear, keep_two_time):
    """Same outputs as :func:`_run_doubling` for the uniform reference scheme."""
    n_steps = int(round(t_max / step))
    if n_steps < 2 or abs(n_steps * step - t_max) > 1e-9 * t_max:
        raise ParameterError(f"t_max = {t_max:g} must be a multiple (>= 2) of the step {step:g}")
    failure = None
    scheme = _UniformScheme(params, m0, n_steps, step, temperature, linear)
    if not scheme.run(n_steps * step):
        return Trajectory.empty(), {"step": step}, scheme.message
    s, count = scheme, n_steps + 1
    t = np.arange(count) * step
    m = s.m if not linear else np.full(count, np.nan)
    run = Trajectory(*np.array([t, m, s.mu, s.energy, s.eps2, s.epsp, s.log_m_ratio]))
    info = {"step": step, "max_abs_c": float(np.max(np.abs(s.C))), "two_time": None}
    if keep_two_time:
        info["two_time"] = _full_two_time(t, s.C, s.R)
    return run, info, failure
