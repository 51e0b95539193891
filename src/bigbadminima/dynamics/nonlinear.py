"""Nonlinear solvers of one row: Anderson-accelerated fixed point and Jacobian-free Newton-GMRES."""

from __future__ import annotations

import numpy as np

from .settings import (
    ACCEPTABLE,
    ANDERSON_DEPTH,
    ANDERSON_DIVERGENCE,
    ANDERSON_ITERATIONS,
    BACKTRACK_HALVINGS,
    GMRES_MAXITER,
    GMRES_RESTART,
    GMRES_RTOL,
    JACOBIAN_STEP,
    MAX_NEWTON_STEPS,
    TOLERANCE,
)


class _AndersonMixer:
    """Anderson acceleration of a fixed-point map y -> G(y) (type II, small history)."""

    def __init__(self, depth: int = ANDERSON_DEPTH):
        self.depth = depth
        self.ys: list[np.ndarray] = []
        self.gs: list[np.ndarray] = []

    def next(self, y: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.ys.append(y)
        self.gs.append(g)
        if len(self.ys) > self.depth + 1:
            self.ys.pop(0)
            self.gs.pop(0)
        if len(self.ys) == 1:
            return g
        residuals = [gk - yk for gk, yk in zip(self.gs, self.ys)]
        d_res = np.array([residuals[k + 1] - residuals[k] for k in range(len(residuals) - 1)]).T
        d_g = np.array([self.gs[k + 1] - self.gs[k] for k in range(len(self.gs) - 1)]).T
        gamma, *_ = np.linalg.lstsq(d_res, residuals[-1], rcond=None)
        return g - d_g @ gamma


def _newton_step(z, r, residual):
    """One Jacobian-free Newton-GMRES step on residual(z) = G(z) - z (finite differences)."""
    from scipy.sparse.linalg import LinearOperator, gmres

    def jacobian_times(v):
        norm = np.linalg.norm(v)
        if norm == 0:
            return np.zeros_like(v)
        epsilon = JACOBIAN_STEP / norm
        return (residual(z + epsilon * v) - r) / epsilon

    operator = LinearOperator((z.size, z.size), matvec=jacobian_times, dtype=float)
    dz, _ = gmres(operator, -r, rtol=GMRES_RTOL, restart=GMRES_RESTART, maxiter=GMRES_MAXITER)
    size = np.max(np.abs(r))
    for _ in range(BACKTRACK_HALVINGS):  # backtracking: accept the first step that reduces the residual
        z_new = z + dz
        r_new = residual(z_new)
        if np.max(np.abs(r_new)) < size:
            break
        dz = 0.5 * dz
    return z_new, r_new


def _solve_row(residual, z):
    """Solve residual(z) = G(z) - z = 0 from z: Anderson sweeps, then Newton-GMRES where they stall.

    Returns (z, r, converged): converged is False when MAX_NEWTON_STEPS did not bring max |r|
    below TOLERANCE nor below ACCEPTABLE.
    """
    r = residual(z)
    mixer = _AndersonMixer()
    for _ in range(ANDERSON_ITERATIONS):
        if np.max(np.abs(r)) < TOLERANCE:
            break
        z_next = mixer.next(z, z + r)
        r_next = residual(z_next)
        if np.max(np.abs(r_next)) > np.max(np.abs(r)) * ANDERSON_DIVERGENCE:
            break  # diverging: leave it to Newton from the better point
        z, r = z_next, r_next
    newton_steps = 0
    while np.max(np.abs(r)) >= TOLERANCE:
        newton_steps += 1
        if newton_steps > MAX_NEWTON_STEPS:
            if np.max(np.abs(r)) < ACCEPTABLE:
                break  # finite-difference Jacobians stall near 1e-9 late in long runs
            return z, r, False
        z, r = _newton_step(z, r, residual)
    return z, r, True
