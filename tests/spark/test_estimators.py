"""Lasso / LassoCV against Spark MLlib and scikit-learn on the same data.

Spark jobs are expensive in tests: fits that share data are batched (``fitMultiple`` reads the
data once for many param maps), and data sets are small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.spark

FEATURES = ["x0", "x1", "x2", "x3", "x4"]


def _well_conditioned(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    scale = np.array([1.0, 10.0, 0.1, 3.0, 1.0])
    shift = np.array([0.0, 5.0, -2.0, 100.0, 1.0])
    X = rng.standard_normal((n, 5)) * scale + shift
    beta = np.array([1.5, -0.2, 8.0, 0.0, 0.3])
    y = 2.0 + X @ beta + rng.standard_normal(n) * 1.5
    w = rng.uniform(0.2, 3.0, n)
    pdf = pd.DataFrame(X, columns=FEATURES)
    pdf["label"] = y
    pdf["w"] = w
    pdf["fold"] = rng.permutation(np.arange(n) % 5).astype(np.int32)
    return pdf


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def _objective(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, coef: np.ndarray, b0: float,
    reg: float, enp: float, standardization: bool,
) -> float:
    """MLlib's objective scaled to the original label (see lasso_spark.ml.mapping), in numpy."""
    W = w.sum()
    r = y - b0 - X @ coef
    mu_y = (w @ y) / W
    sy = np.sqrt((w @ (y - mu_y) ** 2) / W)
    if standardization:
        mu = (w @ X) / W
        sx = np.sqrt((w @ (X - mu) ** 2) / W)
    else:
        sx = np.ones(X.shape[1])
    b = coef * sx
    return float(0.5 * (w @ r**2) / W + reg * enp * np.abs(b).sum()
                 + reg * (1 - enp) / (2 * sy) * (b @ b))


@pytest.fixture(scope="module")
def data(spark):
    pdf = _well_conditioned()
    df = spark.createDataFrame(pdf)
    from pyspark.ml.feature import VectorAssembler

    vdf = VectorAssembler(inputCols=FEATURES, outputCol="features").transform(df)
    return pdf, vdf.cache()


# ------------------------------------------------------------------------------- Lasso vs MLlib
def test_lasso_matches_mllib_normal_solver(data):
    from pyspark.ml.regression import LinearRegression

    from lasso_spark import Lasso

    pdf, df = data
    grid = [
        {"elasticNetParam": enp, "standardization": std, "regParam": reg}
        for enp in (1.0, 0.5)
        for std in (True, False)
        for reg in ([0.4] if enp == 1.0 else [0.05])
    ]
    for weight in (None, "w"):
        ours = Lasso(featuresCol="features", tol=1e-12)
        mllib = LinearRegression(solver="normal", maxIter=2000, tol=1e-14)
        if weight:
            ours.setWeightCol(weight)
            mllib.setWeightCol(weight)
        our_maps = [{getattr(ours, k): v for k, v in g.items()} for g in grid]
        ml_maps = [{getattr(mllib, k): v for k, v in g.items()} for g in grid]
        got = dict(ours.fitMultiple(df, our_maps))
        want = dict(mllib.fitMultiple(df, ml_maps))
        for i, g in enumerate(grid):
            a, b = got[i], want[i]
            coef_err = _rel_err(a.coefficients.toArray(), b.coefficients.toArray())
            assert coef_err <= 1e-5, (weight, g, coef_err, a.coefficients, b.coefficients)
            assert abs(a.intercept - b.intercept) <= 1e-5 * max(1.0, abs(b.intercept)), (weight, g)
            assert a.regParam == g["regParam"]
            assert a.elasticNetParam == g["elasticNetParam"]
    # the lasso actually selected: some coefficient is exactly zero at the larger regParam
    assert np.count_nonzero(got[0].coefficients.toArray()) < len(FEATURES)


