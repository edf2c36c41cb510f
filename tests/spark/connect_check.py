"""Run as a script: LassoModel transform / save / overwrite / load on a Spark Connect session,
the estimators' fits (Lasso, LassoCV, LogisticLassoCV of either family) there too.

Used by test_connect.py in a subprocess (a Connect session cannot share the test process with
the classic session fixture). Prints OK on success.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from pyspark.ml.linalg import Vectors
    from pyspark.sql import SparkSession

    from lasso_spark.ml import LassoModel
    from tests.unit.model_factory import make_model

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = SparkSession.builder.remote("local[2]").getOrCreate()
    model, X, _ = make_model(n=40, p=6, m=8, k=4)
    df = spark.createDataFrame([(i, Vectors.dense(X[i].tolist())) for i in range(10)],
                               ["id", "features"])
    got = np.array([r.prediction for r in model.transform(df).orderBy("id").collect()])
    np.testing.assert_allclose(got, model.intercept + X[:10] @ model.coefficients.toArray(),
                               rtol=1e-12)
    target = os.path.join(tempfile.mkdtemp(), "m")
    model.save(target)
    model.write().overwrite().save(target)
    loaded = LassoModel.load(target)
    assert loaded.path.equals(model.path) and loaded.cvResults.equals(model.cvResults)
    again = np.array([r.prediction for r in loaded.transform(df).orderBy("id").collect()])
    np.testing.assert_array_equal(again, got)
    check_estimators(spark)
    check_mllib_export(spark, model, X, got)
    check_logistic(spark)
    check_multinomial(spark)
    spark.stop()
    print("OK")


def check_estimators(spark) -> None:
    """Lasso and LassoCV fit on Connect and agree with the core run on the same rows."""
    from lasso_spark.core import SuffStats, cv_path, enet_path
    from lasso_spark.ml import Lasso, LassoCV

    rng = np.random.default_rng(5)
    X = rng.standard_normal((300, 4))
    y = X @ np.array([1.5, 0.0, -2.0, 0.0]) + 0.5 * rng.standard_normal(300)
    cols = [f"x{j}" for j in range(4)]
    fold = np.arange(300) % 3
    df = spark.createDataFrame(
        [(*map(float, X[i]), float(y[i]), int(fold[i])) for i in range(300)],
        [*cols, "label", "fold"],
    )
    model = Lasso(inputCols=cols, regParam=0.05).fit(df)
    ref = enet_path(SuffStats.from_arrays(X, y), alphas=[0.05], tol=1e-10)
    np.testing.assert_allclose(model.coefficients.toArray(), ref.coef[-1], rtol=1e-5, atol=1e-8)
    pred = np.array([r.prediction for r in model.transform(df).collect()])
    np.testing.assert_allclose(pred, model.intercept + X @ model.coefficients.toArray(),
                               rtol=1e-10)
    cv = LassoCV(inputCols=cols, numFolds=3, foldCol="fold", numRegParams=20).fit(df)
    folds = [SuffStats.from_arrays(X[fold == k], y[fold == k]) for k in range(3)]
    ref_cv = cv_path(folds, n_alphas=20, tol=1e-10)
    np.testing.assert_allclose(cv.cvResults["regParam"], ref_cv.alphas, rtol=1e-12)
    np.testing.assert_allclose(cv.cvResults["mseMean"], ref_cv.mean_mse, rtol=1e-6)
    assert abs(cv.regParam - ref_cv.alphas[ref_cv.index_min]) <= 1e-12 * cv.regParam, (
        cv.regParam, ref_cv.alphas[ref_cv.index_min])
    # fold paths as 2 tasks: on Connect the DataFrame + mapInArrow path, the driver's numbers
    tasks = LassoCV(inputCols=cols, numFolds=3, foldCol="fold", numRegParams=20,
                    parallelism=2).fit(df)
    assert tasks.summary.extra["foldPathTasks"] == 2, tasks.summary.extra
    assert tasks.cvResults.equals(cv.cvResults)
    target = os.path.join(tempfile.mkdtemp(), "cv")
    cv.save(target)
    from lasso_spark.ml import LassoModel

    assert LassoModel.load(target).cvResults.equals(cv.cvResults)


def check_mllib_export(spark, model, X, expected) -> None:
    """toMLlib / toMLlibPipeline / saveMLlib on Connect: MLlib's own loaders, same predictions."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.linalg import Vectors
    from pyspark.ml.regression import LinearRegressionModel

    vec = spark.createDataFrame([(i, Vectors.dense(X[i].tolist())) for i in range(10)],
                                ["id", "features"])
    lr = model.toMLlib()
    assert isinstance(lr, LinearRegressionModel), type(lr)
    np.testing.assert_array_equal(lr.coefficients.toArray(), model.coefficients.toArray())
    assert lr.intercept == model.intercept
    got = np.array([r.prediction for r in lr.transform(vec).orderBy("id").collect()])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    target = os.path.join(tempfile.mkdtemp(), "mllib")
    assert model.saveMLlib(target).endswith("LinearRegressionModel")
    model.saveMLlib(target, overwrite=True)
    again = LinearRegressionModel.load(target)
    np.testing.assert_array_equal(again.coefficients.toArray(), model.coefficients.toArray())
    cols = model.featureNames
    columns = spark.createDataFrame([(i, *map(float, X[i])) for i in range(10)], ["id", *cols])
    by_cols = model.copy().setInputCols(cols)
    pipe = by_cols.toMLlibPipeline()
    assert isinstance(pipe, PipelineModel) and len(pipe.stages) == 2, pipe.stages
    got = np.array([r.prediction for r in pipe.transform(columns).orderBy("id").collect()])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def check_logistic(spark) -> None:
    """LogisticLassoCV fits on Connect (its passes are mapInArrow jobs), equals the core run on
    the same rows and folds, transforms with MLlib's columns, saves and loads."""
    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.logistic import logistic_path, trainings_from_arrays
    from lasso_spark.ml import LogisticLassoCV, LogisticLassoModel

    rng = np.random.default_rng(6)
    X = rng.standard_normal((300, 3))
    y = (rng.uniform(size=300) < 1 / (1 + np.exp(-(X @ [1.5, 0.0, -1.0])))).astype(float)
    fold = np.arange(300) % 3
    cols = [f"x{j}" for j in range(3)]
    df = spark.createDataFrame([(*map(float, X[i]), float(y[i]), int(fold[i]))
                                for i in range(300)], [*cols, "label", "fold"])
    model = LogisticLassoCV(inputCols=cols, foldCol="fold", numFolds=3, numRegParams=10).fit(df)
    ref = logistic_path(trainings_from_arrays(X, y, None, fold, 3), numpy_pass(X, y, None, fold),
                        num_folds=3, n_reg_params=10)
    i = model.cvTable.index_chosen
    np.testing.assert_allclose(model.coefficients.toArray(), ref.paths[0].coef[i], atol=1e-7)
    rows = model.transform(df).select("probability", "prediction").collect()
    p = 1 / (1 + np.exp(-(model.intercept + X @ model.coefficients.toArray())))
    np.testing.assert_allclose([r.probability[1] for r in rows], p, rtol=1e-10)
    target = os.path.join(tempfile.mkdtemp(), "logistic")
    model.save(target)
    model.write().overwrite().save(target)
    assert LogisticLassoModel.load(target).cvResults.equals(model.cvResults)


