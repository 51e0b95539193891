"""Model terms shared by both schemes: the signal terms f'(m) and the energy split (theory.md §C.1)."""

from __future__ import annotations

import numpy as np

from ..params import ModelParams


def _signal_terms(params: ModelParams, m: float, linear: bool) -> tuple[float, float, float]:
    """(f'(m), m f'(m), f(m)) in the full model; their O(m) parts (m/Δ2, 0, 0) in linear mode."""
    if linear:
        return params.d2f(0.0) * m, 0.0, 0.0
    return float(params.df(m)), float(m * params.df(m)), float(params.f(m))


def _energy_split(params: ModelParams, m: float, weights: np.ndarray, c: np.ndarray, linear: bool):
    """(ε2, εp) of theory.md §C.1 from nodal response weights ∫R(t,s)g(s)ds ≈ Σ weights·g."""
    eps2 = -params.inv_delta2 * np.dot(weights, c)
    epsp = -params.inv_delta_p * np.dot(weights, c ** (params.p - 1))
    if not linear:  # in linear mode m is the rescaled O(m0) amplitude: its powers may overflow
        eps2 -= m * m * params.inv_delta2 / 2
        epsp -= m**params.p * params.inv_delta_p / params.p
    return float(eps2), float(epsp)