def test_lasso_fit_input_cols_summary_and_path(data):
    from lasso_spark import Lasso

    pdf, df = data
    model = Lasso(inputCols=FEATURES, regParam=0.3, weightCol="w").fit(df)
    assert model.featureNames == FEATURES
    s = model.summary
    assert s.numRowsUsed == len(pdf) and s.numRowsSkipped == 0
    assert s.numDataPasses == 1 and s.statsSeconds > 0 and s.solveSeconds > 0
    path = model.path
    # warm-start path from alpha_max (all zero) down to the requested regParam
    assert path["regParam"].iloc[-1] == pytest.approx(0.3, rel=1e-15)
    assert path["nonzeros"].iloc[0] == 0
    assert np.all(np.diff(path["regParam"].to_numpy()) < 0)
    coef_cols = [c for c in path.columns if c.startswith("coef:")]
    np.testing.assert_array_equal(path[coef_cols].iloc[-1].to_numpy(),
                                  model.coefficients.toArray())
    # predictions from the SQL expression equal X @ coef + b0
    pred = model.transform(df).select("prediction").toPandas()["prediction"].to_numpy()
    want = pdf[FEATURES].to_numpy() @ model.coefficients.toArray() + model.intercept
    np.testing.assert_allclose(pred, want, rtol=1e-12, atol=1e-12)


def test_lasso_ill_conditioned_objective_not_worse_than_mllib(spark):
    """20 features sharing one factor (pairwise correlation ~0.999999), scales 1e-2..1e2.

    Default params on both sides. Our objective is certified within our duality gap of the
    optimum, so it is at most MLlib's plus that gap; where OWL-QN stops at maxIter it is
    strictly lower.
    """
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import LinearRegression

    from lasso_spark import Lasso

    rng = np.random.default_rng(3)
    n, p = 2000, 20
    scales = np.logspace(-2, 2, p)
    X = (rng.standard_normal((n, 1)) + 1e-3 * rng.standard_normal((n, p))) * scales
    beta = np.zeros(p)
    beta[[0, 5, 12]] = [1 / scales[0], -2 / scales[5], 0.5 / scales[12]]
    y = X @ beta + 0.1 * rng.standard_normal(n)
    cols = [f"c{j}" for j in range(p)]
    df = VectorAssembler(inputCols=cols, outputCol="features").transform(
        spark.createDataFrame(pd.DataFrame(X, columns=cols).assign(label=y)))
    grid = [(1.0, True), (0.5, True), (1.0, False)]
    reg = 0.01
    ours = Lasso(featuresCol="features", regParam=reg)
    mllib = LinearRegression(solver="normal", regParam=reg)
    got = dict(ours.fitMultiple(df, [{ours.elasticNetParam: e, ours.standardization: s}
                                     for e, s in grid]))
    want = dict(mllib.fitMultiple(df, [{mllib.elasticNetParam: e, mllib.standardization: s}
                                       for e, s in grid]))
    w = np.ones(n)
    stopped_early = 0
    for i, (enp, std) in enumerate(grid):
        f_ours = _objective(X, y, w, got[i].coefficients.toArray(), got[i].intercept,
                            reg, enp, std)
        f_ml = _objective(X, y, w, want[i].coefficients.toArray(), want[i].intercept,
                          reg, enp, std)
        gap = got[i].path["dualityGap"].iloc[-1]
        assert gap <= ours.getTol() * np.var(y)
        assert f_ours <= f_ml + gap, (enp, std, f_ours, f_ml, gap)
        if want[i].summary.totalIterations >= mllib.getMaxIter():
            stopped_early += 1
            assert f_ours < f_ml, (enp, std, f_ours, f_ml)
    assert stopped_early >= 1  # the data do make OWL-QN stop early


def test_penalty_factors_by_name_match_rescaled_sklearn(data):
    from sklearn.linear_model import Lasso as SkLasso

    from lasso_spark import Lasso

    pdf, df = data
    v = {"x0": 0.5, "x2": 2.0, "x4": 0.0}
    model = Lasso(inputCols=FEATURES, regParam=0.2, standardization=False,
                  penaltyFactors=v, tol=1e-12).fit(df)
    # v_j |β_j| = |β'_j| with X'_j = X_j / v_j; an unpenalized feature has v = 0: use a tiny v
    vv = np.array([v.get(c, 1.0) or 1e-9 for c in FEATURES])
    X = pdf[FEATURES].to_numpy() / vv
    sk = SkLasso(alpha=0.2, tol=1e-14, max_iter=1_000_000).fit(X, pdf["label"].to_numpy())
    assert _rel_err(model.coefficients.toArray(), sk.coef_ / vv) <= 1e-6
    # adaptive lasso: factors from the same statistics (core), solve checked by scikit-learn
    from lasso_spark.core import SuffStats, adaptive_penalty_factors

    ada = Lasso(inputCols=FEATURES, regParam=0.2, standardization=False, adaptive=True,
                adaptiveGamma=0.5, tol=1e-12).fit(df)
    Xr, y = pdf[FEATURES].to_numpy(), pdf["label"].to_numpy()
    va = adaptive_penalty_factors(SuffStats.from_arrays(Xr, y), 0.5, standardize=False)
    sk = SkLasso(alpha=0.2, tol=1e-14, max_iter=1_000_000).fit(Xr / va, y)
    assert _rel_err(ada.coefficients.toArray(), sk.coef_ / va) <= 1e-6
    with pytest.raises(ValueError, match="nope"):
        Lasso(inputCols=FEATURES, regParam=0.2, penaltyFactors={"nope": 1.0}).fit(df)


