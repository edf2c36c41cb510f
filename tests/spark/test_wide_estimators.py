"""Lasso / LassoCV with ``solverMode="wide"`` against the same estimators in Gram mode (and the
"auto" switch), on a sparse vector column wide enough for several working-set rounds."""

from __future__ import annotations

import numpy as np
import pytest
from pyspark.ml.linalg import Vectors

from lasso_spark import Lasso, LassoCV
from lasso_spark.ml.params import ParamValidationError

pytestmark = pytest.mark.spark

N, P = 900, 700


@pytest.fixture(scope="module")
def frame(spark):
    rng = np.random.default_rng(20)
    X = rng.normal(size=(N, P)) * rng.uniform(0.5, 3.0, P)
    X[rng.random((N, P)) < 0.9] = 0.0
    X[:, 5] = 20.0 + rng.normal(size=N)  # dense with an offset
    beta = np.zeros(P)
    beta[:15] = rng.normal(size=15) * 2.0
    y = X @ beta + 1.0 + rng.normal(size=N)
    w = rng.uniform(0.3, 2.0, N)
    rows = [
        (Vectors.sparse(P, {int(j): float(X[i, j]) for j in np.flatnonzero(X[i])}),
         float(y[i]), float(w[i]))
        for i in range(N)
    ]
    df = spark.createDataFrame(rows, ["features", "label", "w"]).repartition(2).cache()
    df.count()
    yield df
    df.unpersist()


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _path_arrays(model):
    path = model.path
    coef = path[[c for c in path.columns if c.startswith("coef:")]].to_numpy()
    return path["regParam"].to_numpy(), coef, path["intercept"].to_numpy()


def test_lasso_wide_equals_gram_with_pass_counts(frame):
    pf = {"features[0]": 0.0, "features[7]": 2.5}  # an unpenalized and a heavier feature
    for enp, reg in ((1.0, 0.05), (0.6, 0.08)):
        kw = dict(weightCol="w", regParam=reg, elasticNetParam=enp, tol=1e-11,
                  penaltyFactors=pf)
        gram = Lasso(**kw, solverMode="gram").fit(frame)
        wide = Lasso(**kw, solverMode="wide").fit(frame)
        assert _rel(wide.coefficients.toArray(), gram.coefficients.toArray()) < 1e-6
        assert wide.intercept == pytest.approx(gram.intercept, rel=1e-6)
        assert wide.regParam == gram.regParam == reg
        rg, cg, bg = _path_arrays(gram)
        rw, cw, bw = _path_arrays(wide)
        np.testing.assert_allclose(rw, rg, rtol=1e-9)
        assert _rel(cw, cg) < 1e-6 and _rel(bw, bg) < 1e-6
        np.testing.assert_allclose(wide.featureStd, gram.featureStd, rtol=1e-9)
        sg, sw = gram.summary, wide.summary
        assert sg.numDataPasses == 1 and sg.extra["solverMode"] == "gram"
        assert sw.extra["solverMode"] == "wide"
        kinds = sw.extra["dataPasses"]
        assert kinds["diag"] == 1 and kinds["kkt"] >= 1 and kinds["gram"] >= 1
        assert sw.numDataPasses == sum(kinds.values()) >= 3
        assert sw.numRows == sg.numRows == N and sw.weightSum == pytest.approx(sg.weightSum)
        assert 0 < sw.extra["maxWorkingSet"] < P
        assert sw.extra["driverPeakBytes"] > 0
        # 2 GiB over 4 block-sized arrays (1 fold, 1 model): sqrt(2^31 / 32) - 1
        assert sw.extra["blockBudgetBytes"] == 2 << 30
        assert sw.extra["maxBlockFeatures"] == 8191


