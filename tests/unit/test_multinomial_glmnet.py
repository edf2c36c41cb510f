"""The multinomial core against R glmnet ``family = "multinomial"`` (fixture made once by
tests/fixtures/make_glmnet_multinomial.py; the R program is stored beside the numbers). CI
needs no R.

The fixture's features are standardized with their population std and glmnet ran with
``standardize = FALSE``, so both solve the same problem; the core runs with ``standardize=False``
(its ``standardize=True`` is MLlib's sample-std scaling: glmnet's ``lambda`` is then MLlib's
``regParam · √(n/(n − 1))`` for the lasso, :mod:`lasso_spark.core.logistic`). The grouped
penalty (``type.multinomial = "grouped"``; fixture keys ``glasso``, ``genet``, ``gcv``, each
with its R call in ``reference.calls``) is checked the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lasso_spark.core.binomial import numpy_pass
from lasso_spark.core.cv import select_alphas
from lasso_spark.core.multinomial import softmax_loss
from lasso_spark.core.multinomial_path import multinomial_path, multinomial_trainings_from_arrays

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "glmnet_multinomial.json"


@pytest.fixture(scope="module")
def ref():
    data = json.loads(FIXTURE.read_text())
    assert "glmnet(x, y, family = \"multinomial\"" in data["r_program"]
    d = data["data"]
    return (np.array(d["x"]), np.array(d["y"]), np.array(d["foldid"]) - 1, data["reference"])


def _objective(X, y, b, B, lam, alpha, grouped=False):
    """glmnet's multinomial objective; ``grouped``: the l1 part over each feature's K
    coefficients' Euclidean norm (``type.multinomial = "grouped"``)."""
    f = float(np.mean(softmax_loss(y, b + X @ B.T)))
    l1 = np.linalg.norm(B, axis=0).sum() if grouped else np.abs(B).sum()
    return f + lam * (alpha * l1 + 0.5 * (1 - alpha) * np.vdot(B, B))


@pytest.mark.parametrize("key,alpha", [("lasso", 1.0), ("enet", 0.5)])
def test_objective_no_worse_than_glmnet_at_every_lambda(ref, key, alpha):
    X, y, _, r = ref
    g = r[key]
    lam = np.array(g["lambda"])
    a0 = np.array(g["a0"])  # (K, m)
    beta = np.array(g["beta"])  # (K, p, m)
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y), numpy_pass(X, y),
                           reg_params=lam, l1_ratio=alpha, standardize=False, tol=1e-10)
    path = fit.paths[0]
    assert path.converged.all() and path.n_reg_params == lam.size
    ours = np.array([_objective(X, y, path.intercept[i], path.coef[i], lam[i], alpha)
                     for i in range(lam.size)])
    theirs = np.array([_objective(X, y, a0[:, i], beta[:, :, i], lam[i], alpha)
                       for i in range(lam.size)])
    assert np.all(ours <= theirs + 1e-10)
    assert np.max(theirs - ours) < 1e-5  # both near the optimum
    np.testing.assert_allclose(path.objective, ours, rtol=1e-12)


def test_grid_matches_glmnet(ref):
    X, y, _, r = ref
    lam = np.array(r["lasso"]["lambda"])
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y), numpy_pass(X, y),
                           n_reg_params=100, standardize=False)
    path = fit.paths[0]
    assert path.reg_param_max == pytest.approx(lam[0], rel=1e-10)
    m = min(path.n_reg_params, lam.size)
    np.testing.assert_allclose(path.reg_params[:m], lam[:m], rtol=1e-10)


def test_cv_glmnet_deviance_lambda_min(ref):
    """cv.glmnet(..., lambda = fit$lambda, foldid, type.measure = "deviance"): the same held-out
    deviance curve and lambda.min."""
    X, y, fold, r = ref
    cv = r["cv"]
    K = int(fold.max()) + 1
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y, None, fold, K),
                           numpy_pass(X, y, None, fold), num_folds=K,
                           reg_params=np.array(cv["lambda"]), standardize=False, tol=1e-10)
    dev = np.stack([p.heldout_deviance for p in fit.paths[1:]])  # (K, m)
    mean, se, i_min, i_1se = select_alphas(dev)
    np.testing.assert_allclose(mean, cv["cvm"], rtol=1e-4)
    np.testing.assert_allclose(se, cv["cvsd"], rtol=1e-3)
    assert cv["lambda"][i_min] == pytest.approx(cv["lambda_min"], rel=1e-12)
    assert cv["lambda"][i_1se] == pytest.approx(cv["lambda_1se"], rel=1e-12)