def test_handle_invalid(spark):
    from lasso_spark import Lasso

    pdf = _well_conditioned(80)[FEATURES + ["label"]]
    pdf.loc[[3, 7, 11], "x1"] = np.nan
    df = spark.createDataFrame(pdf)
    with pytest.raises(ValueError, match=r"x1[\s\S]*3|3[\s\S]*x1"):
        Lasso(inputCols=FEATURES, regParam=0.1).fit(df)
    model = Lasso(inputCols=FEATURES, regParam=0.1, handleInvalid="skip").fit(df)
    assert model.summary.numRowsSkipped == 3
    assert model.summary.numRowsUsed == 77


# ----------------------------------------------------------------------- LassoCV vs scikit-learn
def test_lasso_cv_matches_sklearn_same_folds(data):
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.model_selection import PredefinedSplit

    from lasso_spark import LassoCV

    pdf, df = data
    X, y = pdf[FEATURES].to_numpy(), pdf["label"].to_numpy()
    grid = list(np.geomspace(5.0, 5e-4, 30))
    model = LassoCV(inputCols=FEATURES, foldCol="fold", numFolds=5, regParams=grid,
                    standardization=False, tol=1e-12, parallelism=1).fit(df)
    sk = SkLassoCV(alphas=grid, cv=PredefinedSplit(pdf["fold"].to_numpy()), tol=1e-14,
                   max_iter=1_000_000).fit(X, y)
    cv = model.cvResults
    np.testing.assert_allclose(cv["regParam"].to_numpy(), sk.alphas_, rtol=1e-15)
    folds = cv[[f"mseFold{k}" for k in range(5)]].to_numpy()
    assert _rel_err(folds, sk.mse_path_) <= 1e-6
    assert model.regParam == pytest.approx(sk.alpha_, rel=1e-12)
    assert _rel_err(model.coefficients.toArray(), sk.coef_) <= 1e-5
    s = model.summary
    assert s.numDataPasses == 1 and s.numFolds == 5
    assert sum(s.extra["foldRows"]) == len(pdf)