def check_multinomial(spark) -> None:
    """LogisticLassoCV(family="multinomial") fits on Connect, equals the core run on the same
    rows and folds, transforms with MLlib's K-vector columns, fitMultiple shares one path, and
    the model saves, overwrites and loads."""
    from pyspark.ml.evaluation import MulticlassClassificationEvaluator

    from lasso_spark.core.binomial import numpy_pass
    from lasso_spark.core.multinomial_path import (
        multinomial_path,
        multinomial_trainings_from_arrays,
    )
    from lasso_spark.ml import LogisticLasso, LogisticLassoCV, MultinomialLassoModel

    rng = np.random.default_rng(7)
    n = 360
    X = rng.standard_normal((n, 3))
    eta = X @ np.array([[1.5, 0.0, -0.5], [-1.0, 0.8, 0.0], [0.0, 0.0, 1.0]]).T
    prob = np.exp(eta) / np.exp(eta).sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(prob, axis=1)).sum(axis=1).astype(float)
    fold = np.arange(n) % 3
    cols = [f"x{j}" for j in range(3)]
    df = spark.createDataFrame([(i, *map(float, X[i]), float(y[i]), int(fold[i]))
                                for i in range(n)], ["id", *cols, "label", "fold"])
    model = LogisticLassoCV(inputCols=cols, foldCol="fold", numFolds=3, numRegParams=10,
                            family="multinomial", tol=1e-8).fit(df)
    assert isinstance(model, MultinomialLassoModel) and model.numClasses == 3
    ref = multinomial_path(multinomial_trainings_from_arrays(X, y, None, fold, 3),
                           numpy_pass(X, y, None, fold), num_folds=3, n_reg_params=10,
                           tol=1e-8)
    i = model.cvTable.index_chosen
    np.testing.assert_allclose(model.coefficientMatrix.toArray(), ref.paths[0].coef[i],
                               atol=1e-6)
    out = model.transform(df).orderBy("id").select("probability", "prediction").collect()
    B, b = model.coefficientMatrix.toArray(), model.interceptVector.toArray()
    m = b + X @ B.T
    want = np.exp(m - m.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose([r.probability.toArray() for r in out], want, rtol=1e-10)
    np.testing.assert_array_equal([r.prediction for r in out], m.argmax(1).astype(float))
    acc = MulticlassClassificationEvaluator(labelCol="label", metricName="accuracy") \
        .evaluate(model.transform(df))
    assert abs(acc - float(np.mean(m.argmax(1) == y))) < 1e-12
    est = LogisticLasso(inputCols=cols, family="multinomial", tol=1e-10)
    shared = dict(est.fitMultiple(df, [{est.regParam: 0.1}, {est.regParam: 0.03}]))
    alone = est.copy({est.regParam: 0.03}).fit(df)
    np.testing.assert_allclose(shared[1].coefficientMatrix.toArray(),
                               alone.coefficientMatrix.toArray(), atol=1e-6)
    assert shared[0].summary.asDict() == shared[1].summary.asDict()
    target = os.path.join(tempfile.mkdtemp(), "multinomial")
    model.save(target)
    model.write().overwrite().save(target)
    loaded = MultinomialLassoModel.load(target)
    assert loaded.cvResults.equals(model.cvResults) and loaded.path.equals(model.path)
    np.testing.assert_array_equal(loaded.coefficientMatrix.toArray(), B)


if __name__ == "__main__":
    main()
