"""LogisticLasso / LogisticLassoCV on Spark: MLlib's coefficients, the core's CV on the same
folds, MLlib's output columns and evaluators, bad labels, persistence, Pipeline, CrossValidator."""

from __future__ import annotations

import numpy as np
import pytest

from tests.saved_model_edits import drop_crc, edit_meta, to_format_1

pytestmark = pytest.mark.spark

P = 5
COLS = [f"x{j}" for j in range(P)]


def _data(n: int = 1200, seed: int = 0):
    """Correlated features (one common factor), unequal scales and means, unequal weights."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 1))
    X = 0.6 * f + rng.normal(size=(n, P))
    X = X * rng.uniform(0.5, 3.0, P) + rng.normal(size=P) * 4.0
    eta = 0.4 + ((X - X.mean(0)) / X.std(0)) @ np.array([1.0, -0.7, 0.0, 0.4, 0.0])
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    w = rng.uniform(0.5, 2.0, n)
    return X, y, w, np.arange(n) % 3


@pytest.fixture(scope="module")
def frame(spark):
    from pyspark.ml.feature import VectorAssembler

    X, y, w, fold = _data()
    rows = [(*map(float, X[i]), float(y[i]), float(w[i]), int(fold[i])) for i in range(len(y))]
    df = spark.createDataFrame(rows, [*COLS, "y", "w", "fold"]).repartition(3)
    out = VectorAssembler(inputCols=COLS, outputCol="features").transform(df).cache()
    out.count()  # materialized: the persisted-RDD counts of the tests see only the fits' own
    return out


@pytest.mark.parametrize("standardization,enp,weighted", [
    (True, 1.0, True), (False, 1.0, False), (True, 0.5, False), (False, 0.5, True),
])
def test_same_coefficients_as_mllib(frame, standardization, enp, weighted):
    from pyspark.ml.classification import LogisticRegression

    from lasso_spark import LogisticLasso

    kw = dict(featuresCol="features", labelCol="y", regParam=0.03, elasticNetParam=enp,
              standardization=standardization)
    if weighted:
        kw["weightCol"] = "w"
    persisted = frame.sparkSession.sparkContext._jsc.getPersistentRDDs().size()
    # cacheInput (one case): the passes read a cache of the used columns, released after
    model = LogisticLasso(cacheInput=weighted and standardization, **kw).fit(frame)
    assert frame.sparkSession.sparkContext._jsc.getPersistentRDDs().size() == persisted
    ref = LogisticRegression(tol=1e-12, maxIter=2000, **kw).fit(frame)
    a, b = model.coefficients.toArray(), ref.coefficients.toArray()
    assert np.abs(a - b).max() <= 1e-4 * max(1.0, np.abs(b).max())
    assert model.intercept == pytest.approx(ref.intercept, abs=1e-4)
    assert np.count_nonzero(a) == np.count_nonzero(np.abs(b) > 1e-8)
    s = model.summary.asDict()
    assert s["converged"] and s["numDataPasses"] == 1 + int(weighted) + s["logisticPasses"]
    assert model.path["regParam"].iloc[-1] == 0.03  # the warm path ends at the regParam


@pytest.fixture(scope="module")
def cv_model(frame):
    from lasso_spark import LogisticLassoCV

    est = LogisticLassoCV(inputCols=COLS, labelCol="y", weightCol="w", foldCol="fold",
                          numFolds=3, numRegParams=25, cvMetric="auc", selectionRule="1se")
    return est.fit(frame)


def test_cv_equals_core_on_the_same_folds_and_mllib_columns(frame, cv_model):
    from pyspark.ml.evaluation import (
        BinaryClassificationEvaluator,
        MulticlassClassificationEvaluator,
    )

    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.logistic import logistic_path, trainings_from_arrays

    X, y, w, fold = _data()
    model = cv_model.copy()
    ref = logistic_path(trainings_from_arrays(X, y, w, fold, 3), numpy_pass(X, y, w, fold),
                        num_folds=3, n_reg_params=25, auc_bins=2048)
    cv = model.cvResults
    np.testing.assert_allclose(cv["regParam"], ref.paths[0].reg_params, rtol=1e-10)
    dev = np.stack([p.heldout_deviance for p in ref.paths[1:]], axis=1)
    np.testing.assert_allclose(cv[["devianceFold0", "devianceFold1", "devianceFold2"]], dev,
                               rtol=1e-7)
    auc = np.stack([p.heldout_auc for p in ref.paths[1:]], axis=1).mean(axis=1)
    np.testing.assert_allclose(cv["aucMean"], auc, atol=1e-9)
    i = model.cvTable.index_1se
    assert model.regParam == cv["regParam"].iloc[i] and model.regParam >= cv["regParam"].iloc[
        model.cvTable.index_min]
    np.testing.assert_allclose(model.coefficients.toArray(), ref.paths[0].coef[i], atol=1e-7)
    s = model.summary.asDict()
    assert s["numFolds"] == 3 and s["numDataPasses"] <= 30 and s["cvMetric"] == "auc"

    out = model.transform(frame)
    rows = out.select("rawPrediction", "probability", "prediction").collect()
    m = model.intercept + X @ model.coefficients.toArray()
    got = np.array([r.rawPrediction[1] for r in rows])
    order = np.argsort(got)  # repartition shuffled the rows: compare as multisets
    np.testing.assert_allclose(got[order], np.sort(m), rtol=1e-10)
    pr = np.array([r.probability.toArray() for r in rows])
    np.testing.assert_allclose(pr.sum(axis=1), 1.0)
    np.testing.assert_array_equal([r.prediction for r in rows], (pr[:, 1] > 0.5).astype(float))
    area = BinaryClassificationEvaluator(labelCol="y").evaluate(out)
    acc = MulticlassClassificationEvaluator(labelCol="y", metricName="accuracy").evaluate(out)
    from sklearn.metrics import roc_auc_score

    assert area == pytest.approx(roc_auc_score(y, m), abs=1e-9)
    assert acc == pytest.approx(np.mean((m > 0) == (y > 0.5)), abs=1e-12)
    model.setThreshold(0.9)
    high = model.transform(frame).where("prediction = 1.0").count()
    assert high == int(np.sum(1 / (1 + np.exp(-m)) > 0.9))


def test_bad_labels_one_class_and_skip(spark, frame):
    from pyspark.sql import functions as F

    from lasso_spark import LogisticLasso
    from lasso_spark.spark.errors import InvalidInputError

    # label 3 on fold 0's positive rows: invalid rows, named with their count
    bad = frame.withColumn("y2", F.when((F.col("fold") == 0) & (F.col("y") == 1), 3.0)
                           .otherwise(F.col("y")))
    with pytest.raises(InvalidInputError, match=r"rows with a label other than 0 or 1 in column "
                                                "'y2'") as exc:
        LogisticLasso(inputCols=COLS, labelCol="y2", regParam=0.1).fit(bad)
    n3 = int(bad.where("y2 = 3").count())
    assert n3 > 0 and exc.value.invalid_counts == {"y2": n3} and f"{n3} rows" in str(exc.value)
    model = LogisticLasso(inputCols=COLS, labelCol="y2", regParam=0.1,
                          handleInvalid="skip").fit(bad)
    assert model.summary.numRowsSkipped == n3
    assert model.summary.numRowsUsed == frame.count() - n3
    # one class only: a clear error before any logistic pass (and after skipping, too)
    with pytest.raises(InvalidInputError, match="has one class only"):
        LogisticLasso(inputCols=COLS, labelCol="y", regParam=0.1).fit(frame.where("y = 1"))
    two = frame.withColumn("y2", F.when(F.col("y") == 1, 2.0).otherwise(0.0))
    with pytest.raises(InvalidInputError, match="has one class only"):
        LogisticLasso(inputCols=COLS, labelCol="y2", handleInvalid="skip").fit(two)


def test_save_load_pipeline_and_cross_validator(frame, cv_model, tmp_path):
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    from lasso_spark import LogisticLasso, LogisticLassoModel

    model = cv_model
    path = str(tmp_path / "m")
    model.save(path)
    loaded = LogisticLassoModel.load(path)
    assert loaded.path.equals(model.path) and loaded.cvResults.equals(model.cvResults)
    assert loaded.regParam == model.regParam and loaded.summary.asDict() == model.summary.asDict()
    a = [r.probability[1] for r in loaded.transform(frame).collect()]
    b = [r.probability[1] for r in model.transform(frame).collect()]
    np.testing.assert_array_equal(a, b)

    pipe = Pipeline(stages=[LogisticLasso(featuresCol="features", labelCol="y", regParam=0.05)])
    pm = pipe.fit(frame)
    pm.save(str(tmp_path / "pipe"))
    again = PipelineModel.load(str(tmp_path / "pipe"))
    np.testing.assert_array_equal(again.stages[0].coefficients, pm.stages[0].coefficients)

    lr = LogisticLasso(featuresCol="features", labelCol="y")
    grid = ParamGridBuilder().addGrid(lr.regParam, [0.2, 0.05]).build()
    # fitMultiple solves both regParams along one path: the same as separate fits, and the
    # same passes serve both models
    shared = dict(lr.fitMultiple(frame, grid))
    np.testing.assert_allclose(shared[1].coefficients, pm.stages[0].coefficients, atol=1e-7)
    assert shared[0].summary.asDict() == shared[1].summary.asDict()
    assert shared[0].regParam == 0.2 and shared[0].path["regParam"].min() == 0.2
    cvm = CrossValidator(estimator=lr, estimatorParamMaps=grid, numFolds=2, seed=1,
                         evaluator=BinaryClassificationEvaluator(labelCol="y")).fit(frame)
    assert cvm.bestModel.regParam in (0.2, 0.05) and len(cvm.avgMetrics) == 2


def test_cross_validators_with_binary_evaluator_after_a_fit(frame):
    """A lasso_spark fit leaves the session serializable: ``CrossValidator`` with
    ``BinaryClassificationEvaluator`` over a Pipeline of ``LogisticLasso`` and then, in the same
    session, over MLlib's ``LogisticRegression`` (whose model's transform closure carries its
    training summary, which holds the SparkSession). Before lasso_spark stopped calling the
    classic ``SparkSession.addTag``, the second failed with ``Task not serializable``
    (``SparkSession.threadUuid``). Same folds (seed), same regParams: the same mean AUCs."""
    from pyspark.ml import Pipeline
    from pyspark.ml.classification import LogisticRegression
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

    from lasso_spark import LogisticLasso, LogisticLassoModel

    regs = [0.05, 0.01]
    ours = LogisticLasso(featuresCol="features", labelCol="y", tol=1e-9)
    cv_kw = dict(evaluator=BinaryClassificationEvaluator(labelCol="y"), numFolds=2, seed=3,
                 parallelism=2)
    a = CrossValidator(estimator=Pipeline(stages=[ours]),
                       estimatorParamMaps=ParamGridBuilder().addGrid(ours.regParam, regs).build(),
                       **cv_kw).fit(frame)
    assert isinstance(a.bestModel.stages[0], LogisticLassoModel)
    lr = LogisticRegression(featuresCol="features", labelCol="y", elasticNetParam=1.0,
                            tol=1e-10, maxIter=1000)
    b = CrossValidator(estimator=lr,
                       estimatorParamMaps=ParamGridBuilder().addGrid(lr.regParam, regs).build(),
                       **cv_kw).fit(frame)
    assert len(a.avgMetrics) == len(b.avgMetrics) == 2 and min(a.avgMetrics) > 0.6
    np.testing.assert_allclose(a.avgMetrics, b.avgMetrics, atol=1e-4)


def _damage_part(model, sub):
    """Flip one byte in the middle of the part's Parquet file (its size unchanged)."""
    f = next(p for p in (model / sub).iterdir() if p.name.endswith(".parquet"))
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF
    f.write_bytes(bytes(data))


