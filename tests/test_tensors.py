"""Packed tensor storage and its kernels against the dense reference (theory.md §A.2, §A.5)."""

import itertools
import math

import numba
import numpy as np
import pytest

from bigbadminima import tensors
from bigbadminima.gradient_flow import initial_conditions, run_gradient_flow
from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams
from bigbadminima.tensors import (
    DenseTensor,
    PackedTensor,
    combinations_lex,
    iter_unique_entries,
    tensor_from_unique_entries,
)
from tests.test_model import elementary_symmetric, random_point, signal_loss

#: Float64 kernels differ from the dense BLAS product by summation order only: a few ulps times
#: a condition number of O(1) for Gaussian entries, so ~1e-15; 1e-12 leaves room without hiding
#: a wrong term (any missing or doubled contribution is an O(1) relative error).
RTOL_F64 = 1e-12
#: float32 storage rounds each entry by <= 2^-24 = 6e-8 relative; the contraction sums these
#: independent errors, so the result is off by ~6e-8 in norm. 1e-5 is the issue's bound.
RTOL_F32 = 1e-5
#: Sizes with full four-row groups, leftover rows (length < 4) and an odd N; p = 4 at N = 12
#: has rows of every length 1..8.
SIZES = {3: 17, 4: 12}


def relative_error(actual, reference):
    """max |a - r| / max |r|: the norm-wise error (components near zero do not blow it up)."""
    return np.abs(np.asarray(actual) - reference).max() / np.abs(reference).max()


def random_tensor_pair(n, p, seed, dtype=np.float64):
    """(dense, dense of the stored values, packed) from one stream of random unique entries;
    the packed tensor stores them as ``dtype``."""
    values = np.random.default_rng(seed).standard_normal(math.comb(n, p))
    consumed = 0

    def stream(indices):
        nonlocal consumed
        consumed += indices.shape[0]
        return values[consumed - indices.shape[0] : consumed]

    dense = DenseTensor.from_unique_entries(n, p, iter_unique_entries(n, p, stream))
    dense_of_stored = DenseTensor(dense.array.astype(dtype).astype(np.float64))
    return dense, dense_of_stored, PackedTensor(n, p, values.astype(dtype))


def make_instance(layout, p=3, n=20, inv_delta2=2.5, delta_p=1.0, seed=4):
    return Instance.generate(InstanceSpec(ModelParams.from_inv_delta2(p, inv_delta2, delta_p), n, seed), layout)


# --- the canonical stream -----------------------------------------------------------------------
def test_combinations_and_stream_follow_itertools_order():
    for n in range(9):
        for r in range(6):
            expected = list(itertools.combinations(range(n), r))
            got = combinations_lex(n, r)
            assert got.shape == (len(expected), r)
            assert [tuple(row) for row in got] == expected
    for n, p in [(9, 3), (9, 4), (6, 6)]:
        blocks = [indices for indices, _ in iter_unique_entries(n, p, lambda indices: None)]
        assert [tuple(row) for row in np.vstack(blocks)] == list(itertools.combinations(range(n), p))
        assert all((block[:, 0] == first).all() for first, block in enumerate(blocks))


