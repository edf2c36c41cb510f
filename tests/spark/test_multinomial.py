"""LogisticLasso / LogisticLassoCV with family="multinomial" against Spark MLlib
LogisticRegression(family="multinomial") and the numpy core on the same folds."""

from __future__ import annotations

import numpy as np
import pytest

P = 4
K = 3
COLS = [f"x{j}" for j in range(P)]


def _data(n: int = 900, seed: int = 0):
    """Correlated features with unequal scales and means, 3 classes, unequal weights."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    X = 0.6 * f + rng.normal(size=(n, P))
    X = X * rng.uniform(0.5, 3.0, P) + rng.normal(size=P) * 4.0
    B = np.array([[1.0, -0.5, 0.0, 0.3], [-0.6, 0.8, 0.0, 0.0], [0.0, 0.0, 0.5, -0.4]])
    eta = ((X - X.mean(0)) / X.std(0)) @ B.T
    P_ = np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(P_, axis=1)).sum(axis=1)
    w = rng.uniform(0.5, 2.0, n)
    return X, y.astype(float), w, np.arange(n) % 3


@pytest.fixture(scope="module")
def frame(spark):
    from pyspark.ml.feature import VectorAssembler

    X, y, w, fold = _data()
    rows = [(*map(float, X[i]), float(y[i]), float(w[i]), int(fold[i])) for i in range(len(y))]
    df = spark.createDataFrame(rows, [*COLS, "y", "w", "fold"]).repartition(3)
    out = VectorAssembler(inputCols=COLS, outputCol="features").transform(df).cache()
    out.count()
    return out


@pytest.mark.parametrize("standardization,enp,weighted", [
    (True, 1.0, True), (False, 1.0, False), (True, 0.5, False), (False, 0.5, True),
])
def test_same_coefficients_as_mllib_multinomial(frame, standardization, enp, weighted):
    from pyspark.ml.classification import LogisticRegression

    from lasso_spark import LogisticLasso

    kw = dict(featuresCol="features", labelCol="y", regParam=0.02, elasticNetParam=enp,
              standardization=standardization, family="multinomial")
    if weighted:
        kw["weightCol"] = "w"
    model = LogisticLasso(tol=1e-10, **kw).fit(frame)
    ref = LogisticRegression(tol=1e-12, maxIter=5000, **kw).fit(frame)
    a, b = model.coefficientMatrix.toArray(), ref.coefficientMatrix.toArray()
    assert a.shape == (K, P)
    assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(b).max())
    np.testing.assert_allclose(model.interceptVector.toArray(), ref.interceptVector.toArray(),
                               atol=1e-4)
    assert model.summary.asDict()["numDataPasses"] >= 3  # statistics, classes, Newton passes


def test_cv_transform_evaluator_and_save_load(frame, tmp_path):
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator

    from lasso_spark import LogisticLassoCV
    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.multinomial import softmax
    from lasso_spark.core.multinomial_path import (
        multinomial_path,
        multinomial_trainings_from_arrays,
    )
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel

    model = LogisticLassoCV(featuresCol="features", labelCol="y", foldCol="fold", numFolds=3,
                            family="multinomial", numRegParams=20, cvMetric="deviance",
                            tol=1e-8).fit(frame)
    assert isinstance(model, MultinomialLassoModel) and model.numClasses == K
    X, y, w, fold = _data()
    tr = multinomial_trainings_from_arrays(X, y, None, fold, 3)
    core = multinomial_path(tr, numpy_pass(X, y, None, fold), num_folds=3, n_reg_params=20,
                            tol=1e-8)
    cvr = model.cvResults
    np.testing.assert_allclose(cvr["regParam"], core.paths[0].reg_params, rtol=1e-9)
    dev = np.mean(np.stack([p.heldout_deviance for p in core.paths[1:]], 1), 1)
    np.testing.assert_allclose(cvr["devianceMean"], dev, rtol=1e-5)
    out = model.transform(frame).select("features", "y", "rawPrediction", "probability",
                                        "prediction").toPandas()
    Xf = np.stack([v.toArray() for v in out["features"]])
    B, b = model.coefficientMatrix.toArray(), model.interceptVector.toArray()
    raw = np.stack([v.toArray() for v in out["rawPrediction"]])
    np.testing.assert_allclose(raw, b + Xf @ B.T, rtol=1e-10, atol=1e-10)
    prob = np.stack([v.toArray() for v in out["probability"]])
    np.testing.assert_allclose(prob, softmax(raw)[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(out["prediction"].to_numpy(), raw.argmax(1).astype(float))
    acc = MulticlassClassificationEvaluator(labelCol="y", metricName="accuracy").evaluate(
        model.transform(frame))
    assert acc == pytest.approx(np.mean(raw.argmax(1) == out["y"].to_numpy()))
    path = str(tmp_path / "mlr")
    model.save(path)
    again = MultinomialLassoModel.load(path)
    np.testing.assert_array_equal(again.coefficientMatrix.toArray(), B)
    np.testing.assert_array_equal(again.interceptVector.toArray(), b)
    assert again.getFeaturesCol() == "features" and again.summary.asDict() == \
        model.summary.asDict()
    back = again.transform(frame).select("prediction").toPandas()["prediction"].to_numpy()
    np.testing.assert_array_equal(back, out["prediction"].to_numpy())


def test_bad_labels_are_named_and_counted(spark):
    from lasso_spark import LogisticLasso
    from lasso_spark.core.errors import DataError

    rows = [(float(i % 5), float(i % 3) + (0.5 if i % 50 == 0 else 0.0)) for i in range(300)]
    df = spark.createDataFrame(rows, ["x0", "y"])
    with pytest.raises(DataError, match=r"6 rows with a label that is not a class index.*'y'"):
        LogisticLasso(inputCols=["x0"], labelCol="y", family="multinomial",
                      regParam=0.1).fit(df)


def test_family_auto_follows_the_number_of_classes(frame):
    from pyspark.sql import functions as F

    from lasso_spark import LogisticLasso, LogisticLassoModel
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel

    kw = dict(featuresCol="features", labelCol="y", regParam=0.05, family="auto")
    assert isinstance(LogisticLasso(**kw).fit(frame), MultinomialLassoModel)
    two = frame.withColumn("y", F.when(F.col("y") > 0.5, 1.0).otherwise(0.0))
    model = LogisticLasso(**kw).fit(two)
    ref = LogisticLasso(**{**kw, "family": "binomial"}).fit(two)
    assert isinstance(model, LogisticLassoModel)
    np.testing.assert_allclose(model.coefficients.toArray(), ref.coefficients.toArray())


def test_cv_metric_auc_is_refused_for_the_multinomial_family_only(frame):
    """No multi-class AUC is defined: a multinomial CV fit refuses cvMetric="auc" naming the
    metric and the family (before any pass for family="multinomial", after the class count
    for "auto"); "auto" with 2 classes is binomial and cross-validates by AUC."""
    from pyspark.sql import functions as F

    from lasso_spark import LogisticLassoCV, LogisticLassoModel
    from lasso_spark.paramspec import ParamValidationError

    kw = dict(featuresCol="features", labelCol="y", numFolds=3, numRegParams=8,
              cvMetric="auc")
    for family, what in (("multinomial", "family='multinomial'"),
                         ("auto", "family='auto' with 3 classes")):
        with pytest.raises(ParamValidationError,
                           match=rf"cvMetric='auc' is defined for the binomial family only, "
                                 rf"not for {what}"):
            LogisticLassoCV(family=family, **kw).fit(frame)
    two = frame.withColumn("y", F.when(F.col("y") > 0.5, 1.0).otherwise(0.0))
    model = LogisticLassoCV(family="auto", **kw).fit(two)
    assert isinstance(model, LogisticLassoModel)
    assert model.summary.asDict()["cvMetric"] == "auc"


def test_path_cv_summary_plots_survive_save_load(frame, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import pandas as pd

    from lasso_spark import LogisticLasso, LogisticLassoCV
    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.multinomial_path import (
        multinomial_path,
        multinomial_trainings_from_arrays,
    )
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel

    model = LogisticLassoCV(featuresCol="features", labelCol="y", foldCol="fold", numFolds=3,
                            family="multinomial", numRegParams=12, tol=1e-8,
                            cvMetric="misclassification").fit(frame)
    X, y, _, fold = _data()
    core = multinomial_path(multinomial_trainings_from_arrays(X, y, None, fold, 3),
                            numpy_pass(X, y, None, fold), num_folds=3, n_reg_params=12,
                            tol=1e-8).paths[0]
    path = model.path
    assert len(path) == core.n_reg_params > 3  # the path may end early, as glmnet's
    assert list(path.columns[:3]) == ["regParam", "nonzeros", "logLoss"]
    np.testing.assert_allclose(path["regParam"], core.reg_params, rtol=1e-9)
    for j, name in enumerate(COLS):  # coef:<feature>:<class>
        for k in range(K):
            np.testing.assert_allclose(path[f"coef:{name}:{k}"], core.coef[:, k, j],
                                       atol=1e-6)
    np.testing.assert_allclose(path[[f"intercept:{k}" for k in range(K)]], core.intercept,
                               atol=1e-6)
    np.testing.assert_array_equal(path["nonzeros"],
                                  np.any(core.coef != 0, axis=1).sum(axis=1))
    i = model.cvTable.index_chosen
    assert model.regParam == path["regParam"][i]
    np.testing.assert_allclose(
        np.array([[path[f"coef:{n}:{k}"][i] for n in COLS] for k in range(K)]),
        model.coefficientMatrix.toArray(), atol=0)
    cv = model.cvResults
    assert cv["misclassificationMean"].iloc[i] == cv["misclassificationMean"].min()
    assert {"devianceMean", "misclassificationFold2"} <= set(cv.columns)
    assert model.summary.asDict()["numClasses"] == K

    fig = model.plotPath()
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    std = model.featureStd
    shown = [n for n in COLS if n in lines]
    assert shown, lines.keys()
    rows = np.argsort(path["regParam"].to_numpy())
    for name in shown:  # the norm over classes of the standardized coefficients
        j = COLS.index(name)
        norm = np.sqrt(sum(path[f"coef:{name}:{k}"].to_numpy() ** 2 for k in range(K))) * std[j]
        np.testing.assert_allclose(lines[name].get_ydata(), norm[rows], rtol=1e-12)
    assert model.plotCV().axes[0].get_ylabel().startswith("misclassification")

    saved = str(tmp_path / "m")
    model.save(saved)
    again = MultinomialLassoModel.load(saved)
    pd.testing.assert_frame_equal(again.path, path)
    pd.testing.assert_frame_equal(again.cvResults, cv)
    assert again.cvTable.index_chosen == i and again.cvTable.metric == "misclassification"
    assert again.summary.asDict() == model.summary.asDict()
    again.plotPath()
    again.plotCV()

    single = LogisticLasso(featuresCol="features", labelCol="y", family="multinomial",
                           regParam=float(path["regParam"][5]), tol=1e-8).fit(frame)
    wp = single.path  # the warm path down to regParam, its last row the model
    assert wp["regParam"].iloc[-1] == pytest.approx(single.regParam)
    assert (wp["regParam"] >= single.regParam * (1 - 1e-12)).all()
    last = np.array([[wp[f"coef:{n}:{k}"].iloc[-1] for n in COLS] for k in range(K)])
    np.testing.assert_array_equal(last, single.coefficientMatrix.toArray())
    assert single.cvResults is None


def test_fit_multiple_shares_one_path_per_elastic_net_param(frame, monkeypatch):
    """``fitMultiple`` over a regParam × elasticNetParam grid: one backend fit (one statistics
    and class pass, one warm path) per elasticNetParam, each model equal to its own fit."""
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator

    import lasso_spark.ml.backends.multinomial as backend
    from lasso_spark import LogisticLasso
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel

    calls: list[list[float]] = []
    real = backend.fit_targets

    def counted(dataset, request, targets, num_features=0):
        calls.append(list(targets))
        return real(dataset, request, targets, num_features)

    monkeypatch.setattr(backend, "fit_targets", counted)
    est = LogisticLasso(featuresCol="features", labelCol="y", family="multinomial", tol=1e-10)
    grid = [{est.regParam: r, est.elasticNetParam: a} for a in (1.0, 0.5)
            for r in (0.1, 0.02, 0.05)]
    shared = dict(est.fitMultiple(frame, grid))
    assert sorted(shared) == list(range(len(grid)))
    assert sorted(sorted(c) for c in calls) == [[0.02, 0.05, 0.1]] * 2  # one fit per alpha
    for i, pm in enumerate(grid):
        got = shared[i]
        assert isinstance(got, MultinomialLassoModel)
        assert got.regParam == pm[est.regParam]
        assert got.elasticNetParam == pm[est.elasticNetParam]
        assert got.path["regParam"].min() == pm[est.regParam]  # its warm path, down to it
    n_shared = len(calls)
    alone = {i: est.copy(grid[i]).fit(frame) for i in (0, 1, 3)}
    assert len(calls) == n_shared + 3
    for i, want in alone.items():
        np.testing.assert_allclose(shared[i].coefficientMatrix.toArray(),
                                   want.coefficientMatrix.toArray(), atol=1e-6)
        np.testing.assert_allclose(shared[i].interceptVector.toArray(),
                                   want.interceptVector.toArray(), atol=1e-6)
    # the three regParams of one alpha came from the same passes: one summary, and fewer
    # passes than the three fits alone would make
    s = [shared[i].summary.asDict() for i in range(len(grid))]
    same_alpha = [i for i, pm in enumerate(grid) if pm[est.elasticNetParam] == 1.0]
    assert all(s[i] == s[same_alpha[0]] for i in same_alpha)
    assert s[same_alpha[0]]["statisticsPasses"] == 2
    alone_passes = sum(alone[i].summary.asDict()["numDataPasses"] for i in (0, 1))
    assert s[same_alpha[0]]["numDataPasses"] < alone_passes + est.copy(
        grid[2]).fit(frame).summary.asDict()["numDataPasses"]

    calls.clear()
    cvm = CrossValidator(estimator=est, estimatorParamMaps=grid[:2], numFolds=2, seed=1,
                         evaluator=MulticlassClassificationEvaluator(labelCol="y")).fit(frame)
    assert len(calls) == 2 + 1  # one shared fit per training split, then the refit
    assert cvm.bestModel.regParam in (0.1, 0.02) and len(cvm.avgMetrics) == 2


def test_format_2_models_still_load_and_format_3_is_verified(spark, frame, tmp_path):
    """A model in the format-2 layout (pyspark's metadata writer, no checksums) loads with its
    values; a format-3 save whose metadata was edited afterwards is refused."""
    import json

    from pyspark.ml.util import DefaultParamsWriter

    from lasso_spark import LogisticLasso
    from lasso_spark.ml.logistic_tables import MultinomialPathTable
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel
    from lasso_spark.ml.persistence import ModelLoadError

    m = LogisticLasso(featuresCol="features", labelCol="y", family="multinomial",
                      regParam=0.05).fit(frame)
    old = str(tmp_path / "format2")
    data = ("featureNames ARRAY<STRING>, coefficientMatrix ARRAY<ARRAY<DOUBLE>>, "
            "interceptVector ARRAY<DOUBLE>, featureStd ARRAY<DOUBLE>, "
            "pathRegParams ARRAY<DOUBLE>")
    B, b = m.coefficientMatrix.toArray(), m.interceptVector.toArray()
    spark.createDataFrame([(m.featureNames, B.tolist(), b.tolist(), m.featureStd.tolist(),
                            m.pathRegParams.tolist())], data).write.parquet(f"{old}/data")
    spark.createDataFrame(m.pathTable.to_rows(), MultinomialPathTable.ROW_SCHEMA) \
        .write.parquet(f"{old}/path")
    DefaultParamsWriter.saveMetadata(m, old, spark, extraMetadata={"lassoSpark": {
        "formatVersion": 2, "model": "multinomial", "numClasses": K, "numFeatures": P,
        "regParam": m.regParam, "elasticNetParam": m.elasticNetParam,
        "summary": m.summary.asDict(), "hasPath": True, "hasCV": False, "cv": None}})
    back = MultinomialLassoModel.load(old)
    np.testing.assert_array_equal(back.coefficientMatrix.toArray(), B)
    np.testing.assert_array_equal(back.interceptVector.toArray(), b)
    assert back.path.equals(m.path) and back.cvResults is None

    new = tmp_path / "format3"
    m.save(str(new))
    meta_file = next((new / "metadata").glob("part-*"))
    meta = json.loads(meta_file.read_text())
    assert meta["lassoSpark"]["formatVersion"] == 3 and meta["lassoSpark"]["files"]
    assert MultinomialLassoModel.load(str(new)).path.equals(m.path)
    meta["lassoSpark"]["regParam"] = 0.5  # edited after the save
    meta_file.write_text(json.dumps(meta) + "\n")
    for crc in (new / "metadata").glob(".*.crc"):  # Hadoop's own checksum would see it first
        crc.unlink()
    with pytest.raises(ModelLoadError, match="metadata/ values do not match the checksum"):
        MultinomialLassoModel.load(str(new))


def test_grouped_cv_fits_transforms_and_keeps_its_grouping_on_save_load(frame, tmp_path):
    from lasso_spark import LogisticLasso, LogisticLassoCV
    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.multinomial import softmax
    from lasso_spark.core.multinomial_path import (
        multinomial_path,
        multinomial_trainings_from_arrays,
    )
    from lasso_spark.ml.multinomial_model import MultinomialLassoModel
    from lasso_spark.paramspec import ParamValidationError

    est = LogisticLassoCV(featuresCol="features", labelCol="y", foldCol="fold", numFolds=3,
                          family="multinomial", multinomialGrouping="grouped",
                          numRegParams=15, tol=1e-8)
    assert est.getMultinomialGrouping() == "grouped"
    model = est.fit(frame)
    assert isinstance(model, MultinomialLassoModel) and model.multinomialGrouping == "grouped"
    assert model.summary.asDict()["multinomialGrouping"] == "grouped"
    X, y, _, fold = _data()
    core = multinomial_path(multinomial_trainings_from_arrays(X, y, None, fold, 3),
                            numpy_pass(X, y, None, fold), num_folds=3, n_reg_params=15,
                            tol=1e-8, grouped=True)
    full = core.paths[0]
    np.testing.assert_allclose(model.cvResults["regParam"], full.reg_params, rtol=1e-9)
    dev = np.mean(np.stack([p.heldout_deviance for p in core.paths[1:]], 1), 1)
    np.testing.assert_allclose(model.cvResults["devianceMean"], dev, rtol=1e-5)
    i = model.cvTable.index_chosen
    np.testing.assert_allclose(model.coefficientMatrix.toArray(), full.coef[i], atol=1e-6)
    # every path row: a feature's K coefficients are all zero or all nonzero
    path = model.path
    C = np.stack([[path[f"coef:{n}:{k}"] for n in COLS] for k in range(K)])  # (K, p, m)
    assert np.array_equal(np.any(C == 0.0, axis=0), np.all(C == 0.0, axis=0))
    assert np.any(np.all(C == 0.0, axis=0)) and np.any(np.all(C != 0.0, axis=0))
    out = model.transform(frame).select("features", "rawPrediction", "probability",
                                        "prediction").toPandas()
    Xf = np.stack([v.toArray() for v in out["features"]])
    B, b = model.coefficientMatrix.toArray(), model.interceptVector.toArray()
    raw = np.stack([v.toArray() for v in out["rawPrediction"]])
    np.testing.assert_allclose(raw, b + Xf @ B.T, rtol=1e-10, atol=1e-10)
    prob = np.stack([v.toArray() for v in out["probability"]])
    np.testing.assert_allclose(prob, softmax(raw)[0], rtol=1e-10, atol=1e-12)
    saved = str(tmp_path / "grouped")
    model.save(saved)
    again = MultinomialLassoModel.load(saved)
    assert again.multinomialGrouping == "grouped"
    np.testing.assert_array_equal(again.coefficientMatrix.toArray(), B)
    # a single grouped fit at the chosen regParam; the ungrouped default differs from it
    one = LogisticLasso(featuresCol="features", labelCol="y", family="multinomial",
                        multinomialGrouping="grouped", regParam=model.regParam,
                        tol=1e-10).fit(frame)
    np.testing.assert_allclose(one.coefficientMatrix.toArray(), B, atol=1e-5)
    plain = LogisticLasso(featuresCol="features", labelCol="y", family="multinomial",
                          regParam=model.regParam, tol=1e-10).fit(frame)
    assert plain.multinomialGrouping == "ungrouped"
    assert np.abs(plain.coefficientMatrix.toArray() - B).max() > 1e-3
    with pytest.raises(ParamValidationError, match="multinomialGrouping='grouped'.*binomial"):
        LogisticLasso(featuresCol="features", labelCol="y", regParam=0.1,
                      multinomialGrouping="grouped").fit(frame)


def test_cache_input_reads_the_unpacked_features_and_keeps_the_fit(spark, frame):
    from lasso_spark import LogisticLassoCV

    # cacheInput reaches the multinomial family: the passes read the vector column's features
    # unpacked into one cached array column, released after the fit, with the same answers
    sc = spark.sparkContext
    persisted = sc._jsc.getPersistentRDDs().size()
    kw = dict(featuresCol="features", labelCol="y", weightCol="w", numFolds=3,
              family="multinomial", numRegParams=10, seed=5)
    plain = LogisticLassoCV(**kw).fit(frame)
    cached = LogisticLassoCV(cacheInput=True, **kw).fit(frame)
    assert sc._jsc.getPersistentRDDs().size() == persisted
    s, s0 = cached.summary.asDict(), plain.summary.asDict()
    assert s["inputCached"] and not s0["inputCached"]
    assert s["numDataPasses"] == s0["numDataPasses"] and s["foldRows"] == s0["foldRows"]
    np.testing.assert_array_equal(cached.coefficientMatrix.toArray(),
                                  plain.coefficientMatrix.toArray())
    assert cached.regParam == plain.regParam
    # numeric columns of an input read from files: cached as they are (the statistics pass
    # fills the cache), the same fit
    cols = dict(inputCols=COLS, labelCol="y", numFolds=3, family="multinomial",
                numRegParams=6, seed=5)
    files = frame.drop("features")
    files_plain = LogisticLassoCV(**cols).fit(files)
    files_cached = LogisticLassoCV(cacheInput=True, **cols).fit(files)
    assert files_cached.summary.asDict()["inputCached"]
    assert sc._jsc.getPersistentRDDs().size() == persisted
    np.testing.assert_array_equal(files_cached.coefficientMatrix.toArray(),
                                  files_plain.coefficientMatrix.toArray())


def test_family_auto_with_two_classes_releases_its_cache_before_the_binomial_fit(
        spark, frame, monkeypatch):
    from pyspark.sql import functions as F

    from lasso_spark import LogisticLasso, LogisticLassoModel
    from lasso_spark.ml.backends import logistic

    # family="auto" learns the class count from the multinomial class pass (which filled the
    # cacheInput cache); with 2 classes the binomial fit takes over and must not find that
    # cache still held beside its own
    sc = spark.sparkContext
    persisted = sc._jsc.getPersistentRDDs().size()
    seen = []
    real = logistic.fit_targets

    def counted(*args, **kwargs):
        seen.append(sc._jsc.getPersistentRDDs().size())
        return real(*args, **kwargs)

    monkeypatch.setattr(logistic, "fit_targets", counted)
    two = frame.withColumn("y", F.when(F.col("y") > 0.5, 1.0).otherwise(0.0))
    model = LogisticLasso(featuresCol="features", labelCol="y", regParam=0.05, family="auto",
                          cacheInput=True).fit(two)
    assert isinstance(model, LogisticLassoModel) and model.summary.asDict()["inputCached"]
    assert seen == [persisted]
    assert sc._jsc.getPersistentRDDs().size() == persisted
