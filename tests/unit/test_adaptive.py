"""Adaptive-lasso penalty factors from statistics."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from lasso_spark.core import SuffStats, adaptive_penalty_factors, enet_path, initial_estimate
from tests.unit.enet_reference import standardize


def _data(rng, n, p):
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 5.0, p) + rng.uniform(-3, 3, p)
    y = X[:, :3] @ [2.0, -1.0, 0.5] + rng.standard_normal(n)
    return X, y


def test_ols_when_well_posed():
    rng = np.random.default_rng(0)
    X, y = _data(rng, 200, 6)
    w = rng.uniform(0.5, 2.0, 200)
    beta, method = initial_estimate(SuffStats.from_arrays(X, y, w))
    assert method == "ols"
    Xt, _, sd = standardize(X, w)
    ref = LinearRegression().fit(Xt, y, sample_weight=w).coef_
    np.testing.assert_allclose(beta, ref, rtol=1e-9)
    v = adaptive_penalty_factors(SuffStats.from_arrays(X, y, w), gamma=2.0)
    np.testing.assert_allclose(v, 1.0 / np.abs(ref) ** 2, rtol=1e-8)
    # unstandardized: factors from original-scale OLS coefficients
    v_raw = adaptive_penalty_factors(SuffStats.from_arrays(X, y, w), standardize=False)
    np.testing.assert_allclose(v_raw, np.abs(ref / sd) ** -1, rtol=1e-8)


def test_ridge_when_p_exceeds_n_and_zero_variance_feature():
    rng = np.random.default_rng(1)
    X, y = _data(rng, 30, 50)
    X[:, 7] = 4.0  # constant
    s = SuffStats.from_arrays(X, y)
    beta, method = initial_estimate(s, ridge_alpha=0.1)
    assert method == "ridge"
    keep = np.arange(50) != 7
    Xt, _, _ = standardize(X[:, keep], np.ones(30))
    # Ridge(alpha=λ·n) minimizes ‖y − Xβ‖² + λn‖β‖², i.e. our 1/(2n)‖·‖² + λ/2‖β‖²
    ref = Ridge(alpha=0.1 * 30).fit(Xt, y).coef_
    np.testing.assert_allclose(beta[keep], ref, rtol=1e-8)
    assert beta[7] == 0.0
    v = adaptive_penalty_factors(s, ridge_alpha=0.1)
    assert v[7] == 1.0 and np.all(np.isfinite(v)) and np.all(v > 0)
    _, method = initial_estimate(s)  # automatic: p > n -> ridge
    assert method == "ridge"


def test_exact_zero_estimate_gets_large_finite_factor():
    rng = np.random.default_rng(2)
    n = 100
    x0 = rng.standard_normal(n)
    x1 = rng.standard_normal(n)
    x1 -= x1 @ x0 / (x0 @ x0) * x0  # orthogonal to x0 and to y
    x1 -= x1.mean()
    x0 -= x0.mean()
    y = 3.0 * x0
    v = adaptive_penalty_factors(SuffStats.from_arrays(np.c_[x0, x1], y))
    assert np.isfinite(v).all() and v[1] > 1e6 * v[0]


def test_adaptive_lasso_path_drops_noise_features():
    rng = np.random.default_rng(3)
    X, y = _data(rng, 400, 10)
    s = SuffStats.from_arrays(X, y)
    v = adaptive_penalty_factors(s)
    res = enet_path(s, penalty_factor=v, n_alphas=50)
    assert res.converged.all()
    # somewhere on the path exactly the true support is selected
    support = [set(np.flatnonzero(c)) for c in res.coef]
    assert {0, 1, 2} in support


def test_bad_gamma():
    rng = np.random.default_rng(4)
    X, y = _data(rng, 20, 3)
    with pytest.raises(ValueError, match="gamma"):
        adaptive_penalty_factors(SuffStats.from_arrays(X, y), gamma=0.0)
