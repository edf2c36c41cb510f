"""The (regParam, elasticNetParam) → (alpha, l1_ratio) map against Spark MLlib itself.

No lasso_spark solver here: the mapped problem is solved by scikit-learn's ElasticNet on X
standardized by the test (weighted mean, population std), tol 1e-12, and compared with
``LinearRegression(solver="normal")`` at 1e-5 relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import ElasticNet
from sklearn.linear_model import LinearRegression as SkOLS

from lasso_spark.ml import mllib_to_core

pytestmark = pytest.mark.spark

N, P = 150, 5


@pytest.fixture(scope="module")
def data(spark):
    from pyspark.ml.linalg import Vectors

    rng = np.random.default_rng(11)
    X = rng.normal(size=(N, P)) * np.array([1.0, 2.0, 0.5, 3.0, 1.0]) + np.array(
        [1.0, -2.0, 0.0, 5.0, 0.3]
    )
    y = 2.0 + X @ np.array([1.5, -0.8, 0.0, 0.3, 0.05]) + 0.7 * rng.normal(size=N)
    w = rng.uniform(0.5, 2.0, size=N)
    df = spark.createDataFrame(
        [(Vectors.dense(X[i].tolist()), float(y[i]), float(w[i])) for i in range(N)],
        ["features", "label", "w"],
    )
    return X, y, w, df


def _reference(X, y, w, reg, enp, standardization, fit_intercept):
    W = w.sum()
    mu = w @ X / W
    sd = np.sqrt(w @ (X - mu) ** 2 / W)
    my = w @ y / W
    sy = np.sqrt(w @ (y - my) ** 2 / W)
    core = mllib_to_core(reg, enp, label_std=sy, label_mean=my, fit_intercept=fit_intercept,
                         standardization=standardization)
    scale = sd if standardization else np.ones(X.shape[1])
    # without intercept the core (like MLlib) scales by the centered std but does not center
    Xt = X / scale
    est = ElasticNet(alpha=core.alpha, l1_ratio=core.l1_ratio, fit_intercept=fit_intercept,
                     tol=1e-12, max_iter=1_000_000)
    est.fit(Xt, y, sample_weight=w)
    return est.coef_ / scale, float(est.intercept_)


CASES = [
    # regParam, elasticNetParam, standardization, fitIntercept, weights
    (0.1, 1.0, True, True, True),
    (0.1, 0.5, True, True, False),
    (0.1, 0.5, False, True, True),
    (0.1, 0.5, True, False, True),
    (0.2, 1.0, False, False, False),
]


@pytest.mark.parametrize("reg,enp,std,fit_intercept,weighted", CASES)
def test_mapping_gives_mllib_normal_solver_coefficients(data, reg, enp, std, fit_intercept,
                                                        weighted):
    from pyspark.ml.regression import LinearRegression

    X, y, w, df = data
    lr = LinearRegression(solver="normal", regParam=reg, elasticNetParam=enp,
                          standardization=std, fitIntercept=fit_intercept, maxIter=10_000,
                          tol=1e-14)
    if weighted:
        lr.setWeightCol("w")
    mllib = lr.fit(df)
    coef, intercept = _reference(X, y, w if weighted else np.ones(N), reg, enp, std,
                                 fit_intercept)
    got = mllib.coefficients.toArray()
    assert np.count_nonzero(coef) >= 2
    np.testing.assert_allclose(got, coef, rtol=1e-5, atol=1e-5 * np.max(np.abs(coef)))
    assert mllib.intercept == pytest.approx(intercept, rel=1e-5, abs=1e-7)
    # the L2 part matters: with σy ≠ 1 the naive glmnet-style (alpha=regParam, l1=enp) differs
    if enp < 1.0:
        naive = ElasticNet(alpha=reg, l1_ratio=enp, fit_intercept=fit_intercept, tol=1e-12,
                           max_iter=1_000_000)
        ww = w if weighted else np.ones(N)
        mu = ww @ X / ww.sum()
        scale = np.sqrt(ww @ (X - mu) ** 2 / ww.sum()) if std else np.ones(P)
        naive.fit(X / scale, y, sample_weight=ww)
        assert np.max(np.abs(naive.coef_ / scale - got)) > 1e-3


def test_regparam_zero_is_least_squares_and_constant_label_is_constant_model(spark, data):
    from pyspark.ml.regression import LinearRegression

    X, y, w, df = data
    core = mllib_to_core(0.0, 1.0, label_std=float(y.std()), label_mean=float(y.mean()))
    assert core.alpha == 0.0
    ols = SkOLS().fit(X, y)
    mllib = LinearRegression(solver="normal", regParam=0.0).fit(df)
    np.testing.assert_allclose(mllib.coefficients.toArray(), ols.coef_, rtol=1e-8)

    const = df.selectExpr("features", "CAST(3.25 AS DOUBLE) AS label")
    m = LinearRegression(solver="normal", regParam=0.3, elasticNetParam=0.5).fit(const)
    core = mllib_to_core(0.3, 0.5, label_std=0.0, label_mean=3.25)
    assert core.constant_model and core.constant_intercept == 3.25
    assert m.intercept == core.constant_intercept
    assert np.all(m.coefficients.toArray() == 0.0)
