"""Finite-N instances of the spiked matrix-tensor model: data, loss, gradient, Hessian.

An instance is fully determined by (p, N, Δ2, Δp, seed) (theory.md §A):

* spike ``x*`` uniform on the sphere |x*|² = N;
* matrix observations, for i < j: ``Y_ij = x*_i x*_j/√N + ξ_ij``, ξ ~ N(0, Δ2);
* tensor observations, for i1 < ... < ip:
  ``T = √((p-1)!)/N^((p-1)/2) x*_i1 ... x*_ip + ξ``, ξ ~ N(0, Δp).

Random streams come from ``numpy.random.SeedSequence(seed)``: child 0 draws the
spike, child 1 the matrix noise (pairs i<j, row-major), child 2 the tensor noise
(index sets in lexicographic order, see :mod:`bigbadminima.tensors`), child 3 the
initial conditions of gradient flow. The noise streams do not depend on Δ2 or Δp
(they are scaled by √Δ), so a grid over Δ uses common random numbers.

Loss (theory.md §A.3) and gradient (§A.5), with c_p = √((p-1)!)·N^((p-1)/2)::

    ℒ(x)   = -x·Yx/(2Δ2√N) - x·T{·,x,...,x}/(p Δp c_p)
    ∇ℒ(x)  = -Yx/(Δ2√N)    - T{·,x,...,x}/(Δp c_p)
    ∇²ℒ(x) = -Y/(Δ2√N)     - (p-1) T{·,·,x,...,x}/(Δp c_p)

with Y symmetric, zero diagonal, and T fully symmetric with zero repeated-index
entries. On the sphere: μ(x) = -x·∇ℒ/N, Riemannian gradient P_x∇ℒ = ∇ℒ + μ x,
Riemannian Hessian P(∇²ℒ + μ I)P (theory.md §B, §D.1).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .params import ModelParams, ParameterError
from .tensors import iter_unique_entries, tensor_from_unique_entries

__all__ = ["Instance", "InstanceSpec", "seed_stream"]

SPIKE_STREAM, MATRIX_STREAM, TENSOR_STREAM, INIT_STREAM = range(4)


def seed_stream(seed: int, stream: int, *extra: int) -> np.random.Generator:
    """The generator of one named random stream of an instance (see module docstring)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, *extra)))


