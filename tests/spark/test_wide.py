"""Wide mode on a local Spark session against the Gram mode (compute_stats + core) and
scikit-learn on the collected rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyspark.ml.linalg import Vectors

from lasso_spark.core import cv_path, enet_path
from lasso_spark.spark import InvalidInputError, compute_stats
from lasso_spark.wide import wide_enet_path
from tests.unit.enet_reference import sk_enet, standardize

pytestmark = pytest.mark.spark

N, P = 1500, 320


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(N, P)) * rng.uniform(0.5, 3.0, P)
    X[rng.random((N, P)) < 0.85] = 0.0
    X[:, 3] = 50.0 + rng.normal(size=N)  # dense, offset
    X[:, 4] = rng.normal(size=N) * 2.0  # dense
    X[:, 11] = 0.0  # never stored: zero variance
    beta = np.zeros(P)
    beta[:12] = rng.normal(size=12) * 2.0
    y = X @ beta + 3.0 + rng.normal(size=N)
    w = rng.uniform(0.3, 2.0, N)
    return X, y, w


@pytest.fixture(scope="module")
def frame(spark, arrays):
    X, y, w = arrays
    rows = [
        (Vectors.sparse(P, {int(j): float(X[i, j]) for j in np.flatnonzero(X[i])}),
         float(y[i]), float(w[i]))
        for i in range(N)
    ]
    # cached so that the many small passes of these tests do not rebuild the rows each time
    df = spark.createDataFrame(rows, ["features", "label", "w"]).repartition(3).cache()
    df.count()
    yield df
    df.unpersist()


def _rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def test_cv_path_equals_gram_mode(frame):
    kw = dict(features_col="features", weight_col="w", num_folds=3, seed=4, num_features=P)
    res = wide_enet_path(frame, **kw, n_alphas=10, alpha_min_ratio=0.02, tol=1e-11)
    sr = compute_stats(frame, **kw)
    ref = cv_path(sr.folds, alphas=res.path.alphas, tol=1e-11)
    assert res.path.alpha_max == pytest.approx(ref.path.alphas[0], rel=1e-9)
    assert _rel(res.path.coef, ref.path.coef) < 1e-6
    assert _rel(res.path.intercept, ref.path.intercept) < 1e-6
    assert _rel(res.cv.mse_path, ref.mse_path) < 1e-6
    assert res.cv.index_min == ref.index_min and res.cv.index_1se == ref.index_1se
    assert res.path.converged.all() and res.cv.fold_converged.all()
    np.testing.assert_array_equal(res.path.n_nonzero, ref.path.n_nonzero)
    # one statistics pass; every Gram block smaller than p; passes counted and logged
    assert res.pass_counts["diag"] == 1
    assert res.n_passes == len(res.passes) == sum(res.pass_counts.values())
    assert max(res.working_set_sizes) < P
    assert res.fold_rows == [s.n_rows for s in sr.folds]


def test_equals_sklearn_on_collected_rows(frame, arrays):
    X, y, w = arrays
    res = wide_enet_path(frame, features_col="features", weight_col="w", num_features=P,
                         alphas=[0.5, 0.2, 0.08], l1_ratio=0.5, tol=1e-12)
    Xt, mu, sd = standardize(X, w)
    for i, alpha in enumerate(res.path.alphas):
        b0, coef = sk_enet(Xt, y, w, alpha, 0.5)
        assert _rel(res.path.coef_std[i], coef) < 1e-6
        np.testing.assert_allclose(res.path.intercept[i], b0 - mu @ (coef / np.where(
            sd > 0, sd, 1.0)), rtol=1e-6)


def test_penalty_factors_and_kkt_resolves(frame):
    """Unpenalized and excluded features, no standardization; a tiny working-set
    budget forces KKT violators and re-solves, and the result must not change."""
    v = np.ones(P)
    v[[0, 4]] = 0.0  # unpenalized
    v[7] = np.inf  # excluded
    v[20:40] = 2.5
    opts = dict(l1_ratio=0.8, penalty_factor=v, standardize=False, tol=1e-11)
    res = wide_enet_path(frame, features_col="features", weight_col="w", num_features=P,
                         n_alphas=6, alpha_min_ratio=0.05, max_working_set=1, **opts)
    sr = compute_stats(frame, features_col="features", weight_col="w", num_features=P)
    ref = enet_path(sr.total, alphas=res.path.alphas, **opts)
    assert res.path.alpha_max == pytest.approx(ref.alpha_max, rel=1e-9)
    assert _rel(res.path.coef, ref.coef) < 1e-6
    assert np.all(res.path.coef[:, 7] == 0.0) and np.all(res.path.coef[:, [0, 4]] != 0.0)
    assert res.path.converged.all()
    # KKT violators grew the working set (which started at the 2 unpenalized + 1 feature)
    assert res.working_set_sizes[0] == 3 and max(res.working_set_sizes) > 3
    assert res.pass_counts["gram"] >= 3


def test_numeric_columns_input(spark, arrays):
    X, y, w = arrays
    cols = [f"x{j}" for j in range(40)]
    pdf = pd.DataFrame(X[:, :40], columns=cols)
    pdf["label"] = y
    df = spark.createDataFrame(pdf)
    res = wide_enet_path(df, input_cols=cols, n_alphas=5, alpha_min_ratio=0.05, tol=1e-11,
                         fit_intercept=False)
    ref = enet_path(compute_stats(df, input_cols=cols).total, alphas=res.path.alphas,
                    tol=1e-11, fit_intercept=False)
    assert res.path.alpha_max == pytest.approx(ref.alpha_max, rel=1e-9)
    assert _rel(res.path.coef, ref.coef) < 1e-6
    assert np.all(res.path.intercept == 0.0)
    assert res.feature_names == cols


def test_invalid_rows_named_with_counts(spark):
    rows = [(Vectors.sparse(3, {0: 1.0}), 1.0), (Vectors.sparse(4, {0: 1.0}), 2.0),
            (Vectors.sparse(3, {1: float("nan")}), 3.0), (Vectors.sparse(3, {2: 1.0}), None),
            (Vectors.sparse(3, {1: 2.0}), 0.5)]
    df = spark.createDataFrame(rows, ["features", "label"])
    with pytest.raises(InvalidInputError) as err:
        wide_enet_path(df, features_col="features", num_features=3, n_alphas=3)
    msg = str(err.value)
    assert "1 row with wrong vector size" in msg and "'features'" in msg
    assert "1 row with null/NaN/inf in column 'label'" in msg
    assert err.value.invalid_counts == {"features": 2, "label": 1}


def test_small_block_budget_grows_blocks_by_rows_and_changes_nothing(frame):
    """A driver budget of 30 features' blocks (3 folds, 4 models: 14 block copies): the
    working sets are capped, KKT violators join through Gram passes over their rows only, and
    the CV path equals Gram mode's."""
    kw = dict(features_col="features", weight_col="w", num_folds=3, seed=4, num_features=P)
    res = wide_enet_path(frame, **kw, n_alphas=10, alpha_min_ratio=0.02, tol=1e-11,
                         max_block_bytes=8 * 14 * 31**2, block_size=4)
    assert res.block_cap == 30 and res.block_budget_bytes == 8 * 14 * 31**2
    sr = compute_stats(frame, **kw)
    ref = cv_path(sr.folds, alphas=res.path.alphas, tol=1e-11)
    assert _rel(res.path.coef, ref.path.coef) < 1e-6
    assert _rel(res.cv.mse_path, ref.mse_path) < 1e-6
    assert res.cv.index_min == ref.index_min
    assert res.path.converged.all() and res.cv.fold_converged.all()
    grams = [x for x in res.passes if x.kind == "gram"]
    assert any(0 < x.n_features < x.block_features for x in grams)  # rows of new features


def test_fits_designed_from_blocks_equal_gram_mode_to_1e8(frame):
    """Each fit's standardized problem is built straight from the fold blocks (training block =
    all folds' minus the held-out one, shifted and scaled): with a tight tolerance the CV path
    equals Gram mode's (per-fold statistics merged by Chan's formula) to 1e-8, with an
    intercept and without."""
    kw = dict(features_col="features", weight_col="w", num_folds=3, seed=4, num_features=P)
    sr = compute_stats(frame, **kw)
    for fit_intercept in (True, False):
        res = wide_enet_path(frame, **kw, n_alphas=8, alpha_min_ratio=0.05, tol=1e-14,
                             fit_intercept=fit_intercept)
        ref = cv_path(sr.folds, alphas=res.path.alphas, tol=1e-14,
                      fit_intercept=fit_intercept)
        assert _rel(res.path.coef, ref.path.coef) < 1e-8
        assert _rel(res.path.intercept, ref.path.intercept) < 1e-8 or not fit_intercept
        assert _rel(res.cv.mse_path, ref.mse_path) < 1e-8
        assert res.path.converged.all() and res.cv.fold_converged.all()
