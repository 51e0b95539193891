"""The finite-N model against its definition (theory.md §A): derivatives, noise statistics, seeds."""

import math

import numpy as np
import pytest

from bigbadminima.model import Instance, InstanceSpec
from bigbadminima.params import ModelParams, ParameterError


def make_instance(p=3, n=24, inv_delta2=2.5, delta_p=1.0, seed=7, layout="dense"):
    return Instance.generate(InstanceSpec(ModelParams.from_inv_delta2(p, inv_delta2, delta_p), n, seed), layout)


def elementary_symmetric(w: np.ndarray, order: int) -> float:
    """e_k(w) = Σ_{i1<...<ik} w_i1...w_ik by the recursion e_k = (1/k) Σ_j (-1)^(j-1) e_(k-j) P_j."""
    power_sums = [np.sum(w**j) for j in range(order + 1)]
    e = [1.0]
    for k in range(1, order + 1):
        e.append(sum((-1) ** (j - 1) * e[k - j] * power_sums[j] for j in range(1, k + 1)) / k)
    return e[order]


def signal_loss(instance: Instance, x: np.ndarray) -> float:
    """The signal part of ℒ straight from §A.2-A.3 (i<j and i1<...<ip sums of x*_i x_i products)."""
    params, n, p = instance.params, instance.n, instance.params.p
    w = instance.spike * x
    return -(elementary_symmetric(w, 2) / (params.delta2 * n)
             + math.factorial(p - 1) * elementary_symmetric(w, p) / (params.delta_p * n ** (p - 1)))


def random_point(rng, n):
    x = rng.standard_normal(n)
    return math.sqrt(n) * x / np.linalg.norm(x)


@pytest.mark.parametrize("p", [3, 4])
def test_gradient_matches_central_differences(p):
    instance = make_instance(p=p, n=14)
    rng = np.random.default_rng(0)
    x, direction = random_point(rng, 14), rng.standard_normal(14)
    h = 1e-5
    numeric = (instance.loss(x + h * direction) - instance.loss(x - h * direction)) / (2 * h)
    analytic = instance.gradient(x) @ direction
    # central differences: truncation O(h²·|ℒ'''|) ~ 1e-10, rounding O(eps·|ℒ|/h) ~ 1e-10, against O(1) values
    assert abs(numeric - analytic) < 1e-6 * abs(analytic)


@pytest.mark.parametrize("p", [3, 4])
def test_hessian_vector_product_matches_central_differences(p):
    instance = make_instance(p=p, n=14)
    rng = np.random.default_rng(1)
    x, v = random_point(rng, 14), rng.standard_normal(14)
    h = 1e-5
    numeric = (instance.gradient(x + h * v) - instance.gradient(x - h * v)) / (2 * h)
    analytic = instance.hessian_vector_product(x, v)
    assert np.linalg.norm(numeric - analytic) < 1e-6 * np.linalg.norm(analytic)
    np.testing.assert_allclose(instance.hessian(x) @ v, analytic, rtol=1e-12, atol=1e-12)


def test_gradient_has_no_factor_two_bug():
    """§A.5 trap: the p=3 tensor prefactor is 1/(√2 Δ3 N), not √2/(Δ3 N): Euler's identity checks it.

    ℒ is a sum of homogeneous pieces of degree 2 and p, so x·∇ℒ = 2ℒ2 + pℒp, with ℒp = (ℒ(x) - ℒ2).
    """
    instance = make_instance(p=3, n=20)
    x = random_point(np.random.default_rng(2), 20)
    matrix_part = -(x @ instance.matrix @ x) / (2 * instance.params.delta2 * math.sqrt(20))
    tensor_part = instance.loss(x) - matrix_part
    assert instance.gradient(x) @ x == pytest.approx(2 * matrix_part + 3 * tensor_part, rel=1e-12)


def test_riemannian_gradient_and_hessian_live_on_the_tangent_space():
    instance = make_instance(p=3, n=16)
    rng = np.random.default_rng(3)
    x = random_point(rng, 16)
    assert abs(instance.riemannian_gradient(x) @ x) < 1e-10
    hess = instance.riemannian_hessian(x)
    np.testing.assert_allclose(hess, hess.T, atol=1e-12)
    assert np.linalg.norm(hess @ x) < 1e-10 * np.linalg.norm(hess)
    v = rng.standard_normal(16)
    np.testing.assert_allclose(instance.riemannian_hessian_vector_product(x, v), hess @ v, atol=1e-10)


def test_riemannian_gradient_vanishes_only_at_stationary_points_of_the_constrained_loss():
    """Along a geodesic x(s) = cos(s) x + sin(s) √N u, dℒ/ds at s=0 = √N u·P∇ℒ."""
    instance = make_instance(p=4, n=12)
    rng = np.random.default_rng(4)
    x = random_point(rng, 12)
    u = rng.standard_normal(12)
    u -= (u @ x) / 12 * x
    u /= np.linalg.norm(u)

    def along(s):
        return instance.loss(math.cos(s) * x + math.sin(s) * math.sqrt(12) * u)

    h = 1e-5
    assert (along(h) - along(-h)) / (2 * h) == pytest.approx(math.sqrt(12) * u @ instance.riemannian_gradient(x), rel=1e-6)


