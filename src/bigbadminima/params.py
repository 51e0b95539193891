"""Parameters of the spiked matrix-tensor model and its covariance function.

This module is the single place where the covariance ("mixing") function of
theory.md §0 lives::

    f(q)   = q**2 / (2 Δ2) + q**p / (p Δp)
    f'(q)  = q / Δ2 + q**(p-1) / Δp
    f''(q) = 1 / Δ2 + (p-1) q**(p-2) / Δp

Everything that needs f, f' or f'' (Kac-Rice, CHSCK, ML-AMP, thresholds) takes a
:class:`ModelParams` and calls its methods; no other module re-types them.

``delta_p = math.inf`` switches the tensor channel off (1/Δp = 0): the pure spiked
matrix model, used as an exact oracle (theory.md §C.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ModelParams", "ParameterError"]


class ParameterError(ValueError):
    """Raised for a physically meaningless parameter (p < 3, Δ <= 0, non-finite, ...)."""


def _check_positive(name: str, value: float, allow_inf: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be a number, got {value!r}") from exc
    if math.isnan(value) or (math.isinf(value) and not (allow_inf and value > 0)):
        raise ParameterError(f"{name} must be finite, got {value!r}")
    if value <= 0:
        raise ParameterError(f"{name} must be > 0, got {value!r}")
    return value


@dataclass(frozen=True)
class ModelParams:
    """(p, Δ2, Δp) of the spiked matrix-tensor model (theory.md §A).

    Attributes
    ----------
    p : tensor order, an integer >= 3.
    delta2 : variance Δ2 of the matrix noise (> 0).
    delta_p : variance Δp of the tensor noise (> 0; ``inf`` = no tensor channel).
    """

    p: int
    delta2: float
    delta_p: float

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, (int, np.integer)) or self.p < 3:
            raise ParameterError(f"p must be an integer >= 3, got {self.p!r}")
        object.__setattr__(self, "p", int(self.p))
        object.__setattr__(self, "delta2", _check_positive("delta2", self.delta2))
        object.__setattr__(self, "delta_p", _check_positive("delta_p", self.delta_p, allow_inf=True))

    @classmethod
    def from_inv_delta2(cls, p: int, inv_delta2: float, delta_p: float) -> "ModelParams":
        """Build from the signal-to-noise ratio 1/Δ2 used on every figure axis."""
        return cls(p=p, delta2=1.0 / _check_positive("inv_delta2", inv_delta2), delta_p=delta_p)

    @property
    def inv_delta2(self) -> float:
        return 1.0 / self.delta2

    @property
    def inv_delta_p(self) -> float:
        return 0.0 if math.isinf(self.delta_p) else 1.0 / self.delta_p

    # --- covariance function (theory.md §0) --------------------------------------------
    def f(self, q):
        """f(q) = q²/(2Δ2) + q^p/(pΔp)."""
        q = np.asarray(q, dtype=float)
        return q**2 * (0.5 * self.inv_delta2) + q**self.p * (self.inv_delta_p / self.p)

    def df(self, q):
        """f'(q) = q/Δ2 + q^(p-1)/Δp."""
        q = np.asarray(q, dtype=float)
        return q * self.inv_delta2 + q ** (self.p - 1) * self.inv_delta_p

    def d2f(self, q):
        """f''(q) = 1/Δ2 + (p-1) q^(p-2)/Δp."""
        q = np.asarray(q, dtype=float)
        return self.inv_delta2 + (self.p - 1) * q ** (self.p - 2) * self.inv_delta_p

    # --- frequently used numbers ---------------------------------------------------------
    @property
    def df1(self) -> float:
        """f'(1) = 1/Δ2 + 1/Δp."""
        return self.inv_delta2 + self.inv_delta_p

    @property
    def d2f1(self) -> float:
        """f''(1) = 1/Δ2 + (p-1)/Δp = σ², the squared semicircle half-radius / 2."""
        return self.inv_delta2 + (self.p - 1) * self.inv_delta_p

    @property
    def sigma(self) -> float:
        """σ = √f''(1); the Hessian bulk is a semicircle of radius 2σ (theory.md §D.1)."""
        return math.sqrt(self.d2f1)

    def describe(self) -> str:
        return f"p={self.p}, 1/Δ2={self.inv_delta2:g}, Δp={self.delta_p:g}"
