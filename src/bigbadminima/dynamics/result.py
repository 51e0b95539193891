"""The result type of :func:`~bigbadminima.dynamics.solve_chsck` and its failure exception."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass
class Trajectory:
    """One run's output on its own grid, before the error estimate: per grid point t, m, μ, ε, ε2,
    εp (theory.md §C.1) and log(m/m0) (NaN outside linear mode; m is NaN in linear mode)."""

    t: np.ndarray
    m: np.ndarray
    mu: np.ndarray
    energy: np.ndarray
    eps2: np.ndarray
    epsp: np.ndarray
    log_m_ratio: np.ndarray

    @classmethod
    def empty(cls) -> "Trajectory":
        return cls(*np.zeros((7, 0)))

    def __len__(self) -> int:
        return self.t.size

    def take(self, index: np.ndarray) -> "Trajectory":
        """The grid points ``index`` of every column."""
        return Trajectory(*(getattr(self, f.name)[index] for f in fields(self)))


class DynamicsBlowUp(RuntimeError):
    """The CHSCK integration produced a non-finite value or left the physical range."""


@dataclass
class DynamicsResult:
    """Solution of the CHSCK equations on the solver's time grid.

    ``m_error`` estimates |m - m_exact| (from the run at twice the resolution), NaN where the
    estimate was not requested. In ``linear`` mode ``m`` is NaN and ``log_m_ratio`` holds
    log(m(t)/m0) of the m0 → 0⁺ limit. ``status`` is 0 on success, 1 if the integration was
    stopped (blow-up, non-convergence); ``message`` says why. ``monitors`` holds the largest
    energy increase between grid points, the largest violation of |C| <= 1 and the largest
    residual of the identity μ = T - 2ε2 - p εp (theory.md §C.1).
    """

    t: np.ndarray
    m: np.ndarray
    mu: np.ndarray
    energy: np.ndarray
    m_error: np.ndarray
    log_m_ratio: np.ndarray | None
    method: str
    resolution: dict
    status: int = 0
    message: str = "ok"
    monitors: dict = field(default_factory=dict)
    two_time: dict | None = None

    @property
    def success(self) -> bool:
        return self.status == 0

    def columns(self) -> dict:
        """The tidy per-time columns (t, m, mu, energy, m_error[, log_m_ratio])."""
        out = {"t": self.t, "m": self.m, "mu": self.mu, "energy": self.energy, "m_error": self.m_error}
        if self.log_m_ratio is not None:
            out["log_m_ratio"] = self.log_m_ratio
        return out