def test_lasso_cv_standardized_enet_grid_parallel_and_1se(data):
    """Standardized elastic-net CV vs scikit-learn per fold (scaler fitted on the training
    folds); the same fit on 2 Spark tasks gives identical numbers; the 1se rule."""
    from sklearn.linear_model import ElasticNet

    from lasso_spark import LassoCV
    from lasso_spark.ml.mapping import mllib_to_core

    pdf, df = data
    X, y, w = pdf[FEATURES].to_numpy(), pdf["label"].to_numpy(), pdf["w"].to_numpy()
    fold = pdf["fold"].to_numpy()
    est = LassoCV(featuresCol="features", foldCol="fold", numFolds=5, numRegParams=12,
                  regParamMinRatio=1e-3, elasticNetParams=[0.5, 1.0], weightCol="w",
                  tol=1e-12, selectionRule="1se")
    m1 = est.copy({est.parallelism: 1}).fit(df)
    m2 = est.copy({est.parallelism: 2}).fit(df)
    assert m2.summary.extra["foldPathTasks"] == 2 and m1.summary.extra["foldPathTasks"] == 1
    pd.testing.assert_frame_equal(m1.cvResults, m2.cvResults, check_exact=True)
    np.testing.assert_array_equal(m1.coefficients.toArray(), m2.coefficients.toArray())

    cv = m1.cvResults
    # automatic grid: each elasticNetParam's first regParam zeroes every coefficient
    first = cv.groupby("elasticNetParam").head(1)
    assert (first["nonzeros"] == 0).all() and len(first) == 2
    sy = np.sqrt(np.cov(y, aweights=w, bias=True))
    for enp in (0.5, 1.0):
        rows = cv[cv["elasticNetParam"] == enp]
        pen = mllib_to_core(1.0, enp, label_std=sy)
        for k in range(5):
            tr, te = fold != k, fold == k
            mu = np.average(X[tr], axis=0, weights=w[tr])
            sd = np.sqrt(np.average((X[tr] - mu) ** 2, axis=0, weights=w[tr]))
            Xs = (X - mu) / sd
            mse = []
            for reg in rows["regParam"]:
                sk = ElasticNet(alpha=reg * pen.alpha_per_reg_param, l1_ratio=pen.l1_ratio,
                                tol=1e-14, max_iter=1_000_000)
                sk.fit(Xs[tr], y[tr], sample_weight=w[tr] * tr.sum() / w[tr].sum())
                r = y[te] - sk.predict(Xs[te])
                mse.append(np.average(r**2, weights=w[te]))
            assert _rel_err(rows[f"mseFold{k}"].to_numpy(), np.array(mse)) <= 1e-6, (enp, k)
    # glmnet's 1se rule from the table itself
    mean, se = cv["mseMean"].to_numpy(), cv["mseStdErr"].to_numpy()
    i_min = int(np.argmin(mean))
    same = cv["elasticNetParam"].to_numpy() == cv["elasticNetParam"].iloc[i_min]
    ok = np.flatnonzero(same & (mean <= mean[i_min] + se[i_min]))
    i_1se = ok[np.argmax(cv["regParam"].to_numpy()[ok])]
    assert m1.regParam == cv["regParam"].iloc[i_1se]
    assert m1.elasticNetParam == cv["elasticNetParam"].iloc[i_1se]
    assert m1.regParam >= cv["regParam"].iloc[i_min]


# ------------------------------------------------------------------------- fitMultiple under CV
def test_fit_multiple_under_crossvalidator_reads_once_per_fold(data, monkeypatch):
    from pyspark.ml.base import Estimator
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    import lasso_spark.ml.backends.gram as gram_backend
    from lasso_spark import Lasso

    _, df = data
    calls = []
    real = gram_backend.compute_stats

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(gram_backend, "compute_stats", counting)

    class DefaultFitMultipleLasso(Lasso):
        def fitMultiple(self, dataset, paramMaps):  # noqa: N802, N803
            return Estimator.fitMultiple(self, dataset, paramMaps)

    def run(lasso):
        grid = (ParamGridBuilder().addGrid(lasso.regParam, [0.02, 0.3, 2.0])
                .addGrid(lasso.elasticNetParam, [1.0, 0.5]).build())
        cv = CrossValidator(estimator=lasso, estimatorParamMaps=grid, numFolds=2, seed=7,
                            evaluator=RegressionEvaluator(), parallelism=2)
        return cv.fit(df)

    calls.clear()
    ours = run(Lasso(featuresCol="features", tol=1e-12))
    ours_passes = len(calls)
    calls.clear()
    default = run(DefaultFitMultipleLasso(featuresCol="features", tol=1e-12))
    default_passes = len(calls)
    assert ours_passes == 2 + 1  # one per training fold, one for the final refit
    assert default_passes == 2 * 6 + 1
    np.testing.assert_allclose(ours.avgMetrics, default.avgMetrics, rtol=1e-9)
    assert int(np.argmin(ours.avgMetrics)) == int(np.argmin(default.avgMetrics))
    np.testing.assert_allclose(ours.bestModel.coefficients.toArray(),
                               default.bestModel.coefficients.toArray(), rtol=1e-9)


def test_choose_parallelism_rules():
    from lasso_spark.spark.fold_paths import AUTO_MIN_FEATURES, choose_parallelism

    big = AUTO_MIN_FEATURES
    assert choose_parallelism("auto", n_features=50, n_fits=10, max_tasks=8) == 1
    assert choose_parallelism("auto", n_features=big, n_fits=10, max_tasks=2) == 2
    assert choose_parallelism("auto", n_features=big, n_fits=3, max_tasks=8) == 3
    assert choose_parallelism("auto", n_features=big, n_fits=1, max_tasks=8) == 1
    assert choose_parallelism(4, n_features=5, n_fits=2, max_tasks=None) == 2
    assert choose_parallelism(1, n_features=big, n_fits=10, max_tasks=8) == 1