@pytest.mark.parametrize("key,alpha", [("glasso", 1.0), ("genet", 0.5)])
def test_grouped_objective_no_worse_than_glmnet_at_every_lambda(ref, key, alpha):
    X, y, _, r = ref
    assert 'type.multinomial = "grouped"' in r["calls"][key]
    assert f"alpha = {alpha:g}," in r["calls"][key]
    g = r[key]
    lam = np.array(g["lambda"])
    a0 = np.array(g["a0"])  # (K, m)
    beta = np.array(g["beta"])  # (K, p, m)
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y), numpy_pass(X, y),
                           reg_params=lam, l1_ratio=alpha, standardize=False, tol=1e-10,
                           grouped=True)
    path = fit.paths[0]
    assert path.converged.all() and path.n_reg_params == lam.size
    ours = np.array([_objective(X, y, path.intercept[i], path.coef[i], lam[i], alpha, True)
                     for i in range(lam.size)])
    theirs = np.array([_objective(X, y, a0[:, i], beta[:, :, i], lam[i], alpha, True)
                       for i in range(lam.size)])
    assert np.all(ours <= theirs * (1.0 + 1e-12))  # measured: within 4e-13 either way
    assert np.max((theirs - ours) / theirs) < 1e-5  # both near the optimum
    np.testing.assert_allclose(path.objective, ours, rtol=1e-12)
    # glmnet's grouped zeros are whole features, and so are ours; the supports agree
    theirs_in = np.any(beta != 0.0, axis=0).T  # (m, p)
    ours_in = np.any(path.coef != 0.0, axis=1)
    assert np.array_equal(ours_in, np.all(path.coef != 0.0, axis=1))
    assert np.array_equal(theirs_in, np.all(beta != 0.0, axis=0).T)
    assert np.mean(ours_in == theirs_in) > 0.97


def test_grouped_grid_matches_glmnet(ref):
    X, y, _, r = ref
    lam = np.array(r["glasso"]["lambda"])
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y), numpy_pass(X, y),
                           n_reg_params=100, standardize=False, grouped=True)
    path = fit.paths[0]
    assert path.reg_param_max == pytest.approx(lam[0], rel=1e-10)
    m = min(path.n_reg_params, lam.size)
    np.testing.assert_allclose(path.reg_params[:m], lam[:m], rtol=1e-10)


def test_grouped_cv_glmnet_deviance_lambda_min(ref):
    """cv.glmnet(..., type.multinomial = "grouped", lambda = gfit$lambda, foldid,
    type.measure = "deviance"): the same curve, lambda.min and lambda.1se."""
    X, y, fold, r = ref
    cv = r["gcv"]
    assert "foldid = foldid" in r["calls"]["gcv"]
    K = int(fold.max()) + 1
    fit = multinomial_path(multinomial_trainings_from_arrays(X, y, None, fold, K),
                           numpy_pass(X, y, None, fold), num_folds=K,
                           reg_params=np.array(cv["lambda"]), standardize=False, tol=1e-10,
                           grouped=True)
    dev = np.stack([p.heldout_deviance for p in fit.paths[1:]])  # (K, m)
    mean, se, i_min, i_1se = select_alphas(dev)
    np.testing.assert_allclose(mean, cv["cvm"], rtol=1e-4)
    np.testing.assert_allclose(se, cv["cvsd"], rtol=1e-3)
    assert cv["lambda"][i_min] == pytest.approx(cv["lambda_min"], rel=1e-12)
    assert cv["lambda"][i_1se] == pytest.approx(cv["lambda_1se"], rel=1e-12)
