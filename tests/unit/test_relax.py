"""The relaxed lasso (core.relax) against glmnet's relax=TRUE fixture and a direct refit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from lasso_spark.core import SuffStats, enet_path
from lasso_spark.core.relax import check_gammas, relaxed_path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "penalties" / "glmnet_relax.json"


def test_relaxed_matches_glmnet_relax_fixture() -> None:
    fx = json.loads(FIXTURE.read_text())
    X, y = np.array(fx["X"]), np.array(fx["y"])
    st = SuffStats.from_arrays(X, y)
    lam = np.array(fx["lambda"])
    path = enet_path(st, alphas=lam, tol=1e-14)
    rel = relaxed_path(st, path, fx["gammas"])
    for k, gamma in enumerate(fx["gammas"]):
        ref = fx[f"gamma_{k}"]
        B, a0 = np.array(ref["beta"]), np.array(ref["a0"])
        # glmnet's refit is itself iterative (its own thresh): agreement to ~1e-5
        np.testing.assert_allclose(rel.coef[k], B, atol=1e-4)
        np.testing.assert_allclose(rel.intercept[k], a0, atol=1e-4)
        assert np.array_equal(rel.coef[k] != 0, B != 0)
        if gamma == 0.0:  # ours is the exact least-squares refit: never a worse fit
            for i in range(lam.shape[0]):
                ours = np.sum((y - rel.intercept[k][i] - X @ rel.coef[k][i]) ** 2)
                theirs = np.sum((y - a0[i] - X @ B[i]) ** 2)
                assert ours <= theirs * (1 + 1e-12)
    np.testing.assert_allclose(rel.coef[-1], path.coef, rtol=0, atol=0)  # γ = 1: the lasso


def test_refit_is_least_squares_on_the_active_set() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12))
    w = rng.uniform(0.5, 2.0, 200)
    y = X[:, :4] @ np.array([1.0, -1.0, 2.0, 0.5]) + rng.normal(size=200)
    st = SuffStats.from_arrays(X, y, w)
    path = enet_path(st, n_alphas=15, tol=1e-12)
    rel = relaxed_path(st, path, [0.0, 0.3])
    for i in range(1, 15):
        a = np.flatnonzero(path.coef[i])
        lr = LinearRegression().fit(X[:, a], y, sample_weight=w)
        np.testing.assert_allclose(rel.coef[0][i][a], lr.coef_, rtol=1e-8, atol=1e-10)
        assert rel.intercept[0][i] == pytest.approx(lr.intercept_, rel=1e-8, abs=1e-10)
        mix = 0.3 * path.coef[i] + 0.7 * rel.coef[0][i]
        np.testing.assert_allclose(rel.coef[1][i], mix, rtol=1e-12, atol=1e-14)
    assert np.count_nonzero(rel.coef[:, 0]) == 0  # alpha_max: nothing active, nothing refit


def test_gammas_are_checked() -> None:
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        check_gammas([0.5, 1.5])
    with pytest.raises(ValueError, match="must not be empty"):
        check_gammas([])
