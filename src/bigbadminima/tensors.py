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

Layouts: ``DenseTensor`` (N^p numbers, BLAS products; the simple reference) and
``PackedTensor`` (the C(N, p) unique entries in stream order, float64 "packed" or
float32 "packed32", numba kernels that read the tensor once per call for a whole
batch of replicas: theory.md §F.3 finite-N runs are bound by this one pass).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from .layouts import PACKED_DTYPES, TENSOR_LAYOUTS, n_unique_entries

__all__ = [
    "DenseTensor",
    "PACKED_DTYPES",
    "PackedTensor",
    "TENSOR_LAYOUTS",
    "combinations_lex",
    "iter_unique_entries",
    "n_unique_entries",
    "tensor_from_unique_entries",
]


def combinations_lex(n: int, r: int) -> np.ndarray:
    """All r-subsets of range(n) in lexicographic order, as an (n choose r, r) int array.

    Same result as ``np.array(list(itertools.combinations(range(n), r)))``, compiled.
    """
    if r > n:
        return np.zeros((0, r), dtype=np.intp)
    out = np.empty((math.comb(n, r), r), dtype=np.intp)
    _fill_combinations(out, 0, 0, n)
    return out


@njit(cache=True)
def _fill_combinations(out, column, low, high):
    """Fill out[:, column:] with the subsets of range(low, high) of that size, in lexicographic order."""
    r = out.shape[1] - column
    current = np.arange(low, low + r)
    for row in range(out.shape[0]):
        out[row, column:] = current
        # next subset: bump the last position that can still grow, reset the ones after it
        position = r - 1
        while position >= 0 and current[position] == high - r + position:
            position -= 1
        if position < 0:
            break
        current[position] += 1
        for later in range(position + 1, r):
            current[later] = current[later - 1] + 1


