"""The logistic core against R glmnet ``family = "binomial"`` (fixture made once by
tests/fixtures/make_glmnet_binomial.py; the R program is stored beside the numbers). CI needs no R.

The fixture's features are already standardized with their population std and glmnet ran with
``standardize = FALSE``, so both solve the same problem; the core runs with
``standardize=False`` too (its ``standardize=True`` is MLlib's sample-std scaling).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.core.binomial import log_loss, numpy_pass
from lasso_spark.core.cv import select_alphas
from lasso_spark.core.logistic import logistic_path, trainings_from_arrays

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "glmnet_binomial.json"


@pytest.fixture(scope="module")
def ref():
    data = json.loads(FIXTURE.read_text())
    assert "glmnet(x, y, family = \"binomial\"" in data["r_program"]
    d = data["data"]
    return (np.array(d["x"]), np.array(d["y"]), np.array(d["foldid"]) - 1, data["reference"])


def _objective(X, y, b0, beta, lam, alpha):
    f = float(np.mean(log_loss(y, b0 + X @ beta)))
    return f + lam * (alpha * np.abs(beta).sum() + 0.5 * (1 - alpha) * beta @ beta)


@pytest.mark.parametrize("key,alpha", [("lasso", 1.0), ("enet", 0.5)])
def test_objective_no_worse_than_glmnet_at_every_lambda(ref, key, alpha):
    X, y, _, r = ref
    g = r[key]
    lam = np.array(g["lambda"])
    beta = np.array(g["beta"])  # (p, m)
    fit = logistic_path(trainings_from_arrays(X, y), numpy_pass(X, y), reg_params=lam,
                        l1_ratio=alpha, standardize=False, tol=1e-10)
    path = fit.paths[0]
    assert path.converged.all() and path.n_reg_params == lam.size
    ours = np.array([_objective(X, y, path.intercept[i], path.coef[i], lam[i], alpha)
                     for i in range(lam.size)])
    theirs = np.array([_objective(X, y, g["a0"][i], beta[:, i], lam[i], alpha)
                       for i in range(lam.size)])
    assert np.all(ours <= theirs + 1e-10)
    np.testing.assert_allclose(path.objective, ours, rtol=1e-12)
    # both are near the optimum: the same coefficients to glmnet's own accuracy
    assert np.abs(path.coef - beta.T).max() < 1e-4


def test_grid_and_path_end_match_glmnet(ref):
    X, y, _, r = ref
    lam = np.array(r["lasso"]["lambda"])
    fit = logistic_path(trainings_from_arrays(X, y), numpy_pass(X, y), n_reg_params=100,
                        standardize=False)
    path = fit.paths[0]
    assert path.reg_param_max == pytest.approx(lam[0], rel=1e-10)
    np.testing.assert_allclose(path.reg_params, lam, rtol=1e-10)  # glmnet stops at the same λ
    assert fit.path_ended_early
    np.testing.assert_allclose(path.dev_ratio, r["lasso"]["dev_ratio"], atol=1e-6)


def test_cv_glmnet_deviance_lambda_min_and_1se(ref):
    """cv.glmnet(..., lambda = fit$lambda, foldid, type.measure = "deviance"): the same held-out
    deviance curve, standard errors, lambda.min and lambda.1se."""
    X, y, fold, r = ref
    cv = r["cv"]
    K = int(fold.max()) + 1
    fit = logistic_path(trainings_from_arrays(X, y, None, fold, K), numpy_pass(X, y, None, fold),
                        num_folds=K, n_reg_params=100, standardize=False, tol=1e-10)
    grid = fit.paths[0].reg_params
    np.testing.assert_allclose(grid, cv["lambda"], rtol=1e-10)
    dev = np.stack([p.heldout_deviance for p in fit.paths[1:]])  # (K, m)
    mean, se, i_min, i_1se = select_alphas(dev)
    np.testing.assert_allclose(mean, cv["cvm"], rtol=1e-6)
    np.testing.assert_allclose(se, cv["cvsd"], rtol=1e-4)
    assert grid[i_min] == pytest.approx(cv["lambda_min"], rel=1e-10)
    assert grid[i_1se] == pytest.approx(cv["lambda_1se"], rel=1e-10)
    # cv.glmnet's default call fits each fold on its own grid and interpolates the
    # coefficients at the full data's lambdas: curves within 1e-3, the same two choices
    default = r["cv_default"]
    np.testing.assert_allclose(mean, default["cvm"], rtol=2e-3)
    assert grid[i_min] == pytest.approx(default["lambda_min"], rel=1e-10)
    assert grid[i_1se] == pytest.approx(default["lambda_1se"], rel=1e-10)
