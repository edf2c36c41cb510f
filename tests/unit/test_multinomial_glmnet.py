"""The multinomial core against R glmnet ``family = "multinomial"`` (fixture made once by
tests/fixtures/make_glmnet_multinomial.py; the R program is stored beside the numbers). CI
needs no R.

The fixture's features are standardized with their population std and glmnet ran with
``standardize = FALSE``, so both solve the same problem; the core runs with ``standardize=False``
(its ``standardize=True`` is MLlib's sample-std scaling: glmnet's ``lambda`` is then MLlib's
``regParam · √(n/(n − 1))`` for the lasso, :mod:`lasso_spark.core.logistic`).
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


def _objective(X, y, b, B, lam, alpha):
    f = float(np.mean(softmax_loss(y, b + X @ B.T)))
    return f + lam * (alpha * np.abs(B).sum() + 0.5 * (1 - alpha) * np.vdot(B, B))


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