def iter_unique_entries(
    n: int, p: int, values_for: Callable[[np.ndarray], np.ndarray]
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (indices, values) for the unique entries, one block per first index.

    Blocks come in lexicographic order: block ``i`` holds every set (i, j2, ..., jp)
    with i < j2 < ... < jp. ``values_for(indices)`` returns the values of a block
    (this is where the random stream is consumed, in order).
    """
    for first in range(n - p + 1):
        indices = np.empty((math.comb(n - first - 1, p - 1), p), dtype=np.intp)
        indices[:, 0] = first
        _fill_combinations(indices, 1, first + 1, n)
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


# ------------------------------------------------------------------------------------------
# Packed layout: the unique entries only, stored in the order of the canonical stream.
# ------------------------------------------------------------------------------------------

#: LLVM fast-math flags of the packed kernels. Only two are set, both of which change
#: rounding and nothing else: "reassoc" lets the compiler split each row's dot product
#: over SIMD lanes (without it a floating-point reduction cannot be vectorised: measured
#: 2.3x slower at p = 3, N = 400), "contract" lets it fuse multiply-add. The flags that
#: change semantics (nnan, ninf, nsz, arcp, afn) stay off, so NaN and Inf propagate and
#: FlowBlowUp still sees them. For a fixed build and thread count results are deterministic;
#: they differ from the dense layout by summation order only (~1e-15 relative).
KERNEL_FASTMATH = {"reassoc", "contract"}

@njit(fastmath=KERNEL_FASTMATH, cache=True)
def _dot_axpy(row, x_tail, out_tail, coef):
    """Return Σ_k row[k]·x_tail[k] and add coef·row to out_tail, in one pass over the row."""
    total = 0.0
    for k in range(row.size):
        value = row[k]
        total += value * x_tail[k]
        out_tail[k] += coef * value
    return total


@njit(fastmath=KERNEL_FASTMATH, cache=True)
def _dot2_axpy(row, x_tail, v_tail, out_tail, coef):
    """Return (Σ row·x_tail, Σ row·v_tail) and add coef·row to out_tail, in one pass."""
    total_x = 0.0
    total_v = 0.0
    for k in range(row.size):
        value = row[k]
        total_x += value * x_tail[k]
        total_v += value * v_tail[k]
        out_tail[k] += coef * value
    return total_x, total_v


@njit(fastmath=KERNEL_FASTMATH, cache=True)
def _axpy(row, out_tail, coef):
    """out_tail += coef·row."""
    for k in range(row.size):
        out_tail[k] += coef * row[k]


@njit(cache=True)
def _block_offset(n, p, first):
    """Position in the stream of the first entry whose smallest index is ``first``: C(n,p) - C(n-first,p)."""
    return _binomial(n, p) - _binomial(n - first, p)


@njit(cache=True)
def _binomial(n, r):
    if r < 0 or r > n:
        return 0
    result = 1
    for step in range(1, r + 1):
        result = result * (n - r + step) // step
    return result


# Each kernel below walks the stream in its own order: for p = 3 the rows (i, j) with the
# entries T[i, j, k], k = j+1..N-1 contiguous; for p = 4 the rows (i, j, k) with
# T[i, j, k, l], l = k+1..N-1. A row is read from memory once and then used, from L1, for
# every replica of the batch. One unique entry t of the index set {a, b, c(, d)} stands for
# all its permutations, so in the full-sum convention of theory.md §A.5 it contributes
#   T{·,x,..,x}:  out_a += (p-1)! t Π_{others} x                      (p-1)! = 2 or 6
#   T{·,v,x,..}:  out_a += (p-2)! t Σ_{b ≠ a} v_b Π_{others ≠ a,b} x   (p-2)! = 1 or 2
#   T{·,·,x,..}:  M_ab  += (p-2)! t Π_{others ≠ a,b} x
# The free (last) index of a row gets the axpy part, the fixed indices the dot products.
# ``first_blocks[c]:first_blocks[c+1]`` is the range of smallest indices of work chunk c
# (one chunk per thread, equal numbers of entries); each chunk has its own output.


def _row_group(values, offset, length, staging):
    """The four consecutive rows of lengths L, L-1, L-2, L-3 starting at ``offset``, as float64
    arrays, and the offset after them (compiled per storage dtype, see the overload below)."""
    raise NotImplementedError("only callable from compiled code")


@overload(_row_group, jit_options={"cache": True})
def _row_group_for_dtype(values, offset, length, staging):
    """float64 storage: views into the stream, nothing copied. float32 storage: the rows are
    converted once into ``staging`` (4 x N float64) and then reused, from L1, by every replica
    (converting per replica measured 1.4x slower at B = 32)."""
    if values.dtype == types.float64:

        def views(values, offset, length, staging):
            o1 = offset + length
            o2 = o1 + length - 1
            o3 = o2 + length - 2
            rows = (values[offset:o1], values[o1:o2], values[o2:o3], values[o3 : o3 + length - 3])
            return rows, o3 + length - 3

        return views

    def converted(values, offset, length, staging):
        for r in range(4):
            source, target = values[offset : offset + length - r], staging[r]
            for q in range(length - r):
                target[q] = source[q]
            offset += length - r
        return (staging[0], staging[1], staging[2], staging[3]), offset

    return converted


@njit(fastmath=KERNEL_FASTMATH, cache=True)
def _row_group_dot_axpy(rows, x_tail, out_tail, c0, c1, c2, c3):
    """Four rows at once: s_r = Σ_q row_r[q]·x_tail[q + r] and out_tail[q + r] += c_r·row_r[q].

    Row r (length L - r, L = x_tail.size) starts at column r of the tail, so past column 2
    all four rows overlap: there each x and out element is loaded once for four rows (the
    batched kernels are bound by these loads otherwise).
    """
    length = x_tail.size
    t0, t1, t2, t3 = rows
    # columns 0..2, where fewer than four rows are present
    s0 = t0[0] * x_tail[0] + t0[1] * x_tail[1] + t0[2] * x_tail[2]
    s1 = t1[0] * x_tail[1] + t1[1] * x_tail[2]
    s2 = t2[0] * x_tail[2]
    s3 = 0.0
    out_tail[0] += c0 * t0[0]
    out_tail[1] += c0 * t0[1] + c1 * t1[0]
    out_tail[2] += c0 * t0[2] + c1 * t1[1] + c2 * t2[0]
    # columns 3..L-1: all four rows
    u0, u1, u2, u3 = t0[3:length], t1[2 : length - 1], t2[1 : length - 2], t3[: length - 3]
    x_common, out_common = x_tail[3:], out_tail[3:]
    for q in range(length - 3):
        xq = x_common[q]
        a0, a1, a2, a3 = u0[q], u1[q], u2[q], u3[q]
        s0 += a0 * xq
        s1 += a1 * xq
        s2 += a2 * xq
        s3 += a3 * xq
        out_common[q] += (c0 * a0 + c1 * a1) + (c2 * a2 + c3 * a3)
    return s0, s1, s2, s3


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _contract3(values, x, first_blocks):
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n))
    for chunk in prange(first_blocks.size - 1):
        out = partial[chunk]
        staging = np.empty((4, n))
        offset = _block_offset(n, 3, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            j = i + 1
            while j < n - 1:
                length = n - 1 - j
                if length >= 4:  # rows (i, j), ..., (i, j+3)
                    rows, offset = _row_group(values, offset, length, staging)
                    for b in range(batch):
                        xb, ob = x[b], out[b]
                        twice_xi = 2.0 * xb[i]
                        s0, s1, s2, s3 = _row_group_dot_axpy(
                            rows, xb[j + 1 :], ob[j + 1 :],
                            twice_xi * xb[j], twice_xi * xb[j + 1], twice_xi * xb[j + 2], twice_xi * xb[j + 3],
                        )
                        ob[i] += 2.0 * (xb[j] * s0 + xb[j + 1] * s1 + xb[j + 2] * s2 + xb[j + 3] * s3)
                        ob[j] += twice_xi * s0
                        ob[j + 1] += twice_xi * s1
                        ob[j + 2] += twice_xi * s2
                        ob[j + 3] += twice_xi * s3
                    j += 4
                else:  # the last rows of block i, one at a time
                    row = values[offset : offset + length]
                    for b in range(batch):
                        xb, ob = x[b], out[b]
                        s = _dot_axpy(row, xb[j + 1 :], ob[j + 1 :], 2.0 * xb[i] * xb[j])
                        ob[i] += 2.0 * xb[j] * s
                        ob[j] += 2.0 * xb[i] * s
                    offset += length
                    j += 1
    return partial


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _contract4(values, x, first_blocks):
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n))
    for chunk in prange(first_blocks.size - 1):
        out = partial[chunk]
        staging = np.empty((4, n))
        offset = _block_offset(n, 4, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            for j in range(i + 1, n - 2):
                k = j + 1
                while k < n - 1:
                    length = n - 1 - k
                    if length >= 4:  # rows (i, j, k), ..., (i, j, k+3)
                        rows, offset = _row_group(values, offset, length, staging)
                        for b in range(batch):
                            xb, ob = x[b], out[b]
                            xi, xj = xb[i], xb[j]
                            c = 6.0 * xi * xj
                            s0, s1, s2, s3 = _row_group_dot_axpy(
                                rows, xb[k + 1 :], ob[k + 1 :],
                                c * xb[k], c * xb[k + 1], c * xb[k + 2], c * xb[k + 3],
                            )
                            dot_xk = xb[k] * s0 + xb[k + 1] * s1 + xb[k + 2] * s2 + xb[k + 3] * s3
                            ob[i] += 6.0 * xj * dot_xk
                            ob[j] += 6.0 * xi * dot_xk
                            ob[k] += c * s0
                            ob[k + 1] += c * s1
                            ob[k + 2] += c * s2
                            ob[k + 3] += c * s3
                        k += 4
                    else:
                        row = values[offset : offset + length]
                        for b in range(batch):
                            xb, ob = x[b], out[b]
                            xi, xj, xk = xb[i], xb[j], xb[k]
                            s = 6.0 * _dot_axpy(row, xb[k + 1 :], ob[k + 1 :], 6.0 * xi * xj * xk)
                            ob[i] += xj * xk * s
                            ob[j] += xi * xk * s
                            ob[k] += xi * xj * s
                        offset += length
                        k += 1
    return partial


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _contract_pair3(values, x, v, first_blocks):
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n))
    for chunk in prange(first_blocks.size - 1):
        out = partial[chunk]
        offset = _block_offset(n, 3, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            for j in range(i + 1, n - 1):
                length = n - 1 - j
                row = values[offset : offset + length]
                for b in range(batch):
                    xb, vb, ob = x[b], v[b], out[b]
                    coef = vb[i] * xb[j] + xb[i] * vb[j]
                    sx, sv = _dot2_axpy(row, xb[j + 1 :], vb[j + 1 :], ob[j + 1 :], coef)
                    ob[i] += vb[j] * sx + xb[j] * sv
                    ob[j] += vb[i] * sx + xb[i] * sv
                offset += length
    return partial


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _contract_pair4(values, x, v, first_blocks):
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n))
    for chunk in prange(first_blocks.size - 1):
        out = partial[chunk]
        offset = _block_offset(n, 4, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            for j in range(i + 1, n - 2):
                for k in range(j + 1, n - 1):
                    length = n - 1 - k
                    row = values[offset : offset + length]
                    for b in range(batch):
                        xb, vb, ob = x[b], v[b], out[b]
                        xi, xj, xk = xb[i], xb[j], xb[k]
                        vi, vj, vk = vb[i], vb[j], vb[k]
                        coef = 2.0 * (vi * xj * xk + xi * vj * xk + xi * xj * vk)
                        sx, sv = _dot2_axpy(row, xb[k + 1 :], vb[k + 1 :], ob[k + 1 :], coef)
                        ob[i] += 2.0 * (xj * xk * sv + (vj * xk + xj * vk) * sx)
                        ob[j] += 2.0 * (xi * xk * sv + (vi * xk + xi * vk) * sx)
                        ob[k] += 2.0 * (xi * xj * sv + (vi * xj + xi * vj) * sx)
                    offset += length
    return partial


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _matrix3(values, x, first_blocks):
    """Upper triangle (a < b) of T{·,·,x} per replica; the caller adds the transpose."""
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n, n))
    for chunk in prange(first_blocks.size - 1):
        upper = partial[chunk]
        offset = _block_offset(n, 3, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            for j in range(i + 1, n - 1):
                length = n - 1 - j
                row = values[offset : offset + length]
                for b in range(batch):
                    xb, ub = x[b], upper[b]
                    ub[i, j] += _dot_axpy(row, xb[j + 1 :], ub[i, j + 1 :], xb[j])
                    _axpy(row, ub[j, j + 1 :], xb[i])
                offset += length
    return partial


@njit(parallel=True, fastmath=KERNEL_FASTMATH, cache=True)
def _matrix4(values, x, first_blocks):
    """Upper triangle (a < b) of T{·,·,x,x} per replica; the caller adds the transpose."""
    batch, n = x.shape
    partial = np.zeros((first_blocks.size - 1, batch, n, n))
    for chunk in prange(first_blocks.size - 1):
        upper = partial[chunk]
        offset = _block_offset(n, 4, first_blocks[chunk])
        for i in range(first_blocks[chunk], first_blocks[chunk + 1]):
            for j in range(i + 1, n - 2):
                for k in range(j + 1, n - 1):
                    length = n - 1 - k
                    row = values[offset : offset + length]
                    for b in range(batch):
                        xb, ub = x[b], upper[b]
                        xi, xj, xk = xb[i], xb[j], xb[k]
                        s = 2.0 * _dot_axpy(row, xb[k + 1 :], ub[i, k + 1 :], 2.0 * xj * xk)
                        _axpy(row, ub[j, k + 1 :], 2.0 * xi * xk)
                        _axpy(row, ub[k, k + 1 :], 2.0 * xi * xj)
                        ub[i, j] += xk * s
                        ub[i, k] += xj * s
                        ub[j, k] += xi * s
                    offset += length
    return partial


_KERNELS = {
    3: (_contract3, _contract_pair3, _matrix3),
    4: (_contract4, _contract_pair4, _matrix4),
}


def _work_split(n: int, p: int, chunks: int) -> np.ndarray:
    """Boundaries of ``chunks`` ranges of smallest index holding about equal numbers of entries."""
    per_first = np.array([math.comb(n - 1 - first, p - 1) for first in range(n - p + 1)], dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(per_first)])
    targets = cumulative[-1] * np.arange(1, chunks) / chunks
    inner = np.searchsorted(cumulative, targets)
    return np.unique(np.concatenate([[0], inner, [n - p + 1]])).astype(np.int64)


class PackedTensor:
    """The C(N, p) unique entries T[i1 < ... < ip] in lexicographic order (p = 3, 4).

    The storage is exactly the canonical stream of :func:`iter_unique_entries`, so building
    it is a copy (no scatter, no symmetrisation) and the kernels stream it once per call,
    whatever the batch size: N³/6 (p = 3) or N⁴/24 (p = 4) numbers instead of N^p. Values
    are float64 (layout "packed") or float32 ("packed32"); contractions accumulate in float64.
    Kernels run on ``numba.get_num_threads()`` threads (set by the CLI's ``--threads``).
    """

    def __init__(self, n: int, p: int, values: np.ndarray):
        if p not in _KERNELS:
            raise ValueError(f"the packed layout has kernels for p = 3 and 4, not p = {p}")
        if values.ndim != 1 or values.size != n_unique_entries(n, p):
            raise ValueError(f"need C({n}, {p}) = {n_unique_entries(n, p)} values, got shape {values.shape}")
        if values.dtype not in (np.float64, np.float32):
            raise ValueError(f"packed values must be float64 or float32, got {values.dtype}")
        self.n, self.p = n, p
        self.values = np.ascontiguousarray(values)
        self.layout = "packed" if values.dtype == np.float64 else "packed32"
        self._split_cache: dict[int, np.ndarray] = {}

    @classmethod
    def from_unique_entries(
        cls, n: int, p: int, blocks: Iterator[tuple[np.ndarray, np.ndarray]], dtype=np.float64
    ) -> "PackedTensor":
        """Store the stream's values in stream order (the order the kernels walk)."""
        if p not in _KERNELS:
            raise ValueError(f"the packed layout has kernels for p = 3 and 4, not p = {p}")
        values = np.empty(n_unique_entries(n, p), dtype=dtype)
        position = 0
        for _, block_values in blocks:
            values[position : position + block_values.size] = block_values
            position += block_values.size
        if position != values.size:
            raise ValueError(f"the stream held {position} entries, expected {values.size}")
        return cls(n, p, values)

    @property
    def nbytes(self) -> int:
        return self.values.nbytes

    def _first_blocks(self) -> np.ndarray:
        threads = numba.get_num_threads()
        if threads not in self._split_cache:
            self._split_cache[threads] = _work_split(self.n, self.p, threads)
        return self._split_cache[threads]

    def _batch(self, x: np.ndarray) -> np.ndarray:
        batch = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        if batch.ndim != 2 or batch.shape[1] != self.n:
            raise ValueError(f"x must have shape (N,) or (B, N) with N = {self.n}, got {np.shape(x)}")
        return batch

    def contract(self, x: np.ndarray) -> np.ndarray:
        """T{·, x, ..., x} (p-1 copies of x)."""
        kernel = _KERNELS[self.p][0]
        out = kernel(self.values, self._batch(x), self._first_blocks()).sum(axis=0)
        return out if np.ndim(x) == 2 else out[0]

    def contract_pair(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        """T{·, v, x, ..., x} (one v, p-2 copies of x)."""
        bx, bv = self._batch(x), self._batch(v)
        if bx.shape != bv.shape:
            raise ValueError(f"x and v must have the same shape, got {np.shape(x)} and {np.shape(v)}")
        kernel = _KERNELS[self.p][1]
        out = kernel(self.values, bx, bv, self._first_blocks()).sum(axis=0)
        return out if np.ndim(x) == 2 else out[0]

    def matrix(self, x: np.ndarray) -> np.ndarray:
        """T{·, ·, x, ..., x}: (N, N) for x of shape (N,), (B, N, N) for a batch."""
        kernel = _KERNELS[self.p][2]
        upper = kernel(self.values, self._batch(x), self._first_blocks()).sum(axis=0)
        full = upper + upper.transpose(0, 2, 1)
        return full if np.ndim(x) == 2 else full[0]


def tensor_from_unique_entries(
    layout: str, n: int, p: int, blocks: Iterator[tuple[np.ndarray, np.ndarray]]
) -> DenseTensor | PackedTensor:
    """Build the storage ``layout`` (one of TENSOR_LAYOUTS) from the canonical stream."""
    if layout == "dense":
        return DenseTensor.from_unique_entries(n, p, blocks)
    if layout in PACKED_DTYPES:
        return PackedTensor.from_unique_entries(n, p, blocks, dtype=PACKED_DTYPES[layout])
    raise ValueError(f"unknown tensor layout {layout!r}; known: {', '.join(TENSOR_LAYOUTS)}")