_LOGISTIC_DAMAGE = {
    "data byte flipped": (lambda m: _damage_part(m, "data"), "does not match its checksum"),
    "path byte flipped": (lambda m: _damage_part(m, "path"), "does not match its checksum"),
    "cv file deleted": (lambda m: next(p for p in (m / "cv").iterdir()
                                       if p.name.endswith(".parquet")).unlink(),
                        "data file(s) deleted"),
    "file added": (lambda m: (m / "path" / "part-99999.parquet").write_bytes(
        next(p for p in (m / "path").iterdir() if p.name.endswith(".parquet")).read_bytes()),
        "not written by the save"),
    "regParam edited": (lambda m: edit_meta(
        m, lambda r: r["lassoSpark"].__setitem__("regParam", 1.0)),
        "metadata/ values do not match the checksum"),
    "cv choice edited": (lambda m: edit_meta(
        m, lambda r: r["lassoSpark"]["cv"].__setitem__("indexMin", 0)),
        "metadata/ values do not match the checksum"),
    "metadata missing": (lambda m: __import__("shutil").rmtree(m / "metadata"),
                         "metadata/ is missing"),
}


def test_logistic_model_checksums_catch_damage(cv_model, tmp_path):
    """LogisticLassoModel saves LassoModel's per-file SHA-256 and value checksums and its
    load verifies them: every kind of damage raises ModelLoadError naming the part; the
    intact copy loads equal; a format-1 directory (before the checksums) still loads."""
    import re
    import shutil

    from lasso_spark import LogisticLassoModel
    from lasso_spark.ml.persistence import ModelLoadError, inspect_local_model

    saved = tmp_path / "saved"
    cv_model.save(str(saved))
    info = inspect_local_model(str(saved))  # the Spark-free check knows the logistic model
    assert info["formatVersion"] == 2 and info["model"] == "logistic"
    assert {k.split("/")[0] for k in info["files"]} == {"data", "path", "cv"}
    assert set(info["checksums"]) == {"metadata", "data", "path", "cv"}
    for name, (change, fragment) in _LOGISTIC_DAMAGE.items():
        model = tmp_path / name.replace(" ", "_")
        shutil.copytree(saved, model)
        drop_crc(model)  # past Hadoop's own .crc check: the model's checksums must catch it
        change(model)
        with pytest.raises(ModelLoadError,
                           match=f"model at {model} is damaged: .*{re.escape(fragment)}"):
            LogisticLassoModel.load(str(model))
    loaded = LogisticLassoModel.load(str(saved))
    assert loaded.cvResults.equals(cv_model.cvResults) and loaded.path.equals(cv_model.path)
    np.testing.assert_array_equal(loaded.coefficients, cv_model.coefficients)

    old = tmp_path / "format1"
    shutil.copytree(saved, old)
    drop_crc(old)
    edit_meta(old, to_format_1)
    assert LogisticLassoModel.load(str(old)).cvResults.equals(cv_model.cvResults)