@pytest.mark.parametrize("p", [3, 4])
def test_signal_part_follows_the_observation_model(p):
    """As Δ → 0 the loss is its signal part, §A.3 with the exact i<j, i1<..<ip sums."""
    instance = make_instance(p=p, n=13, inv_delta2=1e12, delta_p=1e-12)
    x = random_point(np.random.default_rng(5), 13)
    # signal terms scale as 1/Δ, noise terms as √Δ/Δ: the noise is a relative √Δ = 1e-6 correction
    assert instance.loss(x) == pytest.approx(signal_loss(instance, x), rel=1e-4)


@pytest.mark.parametrize("p", [3, 4])
def test_noise_covariance_is_n_f_of_overlap(p):
    """E[H0(x) H0(y)] = Σ_{i<j} w_i w_j/(Δ2 N) + (p-1)!/(Δp N^(p-1)) Σ_{i1<..<ip} w..w, w = x∘y,
    which is N f(x·y/N) up to O(1) (theory.md §A.4). Monte Carlo over seeds, 3 standard errors."""
    n, samples = (16, 1500) if p == 3 else (10, 1500)
    params = ModelParams.from_inv_delta2(p, 1.7, 0.8)
    rng = np.random.default_rng(6)
    x = random_point(rng, n)
    y = 0.6 * x + 0.8 * random_point(rng, n)
    y *= math.sqrt(n) / np.linalg.norm(y)
    h0 = np.empty((samples, 2))
    for seed in range(samples):
        instance = Instance.generate(InstanceSpec(params, n, seed))
        h0[seed] = [instance.loss(z) - signal_loss(instance, z) for z in (x, y)]
    for a, b in [(x, y), (x, x)]:
        w = a * b
        exact = (elementary_symmetric(w, 2) / (params.delta2 * n)
                 + math.factorial(p - 1) * elementary_symmetric(w, p) / (params.delta_p * n ** (p - 1)))
        column_a, column_b = (0, 1) if b is y else (0, 0)
        products = h0[:, column_a] * h0[:, column_b]
        standard_error = products.std(ddof=1) / math.sqrt(samples)
        assert abs(products.mean() - exact) < 3 * standard_error
    assert abs(h0.mean(axis=0)).max() < 3 * h0.std(axis=0).max() / math.sqrt(samples)


@pytest.mark.parametrize("p", [3, 4])
def test_finite_n_covariance_tends_to_n_f_of_overlap(p):
    """The exact finite-N covariance above is N f(q) (1 + O(1/N)): its relative gap shrinks ~4x from N to 4N."""
    params = ModelParams.from_inv_delta2(p, 1.7, 0.8)
    gaps = []
    for n in (200, 800):
        rng = np.random.default_rng(n)
        x = random_point(rng, n)
        y = 0.6 * x + 0.8 * random_point(rng, n)
        y *= math.sqrt(n) / np.linalg.norm(y)
        w = x * y
        exact = (elementary_symmetric(w, 2) / (params.delta2 * n)
                 + math.factorial(p - 1) * elementary_symmetric(w, p) / (params.delta_p * n ** (p - 1)))
        gaps.append(abs(exact / (n * params.f(x @ y / n)) - 1))
    assert gaps[1] < 0.05 and gaps[1] < gaps[0] / 2


def test_same_seed_same_instance_and_different_seed_different_instance():
    a, b, c = make_instance(seed=11), make_instance(seed=11), make_instance(seed=12)
    assert np.array_equal(a.spike, b.spike) and np.array_equal(a.matrix, b.matrix)
    assert np.array_equal(a.tensor.array, b.tensor.array) and a.digests == b.digests
    assert not np.array_equal(a.spike, c.spike) and not np.array_equal(a.tensor.array, c.tensor.array)
    assert all(a.digests[key] != c.digests[key] for key in a.digests)
    np.testing.assert_array_equal(a.random_sphere_points(3), b.random_sphere_points(3))


def test_noise_streams_do_not_depend_on_delta():
    """Common random numbers: the noise digests are the same for every (Δ2, Δp) at one seed."""
    a = make_instance(inv_delta2=1.5, delta_p=0.5)
    b = make_instance(inv_delta2=3.0, delta_p=2.0)
    assert a.digests == b.digests
    np.testing.assert_allclose(np.linalg.norm(a.spike), math.sqrt(a.n), rtol=1e-14)


def test_tensor_symmetry_and_zero_repeated_indices():
    instance = make_instance(p=3, n=9)
    t = instance.tensor.array
    for axes in [(1, 0, 2), (2, 1, 0), (0, 2, 1)]:
        assert np.array_equal(t, t.transpose(axes))
    i = np.arange(9)
    assert not t[i, i, :].any() and not t[:, i, i].any()
    assert not np.diag(instance.matrix).any() and np.array_equal(instance.matrix, instance.matrix.T)


@pytest.mark.parametrize(
    "kwargs",
    [dict(p=2), dict(inv_delta2=0.0), dict(delta_p=-1.0), dict(inv_delta2=math.nan), dict(n=2), dict(seed=-1)],
)
def test_invalid_parameters_are_rejected_with_a_message(kwargs):
    with pytest.raises(ParameterError):
        make_instance(**kwargs)


def test_pure_matrix_limit_is_accepted():
    params = ModelParams.from_inv_delta2(3, 2.5, math.inf)
    assert params.inv_delta_p == 0.0 and params.d2f1 == pytest.approx(2.5)
    instance = Instance.generate(InstanceSpec(params, 10, 1))
    x = random_point(np.random.default_rng(0), 10)
    assert np.isfinite(instance.loss(x))
