"""Quadratures and interpolation on non-uniform lag grids (band sub-grid, far cells).

Three-point derivatives, the trapezoid with Euler-Maclaurin end corrections (fourth order),
cumulative Hermite and trapezoid integrals, cubic Lagrange stencils and interpolation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .settings import _FAST


def _lagrange_stencils(nodes: np.ndarray, x: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and weights (n, 4) of cubic Lagrange interpolation at the points x.

    Each point uses the 4 nodes around it among nodes[0..top] (fewer, zero-padded, if top < 3).
    """
    x = np.asarray(x, dtype=float)
    top = np.broadcast_to(np.asarray(top, dtype=np.int64), x.shape)
    count = np.minimum(4, top + 1)
    a = np.searchsorted(nodes, x, side="right") - 1
    start = np.minimum(np.maximum(a - 1, 0), top - count + 1)
    idx = np.minimum(start[:, None] + np.arange(4)[None, :], nodes.size - 1)
    xs = nodes[idx]
    valid = np.arange(4)[None, :] < count[:, None]
    weights = np.ones((x.size, 4))
    for k in range(4):
        for other in range(4):
            if other == k:
                continue
            factor = (x - xs[:, other]) / np.where(valid[:, other], xs[:, k] - xs[:, other], 1.0)
            weights[:, k] *= np.where(valid[:, other], factor, 1.0)
    weights[~valid] = 0.0
    return start, weights


def _interpolation_matrix(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Matrix M with M @ y(nodes) = cubic interpolant of y at the points x."""
    start, weights = _lagrange_stencils(nodes, x, nodes.size - 1)
    matrix = np.zeros((x.size, nodes.size))
    for k in range(4):
        np.add.at(matrix, (np.arange(x.size), np.minimum(start + k, nodes.size - 1)), weights[:, k])
    return matrix


@njit(cache=True, fastmath=_FAST)
def _interp(values, start, w):  # pragma: no cover - compiled
    return w[0] * values[start] + w[1] * values[start + 1] + w[2] * values[start + 2] + w[3] * values[start + 3]


@njit(cache=True, fastmath=_FAST)
def _fd_weights(x0, x1, x2, at):  # pragma: no cover - compiled
    """Weights of the 3-point derivative at node ``at`` (0, 1 or 2) of nodes x0 < x1 < x2."""
    h1 = x1 - x0
    h2 = x2 - x1
    if at == 0:
        return -(2 * h1 + h2) / (h1 * (h1 + h2)), (h1 + h2) / (h1 * h2), -h1 / (h2 * (h1 + h2))
    if at == 1:
        return -h2 / (h1 * (h1 + h2)), (h2 - h1) / (h1 * h2), h1 / (h2 * (h1 + h2))
    return h2 / (h1 * (h1 + h2)), -(h1 + h2) / (h1 * h2), (2 * h2 + h1) / (h2 * (h1 + h2))


@njit(cache=True, fastmath=_FAST)
def _corrected_trapezoid(x, g, n):  # pragma: no cover - compiled
    """∫ g over nodes x[0..n-1]: trapezoid + Euler-Maclaurin end corrections per interval,
    δ²/12 (g'_left - g'_right), with 3-point derivatives: fourth-order on smooth g."""
    total = 0.0
    if n < 2:
        return 0.0
    if n == 2:
        return 0.5 * (x[1] - x[0]) * (g[0] + g[1])
    prev_d = 0.0
    for j in range(n):
        if j == 0:
            w0, w1, w2 = _fd_weights(x[0], x[1], x[2], 0)
            d = w0 * g[0] + w1 * g[1] + w2 * g[2]
        elif j == n - 1:
            w0, w1, w2 = _fd_weights(x[n - 3], x[n - 2], x[n - 1], 2)
            d = w0 * g[n - 3] + w1 * g[n - 2] + w2 * g[n - 1]
        else:
            w0, w1, w2 = _fd_weights(x[j - 1], x[j], x[j + 1], 1)
            d = w0 * g[j - 1] + w1 * g[j] + w2 * g[j + 1]
        if j > 0:
            step = x[j] - x[j - 1]
            total += 0.5 * step * (g[j - 1] + g[j]) + step * step / 12.0 * (prev_d - d)
        prev_d = d
    return total


def _cumulative_hermite(tau: np.ndarray, values: np.ndarray, derivative: np.ndarray) -> np.ndarray:
    """∫_0^τ_k g for g known with its derivative at the nodes (Hermite-corrected trapezoid)."""
    step = np.diff(tau)
    pieces = 0.5 * step * (values[:-1] + values[1:]) + step**2 / 12.0 * (derivative[:-1] - derivative[1:])
    return np.concatenate([[0.0], np.cumsum(pieces)])


def _cumulative_trapezoid(tau: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(0.5 * np.diff(tau) * (values[:-1] + values[1:]))])


def _interpolate_cubic(x_nodes: np.ndarray, y_nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Piecewise cubic Lagrange interpolation (4 nearest nodes) of y(x) at the points x."""
    start, weights = _lagrange_stencils(x_nodes, x, x_nodes.size - 1)
    idx = np.minimum(start[:, None] + np.arange(4)[None, :], x_nodes.size - 1)
    return np.sum(weights * y_nodes[idx], axis=1)