def test_cache_input_reads_the_input_once_and_releases_the_cache(spark, frame, tmp_path):
    from pyspark.sql import functions as F

    from lasso_spark import LogisticLassoCV
    from lasso_spark.spark.errors import InvalidInputError

    # an uncached input read from files: the cache (of the passes' packed projection) is made,
    # filled by the statistics pass and released; the answer is the uncached fit's
    path = str(tmp_path / "logit.parquet")
    frame.drop("features").write.parquet(path)
    files = spark.read.parquet(path)
    sc = spark.sparkContext
    persisted = sc._jsc.getPersistentRDDs().size()
    kw = dict(inputCols=COLS, labelCol="y", weightCol="w", numFolds=3, numRegParams=12)
    plain = LogisticLassoCV(**kw).fit(files)
    cached = LogisticLassoCV(cacheInput=True, **kw).fit(files)
    assert sc._jsc.getPersistentRDDs().size() == persisted
    s, s_plain = cached.summary.asDict(), plain.summary.asDict()
    assert s["inputCached"] and not s_plain["inputCached"]
    assert s["numDataPasses"] == s_plain["numDataPasses"] > 3
    np.testing.assert_array_equal(cached.coefficients.toArray(), plain.coefficients.toArray())
    assert cached.regParam == plain.regParam
    # the statistics pass's own projection of the input is answered from the cache (Spark's
    # cache manager matches the plan), so only that pass scans the file
    from lasso_spark.spark.inputs import resolve_input
    from lasso_spark.spark.logistic import binomial_statistics

    data = binomial_statistics(files, features_col=None, input_cols=COLS, label_col="y",
                               weight_col=None, num_folds=3, fold_col=None, seed=1,
                               handle_invalid="error", cache=True)
    try:
        assert data.cached is not None and data.source is data.cached
        assert data.cached.storageLevel.useMemory and data.cached.storageLevel.useDisk
        stats_plan = files.select(*resolve_input(files, binary_label=True, features_col=None,
                                                 input_cols=COLS, label_col="y",
                                                 weight_col=None, num_folds=3, fold_col=None,
                                                 seed=1, handle_invalid="error",
                                                 num_features=None).columns)
        assert "InMemoryRelation" in stats_plan._jdf.queryExecution().optimizedPlan().toString()
    finally:
        data.release()
    assert sc._jsc.getPersistentRDDs().size() == persisted
    # a failure after the cache was made (one class only) releases it too
    with pytest.raises(InvalidInputError, match="has one class only"):
        LogisticLassoCV(cacheInput=True, **kw).fit(files.where(F.col("y") == 1))
    assert sc._jsc.getPersistentRDDs().size() == persisted
    # a persisted input is read as it is (MLlib's rule): nothing more is cached
    assert not LogisticLassoCV(cacheInput=True, **kw).fit(frame).summary.asDict()["inputCached"]


