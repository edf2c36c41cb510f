"""The generator's numpy side: truth, determinism, correlation, weighted noise."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.datagen import Truth, generate_block, make_truth, truth_for

OPTS = dict(seed=5, correlation="ar1", rho=0.6, noise_std=0.5, intercept=2.0,
            feature_mean=10.0, feature_scale=3.0, weighted=False)


def test_truth_support_and_magnitudes():
    beta = make_truth(40, 7, seed=3, coef_min=0.5, coef_max=2.0)
    nz = beta[beta != 0]
    assert nz.size == 7 and np.all((np.abs(nz) >= 0.5) & (np.abs(nz) <= 2.0))
    assert np.array_equal(beta, make_truth(40, 7, seed=3))
    assert not np.array_equal(beta, make_truth(40, 7, seed=4))
    with pytest.raises(ValueError, match="n_informative"):
        make_truth(3, 4)


def test_truth_json_round_trip():
    t = truth_for(100, 8, n_informative=3, seed=1, noise_std=0.3)
    assert Truth.from_json(t.to_json()) == t
    assert t.support == list(np.flatnonzero(make_truth(8, 3, seed=1)))


def test_block_is_deterministic_and_distinct():
    beta = make_truth(6, 2, seed=5)
    a = generate_block(3, beta, **OPTS)
    b = generate_block(3, beta, **OPTS)
    c = generate_block(4, beta, **OPTS)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("correlation, rho", [("ar1", 0.6), ("equi", 0.4), ("none", 0.0)])
def test_feature_distribution(correlation, rho):
    p = 5
    X, y, w = generate_block(0, np.zeros(p), **{**OPTS, "correlation": correlation, "rho": rho},
                             block_rows=200_000)
    assert np.allclose(X.mean(0), 10.0, atol=0.05) and np.allclose(X.std(0), 3.0, rtol=0.02)
    C = np.corrcoef(X.T)
    j, k = np.indices((p, p))
    expect = {"ar1": rho ** np.abs(j - k), "equi": np.where(j == k, 1.0, rho),
              "none": np.eye(p)}[correlation]
    assert np.allclose(C, expect, atol=0.01)
    assert np.all(w == 1.0)


def test_ols_on_a_block_recovers_truth_and_weighted_noise():
    beta = make_truth(6, 3, seed=5)
    X, y, w = generate_block(0, beta, **{**OPTS, "weighted": True}, block_rows=100_000)
    assert w.min() >= 0.5 and w.max() <= 2.0
    A = np.column_stack([np.ones(len(y)), X]) * np.sqrt(w)[:, None]
    coef, *_ = np.linalg.lstsq(A, y * np.sqrt(w), rcond=None)
    assert abs(coef[0] - 2.0) < 0.1 and np.allclose(coef[1:], beta, atol=0.01)
    resid = y - 2.0 - X @ beta
    # noise variance is noise_std^2 / w
    assert np.isclose(np.mean(resid**2 * w), 0.25, rtol=0.02)