# --- kernels against the dense reference ------------------------------------------------------------
@pytest.mark.parametrize("p", [3, 4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_packed_contractions_match_dense(p, dtype):
    n = SIZES[p]
    dense, dense_of_stored, packed = random_tensor_pair(n, p, seed=p, dtype=dtype)
    rng = np.random.default_rng(10 + p)
    x, v = rng.standard_normal((3, n)), rng.standard_normal((3, n))
    # against the exact f64 tensor: f64 to summation order, f32 to storage rounding
    tolerance = RTOL_F64 if dtype == np.float64 else RTOL_F32
    assert relative_error(packed.contract(x), dense.contract(x)) < tolerance
    assert relative_error(packed.contract_pair(x, v), dense.contract_pair(x, v)) < tolerance
    assert relative_error(packed.matrix(x[0]), dense.matrix(x[0])) < tolerance
    # against the rounded tensor in f64: float32 storage, float64 accumulation. Accumulating
    # in float32 would be off by ~1e-7 here, so this fails unless sums are carried in f64.
    assert relative_error(packed.contract(x), dense_of_stored.contract(x)) < RTOL_F64
    assert relative_error(packed.contract_pair(x, v), dense_of_stored.contract_pair(x, v)) < RTOL_F64
    # single vectors keep their shape
    assert packed.contract(x[1]).shape == (n,) and packed.matrix(x[1]).shape == (n, n)
    assert relative_error(packed.contract(x[1]), dense.contract(x[1])) < tolerance


@pytest.mark.parametrize("p", [3, 4])
def test_batched_kernels_equal_one_by_one(p):
    """A batch reads each row once for all replicas; each replica's arithmetic is unchanged
    (same operations in the same order), so 1e-12 is far looser than what is observed (0)."""
    n = SIZES[p]
    _, _, packed = random_tensor_pair(n, p, seed=20 + p)
    rng = np.random.default_rng(30 + p)
    x, v = rng.standard_normal((5, n)), rng.standard_normal((5, n))
    batched = packed.contract(x), packed.contract_pair(x, v), packed.matrix(x)
    for b in range(5):
        assert relative_error(batched[0][b], packed.contract(x[b])) < RTOL_F64
        assert relative_error(batched[1][b], packed.contract_pair(x[b], v[b])) < RTOL_F64
        assert relative_error(batched[2][b], packed.matrix(x[b])) < RTOL_F64


@pytest.mark.parametrize("p", [3, 4])
@pytest.mark.parametrize("chunks", [2, 3, 5])
def test_work_split_over_threads_gives_the_same_result(p, chunks, monkeypatch):
    """The kernels split the smallest index into one chunk per thread with its own output;
    pretending to have ``chunks`` threads exercises every chunk boundary on any machine."""
    n = SIZES[p]
    dense, _, packed = random_tensor_pair(n, p, seed=40 + p)
    x, v = np.random.default_rng(50).standard_normal((2, 2, n))
    monkeypatch.setattr(tensors.numba, "get_num_threads", lambda: chunks)
    bounds = packed._first_blocks()
    assert bounds[0] == 0 and bounds[-1] == n - p + 1 and (np.diff(bounds) > 0).all()
    assert len(bounds) - 1 == chunks
    assert relative_error(packed.contract(x), dense.contract(x)) < RTOL_F64
    assert relative_error(packed.contract_pair(x, v), dense.contract_pair(x, v)) < RTOL_F64
    assert relative_error(packed.matrix(x[0]), dense.matrix(x[0])) < RTOL_F64


def test_work_split_balances_entries():
    n, p, chunks = 400, 3, 4
    bounds = tensors._work_split(n, p, chunks)
    entries = [sum(math.comb(n - 1 - first, p - 1) for first in range(a, b)) for a, b in zip(bounds, bounds[1:])]
    assert sum(entries) == math.comb(n, p)
    # the largest block (first = 0) holds C(399, 2)/C(400, 3) = 0.75% of the entries: the split is that fine
    assert max(entries) / min(entries) < 1.05


def test_packed_storage_is_the_unique_entries_only():
    _, _, packed = random_tensor_pair(30, 3, seed=1)
    assert packed.nbytes == math.comb(30, 3) * 8
    _, _, packed32 = random_tensor_pair(30, 3, seed=1, dtype=np.float32)
    assert packed32.nbytes == math.comb(30, 3) * 4 and packed32.layout == "packed32"


def test_bad_layouts_and_orders_are_rejected_with_a_message():
    blocks = iter_unique_entries(8, 5, lambda indices: np.zeros(indices.shape[0]))
    with pytest.raises(ValueError, match="p = 3 and 4"):
        tensor_from_unique_entries("packed", 8, 5, blocks)
    with pytest.raises(ValueError, match="unknown tensor layout 'sparse'"):
        make_instance("sparse")
    with pytest.raises(ValueError, match=r"C\(6, 3\)"):
        PackedTensor(6, 3, np.zeros(7))
    _, _, packed = random_tensor_pair(6, 3, seed=0)
    with pytest.raises(ValueError, match="shape"):
        packed.contract(np.zeros(5))


# --- instances: the same instance whatever the layout -------------------------------------------------
@pytest.mark.parametrize("p", [3, 4])
def test_instance_is_the_same_in_every_layout(p):
    n = SIZES[p]
    dense, packed, packed32 = (make_instance(layout, p=p, n=n) for layout in ("dense", "packed", "packed32"))
    assert dense.digests == packed.digests == packed32.digests
    # bit for bit: the packed values are the dense array read at i1 < ... < ip
    unique_positions = tuple(combinations_lex(n, p).T)
    np.testing.assert_array_equal(packed.tensor.values, dense.tensor.array[unique_positions])
    np.testing.assert_array_equal(packed32.tensor.values, dense.tensor.array[unique_positions].astype(np.float32))
    rng = np.random.default_rng(p)
    x = np.stack([random_point(rng, n) for _ in range(3)])
    v = rng.standard_normal(n)
    for other, tolerance in [(packed, RTOL_F64), (packed32, RTOL_F32)]:
        assert relative_error(other.loss(x), dense.loss(x)) < tolerance
        assert relative_error(other.gradient(x), dense.gradient(x)) < tolerance
        assert relative_error(other.hessian(x[0]), dense.hessian(x[0])) < tolerance
        assert relative_error(other.hessian_vector_product(x[0], v), dense.hessian_vector_product(x[0], v)) < tolerance


def test_batched_gradient_flow_equals_one_by_one():
    """Replicas advancing together see exactly their own dynamics (no cross-talk through the
    batch); 1e-12 relative on every recorded observable and the final state."""
    instance = make_instance("packed", n=40, inv_delta2=3.0)
    x0 = initial_conditions(instance, 4)
    together = run_gradient_flow(instance, x0, t_max=8.0, dt=0.1)
    for replica in range(4):
        alone = run_gradient_flow(instance, x0[replica], t_max=8.0, dt=0.1)
        for name in ("overlap", "energy", "multiplier", "gradient_norm"):
            assert relative_error(getattr(together, name)[:, replica], getattr(alone, name)[:, 0]) < RTOL_F64
        assert relative_error(together.final_state[replica], alone.final_state[0]) < RTOL_F64


def test_gradient_flow_is_the_same_in_both_layouts():
    """Dense and packed gradients differ by ~1e-15; over a short flow at 1/Δ2 = 3 (no chaotic
    amplification, the flow contracts onto the signal) the trajectories stay within 1e-10."""
    dense, packed = make_instance("dense", n=30, inv_delta2=3.0), make_instance("packed", n=30, inv_delta2=3.0)
    x0 = initial_conditions(dense, 2)
    a, b = (run_gradient_flow(instance, x0, t_max=10.0, dt=0.1) for instance in (dense, packed))
    assert relative_error(b.overlap, a.overlap) < 1e-10 and relative_error(b.final_state, a.final_state) < 1e-10


@pytest.mark.parametrize("p, layout", [(3, "packed"), (3, "packed32"), (4, "packed")])
def test_packed_noise_has_the_covariance_of_theory(p, layout):
    """§A.4 by Monte Carlo on packed instances: H0 = ℒ - signal part has mean 0 and
    E[H0(x)H0(y)] = Σ_{i<j} w_i w_j/(Δ2 N) + (p-1)!/(Δp N^(p-1)) Σ_{i1<..<ip} w..w (w = x∘y),
    the exact finite-N form of N f(x·y/N); 3 standard errors (fails by chance ~0.3% per check)."""
    n, samples = (16, 1200) if p == 3 else (10, 1200)
    params = ModelParams.from_inv_delta2(p, 1.7, 0.8)
    rng = np.random.default_rng(60 + p)
    x = random_point(rng, n)
    y = 0.6 * x + 0.8 * random_point(rng, n)
    y *= math.sqrt(n) / np.linalg.norm(y)
    h0 = np.empty((samples, 2))
    for seed in range(samples):
        instance = Instance.generate(InstanceSpec(params, n, 10_000 + seed), layout)
        h0[seed] = [instance.loss(z) - signal_loss(instance, z) for z in (x, y)]
    for a, b, columns in [(x, y, (0, 1)), (x, x, (0, 0)), (y, y, (1, 1))]:
        w = a * b
        exact = (elementary_symmetric(w, 2) / (params.delta2 * n)
                 + math.factorial(p - 1) * elementary_symmetric(w, p) / (params.delta_p * n ** (p - 1)))
        products = h0[:, columns[0]] * h0[:, columns[1]]
        assert abs(products.mean() - exact) < 3 * products.std(ddof=1) / math.sqrt(samples)
    assert (abs(h0.mean(axis=0)) < 3 * h0.std(axis=0, ddof=1) / math.sqrt(samples)).all()


def test_kernels_honour_numba_thread_count():
    """The work split follows numba.get_num_threads() (set by the CLI's --threads)."""
    _, _, packed = random_tensor_pair(40, 3, seed=2)
    assert len(packed._first_blocks()) - 1 == numba.get_num_threads()