def test_lasso_cv_wide_equals_gram(frame):
    kw = dict(weightCol="w", numFolds=3, seed=11, numRegParams=12, regParamMinRatio=0.03,
              tol=1e-11, elasticNetParam=0.8, parallelism=1)
    gram = LassoCV(**kw, solverMode="gram").fit(frame)
    wide = LassoCV(**kw, solverMode="wide").fit(frame)
    cg, cw = gram.cvResults, wide.cvResults
    np.testing.assert_allclose(cw["regParam"].to_numpy(), cg["regParam"].to_numpy(), rtol=1e-9)
    folds = [f"mseFold{k}" for k in range(3)]
    assert _rel(cw[folds].to_numpy(), cg[folds].to_numpy()) < 1e-6
    np.testing.assert_array_equal(cw["nonzeros"].to_numpy(), cg["nonzeros"].to_numpy())
    assert wide.regParam == gram.regParam
    assert _rel(wide.coefficients.toArray(), gram.coefficients.toArray()) < 1e-6
    _, pg, _ = _path_arrays(gram)
    _, pw, _ = _path_arrays(wide)
    assert _rel(pw, pg) < 1e-6
    s = wide.summary
    assert s.numFolds == 3 and s.extra["dataPasses"]["diag"] == 1
    assert s.numDataPasses == sum(s.extra["dataPasses"].values())
    assert sum(s.extra["foldRows"]) == N and s.extra["foldPathsConverged"]
    assert s.extra["regParamMin"] == gram.summary.extra["regParamMin"]


def test_auto_mode_threshold(frame, monkeypatch):
    import lasso_spark.ml.backends as backends

    def wide_features(est):  # None for the Gram mode, else the number of features
        b = backends.choose_backend(backends.request_from_params(est), frame)
        return None if b.name == "gram" else b.num_features

    est = Lasso(weightCol="w", regParam=0.1)
    assert est.getSolverMode() == "auto"
    assert wide_features(est) is None  # P = 700 <= 4096: Gram mode
    monkeypatch.setattr(backends, "WIDE_AUTO_MIN_FEATURES", P - 1)
    assert wide_features(est) == P
    assert wide_features(est.copy({est.solverMode: "gram"})) is None
    cols = Lasso(inputCols=[f"c{i}" for i in range(P)], regParam=0.1)
    assert wide_features(cols) == P  # inputCols: no job needed


def test_wide_mode_refuses_what_needs_the_full_gram(frame):
    with pytest.raises(ParamValidationError, match="adaptive"):
        Lasso(regParam=0.1, adaptive=True, solverMode="wide").fit(frame)
    with pytest.raises(ParamValidationError, match="regParam=0"):
        Lasso(regParam=0.0, solverMode="wide").fit(frame)
    with pytest.raises(ParamValidationError, match="solverMode"):
        Lasso(solverMode="dense")
    with pytest.raises(ParamValidationError, match="validationCol is not supported in wide"):
        LassoCV(solverMode="wide", validationCol="isVal").fit(frame)


def test_sliced_reduction_equals_plain_collect(frame, monkeypatch):
    """Gram and X'r results summed by the slice-keyed shuffle stage (forced here with tiny
    slices) equal the plain collect-and-sum."""
    import lasso_spark.spark.sums as sums
    from lasso_spark.wide import wide_enet_path

    kw = dict(features_col="features", weight_col="w", num_folds=2, seed=3, num_features=P,
              alphas=[0.3, 0.1, 0.04], tol=1e-11)
    plain = wide_enet_path(frame, **kw)
    monkeypatch.setattr(sums, "TREE_MIN_BYTES", 0)
    monkeypatch.setattr(sums, "COLLECT_MAX_BYTES", 0)
    monkeypatch.setattr(sums, "SLICE_VALUES", 4099)  # not a divisor of the result sizes
    monkeypatch.setattr(sums, "MAX_REDUCERS", 3)
    sliced = wide_enet_path(frame, **kw)
    assert sliced.pass_counts == plain.pass_counts
    assert _rel(sliced.path.coef, plain.path.coef) < 1e-10
    assert _rel(sliced.cv.mse_path, plain.cv.mse_path) < 1e-10