def test_cache_input_unpacks_a_vector_column_and_keeps_every_answer(spark, frame):
    from pyspark.ml.linalg import Vectors

    from lasso_spark import LogisticLassoCV

    # a persisted vector input: with cacheInput the passes read the features unpacked into one
    # array column (a cache of their own, released after the fit) and give the same fit —
    # hashed folds included (seed), so the packed rows hash to the vector rows' folds
    sc = spark.sparkContext
    persisted = sc._jsc.getPersistentRDDs().size()
    kw = dict(featuresCol="features", labelCol="y", weightCol="w", numFolds=3, numRegParams=12,
              seed=3, handleInvalid="skip")
    plain = LogisticLassoCV(**kw).fit(frame)
    cached = LogisticLassoCV(cacheInput=True, **kw).fit(frame)
    assert sc._jsc.getPersistentRDDs().size() == persisted
    s, s0 = cached.summary.asDict(), plain.summary.asDict()
    assert s["inputCached"] and not s0["inputCached"]
    assert s["numDataPasses"] == s0["numDataPasses"] > 3
    assert s["foldRows"] == s0["foldRows"]
    np.testing.assert_array_equal(cached.coefficients.toArray(), plain.coefficients.toArray())
    assert cached.regParam == plain.regParam
    # invalid rows (a null vector, a vector of the wrong size, a NaN entry, a null label) are
    # counted by kind by the statistics pass and dropped by every pass over the cache too
    cols = frame.columns
    base = frame.first().asDict()
    bad = [dict(base, features=None), dict(base, features=Vectors.dense([1.0, 2.0])),
           dict(base, features=Vectors.dense([float("nan")] + [0.0] * (P - 1))),
           dict(base, y=None)]
    dirty = frame.union(spark.createDataFrame([tuple(r[c] for c in cols) for r in bad],
                                              frame.schema)).cache()
    dirty.count()
    try:
        a = LogisticLassoCV(**kw).fit(dirty)
        b = LogisticLassoCV(cacheInput=True, **kw).fit(dirty)
    finally:
        dirty.unpersist()
    sa, sb = a.summary.asDict(), b.summary.asDict()
    assert sb["inputCached"] and sa["numRowsSkipped"] == sb["numRowsSkipped"] == 4
    assert sa["invalidCounts"] == sb["invalidCounts"]
    assert sb["numDataPasses"] == sa["numDataPasses"]
    np.testing.assert_array_equal(b.coefficients.toArray(), a.coefficients.toArray())