@dataclass(frozen=True)
class InstanceSpec:
    """Everything that determines an instance: model parameters, size and seed."""

    params: ModelParams
    n: int
    seed: int

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < self.params.p:
            raise ParameterError(f"N must be an integer >= p = {self.params.p}, got {self.n!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ParameterError(f"seed must be a non-negative integer, got {self.seed!r}")
        object.__setattr__(self, "n", int(self.n))
        object.__setattr__(self, "seed", int(self.seed))

    @property
    def tensor_prefactor(self) -> float:
        """√((p-1)!)/N^((p-1)/2): the signal amplitude in each tensor entry (theory.md §A.2)."""
        p = self.params.p
        return math.sqrt(math.factorial(p - 1)) / self.n ** ((p - 1) / 2)


class Instance:
    """One draw of (x*, Y, T) with loss, gradient and Hessian on the sphere.

    Build it with :meth:`generate`; ``tensor_layout`` selects the storage of T
    (``"dense"`` is the reference layout).
    """

    def __init__(self, spec: InstanceSpec, spike: np.ndarray, matrix: np.ndarray, tensor, digests: dict):
        self.spec = spec
        self.params = spec.params
        self.n = spec.n
        self.spike = spike
        self.matrix = matrix
        self.tensor = tensor
        self.digests = digests

    # --- generation ------------------------------------------------------------------------
    @classmethod
    def generate(cls, spec: InstanceSpec, tensor_layout: str = "dense") -> "Instance":
        n, p = spec.n, spec.params.p
        gauss = seed_stream(spec.seed, SPIKE_STREAM).standard_normal(n)
        spike = math.sqrt(n) * gauss / np.linalg.norm(gauss)

        matrix_noise_hash = hashlib.sha256()
        rows, cols = np.triu_indices(n, 1)
        xi2 = seed_stream(spec.seed, MATRIX_STREAM).standard_normal(rows.size)
        matrix_noise_hash.update(xi2.astype("<f8").tobytes())
        upper = spike[rows] * spike[cols] / math.sqrt(n) + math.sqrt(spec.params.delta2) * xi2
        matrix = np.zeros((n, n))
        matrix[rows, cols] = upper
        matrix[cols, rows] = upper

        tensor_noise_hash = hashlib.sha256()
        tensor_rng = seed_stream(spec.seed, TENSOR_STREAM)
        sqrt_delta_p = math.sqrt(spec.params.delta_p) if math.isfinite(spec.params.delta_p) else 0.0
        prefactor = spec.tensor_prefactor

        def tensor_values(indices: np.ndarray) -> np.ndarray:
            xi = tensor_rng.standard_normal(indices.shape[0])
            tensor_noise_hash.update(xi.astype("<f8").tobytes())
            # x*_i1 x*_i2 ... multiplied left to right, as np.prod(spike[indices], axis=1) does (same
            # bits) without materialising the (entries, p) gather: half the cost of generation
            signal = spike[indices[:, 0]] * spike[indices[:, 1]]
            for column in range(2, indices.shape[1]):
                signal *= spike[indices[:, column]]
            return prefactor * signal + sqrt_delta_p * xi

        # "dense", "packed" or "packed32": every layout stores this one stream (tensors.py)
        tensor = tensor_from_unique_entries(tensor_layout, n, p, iter_unique_entries(n, p, tensor_values))
        digests = {
            "spike_sha256": hashlib.sha256(spike.astype("<f8").tobytes()).hexdigest(),
            "matrix_noise_sha256": matrix_noise_hash.hexdigest(),
            "tensor_noise_sha256": tensor_noise_hash.hexdigest(),
        }
        return cls(spec, spike, matrix, tensor, digests)

    # --- pieces of the gradient ------------------------------------------------------------
    @cached_property
    def _matrix_scale(self) -> float:
        return 1.0 / (self.params.delta2 * math.sqrt(self.n))

    @cached_property
    def _tensor_scale(self) -> float:
        p = self.params.p
        return self.params.inv_delta_p / (math.sqrt(math.factorial(p - 1)) * self.n ** ((p - 1) / 2))

    def _channel_fields(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Yx/(Δ2√N), T{·,x,..,x}/(Δp c_p)): minus the gradient of each channel."""
        field2 = (x @ self.matrix) * self._matrix_scale
        field_p = self.tensor.contract(x) * self._tensor_scale
        return field2, field_p

    # --- loss and derivatives (x of shape (N,) or (B, N)) ----------------------------------
    def loss(self, x: np.ndarray) -> np.ndarray:
        """ℒ(x) of theory.md §A.3 (total, not per site)."""
        field2, field_p = self._channel_fields(x)
        return -np.sum(x * (field2 / 2 + field_p / self.params.p), axis=-1)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """Euclidean gradient ∇ℒ(x) (theory.md §A.5)."""
        field2, field_p = self._channel_fields(x)
        return -(field2 + field_p)

    def loss_and_gradient(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        field2, field_p = self._channel_fields(x)
        loss = -np.sum(x * (field2 / 2 + field_p / self.params.p), axis=-1)
        return loss, -(field2 + field_p)

    def multiplier(self, x: np.ndarray, gradient: np.ndarray | None = None) -> np.ndarray:
        """Lagrange multiplier μ(x) = -x·∇ℒ/N (theory.md §B.1, T = 0)."""
        gradient = self.gradient(x) if gradient is None else gradient
        return -np.sum(x * gradient, axis=-1) / self.n

    def riemannian_gradient(self, x: np.ndarray) -> np.ndarray:
        """P_x ∇ℒ = ∇ℒ + μ x: the gradient projected on the tangent space of the sphere."""
        gradient = self.gradient(x)
        return gradient + self.multiplier(x, gradient)[..., None] * x

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Euclidean Hessian ∇²ℒ(x) as an (N, N) matrix (theory.md §A.5)."""
        p = self.params.p
        return -self.matrix * self._matrix_scale - (p - 1) * self._tensor_scale * self.tensor.matrix(x)

    def hessian_vector_product(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """∇²ℒ(x) v without forming the Hessian."""
        p = self.params.p
        return -(v @ self.matrix) * self._matrix_scale - (p - 1) * self._tensor_scale * self.tensor.contract_pair(x, v)

    def riemannian_hessian(self, x: np.ndarray) -> np.ndarray:
        """P(∇²ℒ + μ I)P on the tangent space at x (theory.md §B.3, §D.1), as an (N, N) matrix.

        The normal direction x/|x| is an exact zero mode of the returned matrix.
        """
        projector = np.eye(self.n) - np.outer(x, x) / (x @ x)
        shifted = self.hessian(x) + self.multiplier(x) * np.eye(self.n)
        return projector @ shifted @ projector

    def riemannian_hessian_vector_product(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """P(∇²ℒ + μ I)P v for a single x of shape (N,)."""
        unit = x / np.linalg.norm(x)
        v_tangent = v - (v @ unit) * unit
        out = self.hessian_vector_product(x, v_tangent) + self.multiplier(x) * v_tangent
        return out - (out @ unit) * unit

    def overlap(self, x: np.ndarray) -> np.ndarray:
        """m = x·x*/N."""
        return x @ self.spike / self.n

    def random_sphere_points(self, count: int, replica_offset: int = 0) -> np.ndarray:
        """``count`` points uniform on |x|² = N from the instance's initial-condition stream.

        Replica r uses its own child stream, so replica r is the same whatever ``count``.
        """
        points = np.empty((count, self.n))
        for row in range(count):
            gauss = seed_stream(self.spec.seed, INIT_STREAM, replica_offset + row).standard_normal(self.n)
            points[row] = math.sqrt(self.n) * gauss / np.linalg.norm(gauss)
        return points
