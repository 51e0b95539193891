"""Storage layouts and contraction kernels for the observed order-p tensor.

The canonical content of a tensor instance is the list of its *unique* entries
T[i1 < i2 < ... < ip] in lexicographic order (theory.md §A.2: entries with a
repeated index are not observed and count as zero). Every storage layout is built
from that one stream, so an instance is the same bit for bit whatever the storage.

Contractions follow the full-sum convention of theory.md §A.5 on the fully
symmetric tensor with zero repeated-index entries:

* ``contract(x)[i]      = Σ_{j,k,...} T[i,j,k,...] x_j x_k ...``       (T{·, x, ..., x})
* ``contract_pair(x, v)[i] = Σ T[i,j,k,...] v_j x_k ...``               (T{·, v, x, ..., x})
* ``matrix(x)[i, j]     = Σ T[i,j,k,...] x_k ...``                     (T{·, ·, x, ..., x})

``x`` may be one vector of shape (N,) or a batch of shape (B, N); results keep
that leading shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

__all__ = [
    "DenseTensor",
    "combinations_lex",
    "iter_unique_entries",
    "n_unique_entries",
]


def n_unique_entries(n: int, p: int) -> int:
    """Number of index sets i1 < ... < ip in range(n)."""
    return math.comb(n, p)


def combinations_lex(n: int, r: int) -> np.ndarray:
    """All r-subsets of range(n) in lexicographic order, as an (n choose r, r) int array.

    Vectorised equivalent of ``np.array(list(itertools.combinations(range(n), r)))``.
    """
    if r == 0:
        return np.zeros((1, 0), dtype=np.intp)
    if r > n:
        return np.zeros((0, r), dtype=np.intp)
    if r == 1:
        return np.arange(n, dtype=np.intp)[:, None]
    blocks = []
    for first in range(n - r + 1):
        tail = combinations_lex(n - first - 1, r - 1) + (first + 1)
        head = np.full((tail.shape[0], 1), first, dtype=np.intp)
        blocks.append(np.hstack([head, tail]))
    return np.vstack(blocks)


def iter_unique_entries(
    n: int, p: int, values_for: Callable[[np.ndarray], np.ndarray]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (indices, values) for the unique entries, one block per first index.

    Blocks come in lexicographic order: block ``i`` holds every set (i, j2, ..., jp)
    with i < j2 < ... < jp. ``values_for(indices)`` returns the values of a block
    (this is where the random stream is consumed, in order).
    """
    for first in range(n - p + 1):
        tail = combinations_lex(n - first - 1, p - 1) + (first + 1)
        indices = np.hstack([np.full((tail.shape[0], 1), first, dtype=np.intp), tail])
        yield indices, values_for(indices)


def _permutations(p: int) -> list[tuple[int, ...]]:
    from itertools import permutations

    return list(permutations(range(p)))


class DenseTensor:
    """Fully symmetric dense N^p array with zero repeated-index entries (the reference layout).

    Contractions are one BLAS matrix-vector (or matrix-matrix, for a batch) product
    on ``T.reshape(N, N**(p-1))``: one pass over N^p numbers.
    """

    layout = "dense"

    def __init__(self, array: np.ndarray):
        array = np.ascontiguousarray(array)
        if array.ndim < 3 or len(set(array.shape)) != 1:
            raise ValueError(f"a dense tensor must be N x ... x N with p >= 3, got {array.shape}")
        self.array = array
        self.n = array.shape[0]
        self.p = array.ndim

    @classmethod
    def from_unique_entries(
        cls, n: int, p: int, blocks: Iterator[tuple[np.ndarray, np.ndarray]], dtype=np.float64
    ) -> "DenseTensor":
        """Scatter the unique entries into all p! symmetric positions."""
        array = np.zeros((n,) * p, dtype=dtype)
        perms = _permutations(p)
        for indices, values in blocks:
            for perm in perms:
                array[tuple(indices[:, axis] for axis in perm)] = values
        return cls(array)

    @property
    def nbytes(self) -> int:
        return self.array.nbytes

    def _flat(self, order: int) -> np.ndarray:
        return self.array.reshape(self.n**order, self.n ** (self.p - order))

    @staticmethod
    def _outer_power(x: np.ndarray, power: int) -> np.ndarray:
        """Row-wise x ⊗ x ⊗ ... (power times) for x of shape (B, N) -> (B, N**power)."""
        out = x
        for _ in range(power - 1):
            out = (out[:, :, None] * x[:, None, :]).reshape(x.shape[0], -1)
        return out

    def contract(self, x: np.ndarray) -> np.ndarray:
        """T{·, x, ..., x} (p-1 copies of x)."""
        batch = np.atleast_2d(x)
        out = self._outer_power(batch, self.p - 1) @ self._flat(1).T
        return out if x.ndim == 2 else out[0]

    def contract_pair(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """T{·, v, x, ..., x} (one v, p-2 copies of x)."""
        bx, bv = np.atleast_2d(x), np.atleast_2d(v)
        if self.p == 3:
            rows = (bv[:, :, None] * bx[:, None, :]).reshape(bx.shape[0], -1)
        else:
            rows = (bv[:, :, None] * self._outer_power(bx, self.p - 2)[:, None, :]).reshape(
                bx.shape[0], -1
            )
        out = rows @ self._flat(1).T
        return out if x.ndim == 2 else out[0]

    def matrix(self, x: np.ndarray) -> np.ndarray:
        """T{·, ·, x, ..., x} as an (N, N) matrix (p-2 copies of x); one vector x only."""
        if x.ndim != 1:
            raise ValueError("matrix() takes one vector x of shape (N,)")
        x_power = self._outer_power(x[None, :], self.p - 2)[0]
        return (self._flat(2) @ x_power).reshape(self.n, self.n)
