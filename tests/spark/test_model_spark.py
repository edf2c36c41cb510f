"""LassoModel on Spark: transform (vector dense/sparse, columns, nulls), persistence, Pipeline."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.ml import LassoModel
from tests.unit.model_factory import make_model

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def fitted():
    return make_model(n=40, p=6, m=10, k=4, seed=3)


def _vector_df(spark, X, sparse_rows=()):
    from pyspark.ml.linalg import Vectors

    rows = []
    for i, x in enumerate(X):
        if i in sparse_rows:
            nz = np.flatnonzero(x)
            v = Vectors.sparse(len(x), nz.tolist(), x[nz].tolist())
        else:
            v = Vectors.dense(x.tolist())
        rows.append((i, v))
    return spark.createDataFrame(rows, ["id", "features"])


def _predictions(df, col="prediction"):
    got = {r["id"]: r[col] for r in df.select("id", col).collect()}
    return np.array([got[i] for i in sorted(got)], dtype=object)


@pytest.mark.parametrize("max_terms", [64, 0], ids=["unrolled", "higher-order"])
def test_transform_vector_dense_and_sparse_matches_numpy(spark, fitted, max_terms, monkeypatch):
    model, X, _ = fitted
    monkeypatch.setattr("lasso_spark.ml.predict.MAX_UNROLLED_TERMS", max_terms)
    # make some rows genuinely sparse, including in non-zero coefficient positions
    X = X[:12].copy()
    X[::3, ::2] = 0.0
    expected = model.intercept + X @ model.coefficients.toArray()
    assert model.numNonzeros >= 2
    assert ("aggregate" in str(model.predictionExpr())) == (max_terms == 0)
    out = model.transform(_vector_df(spark, X, sparse_rows=set(range(0, 12, 3))))
    got = _predictions(out).astype(float)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_transform_vector_null_and_wrong_size(spark, fitted):
    from pyspark.errors import PySparkException
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import IntegerType, StructField, StructType

    model, X, _ = fitted
    schema = StructType([StructField("id", IntegerType()), StructField("features", VectorUDT())])
    df = spark.createDataFrame([(0, Vectors.dense(X[0].tolist())), (1, None)], schema)
    # handleInvalid="keep": a null vector gets a null prediction (the default raises)
    got = _predictions(model.copy().setHandleInvalid("keep").transform(df))
    assert got[1] is None
    assert got[0] == pytest.approx(model.predict(X[0]), rel=1e-12)
    bad = spark.createDataFrame([(0, Vectors.dense([1.0, 2.0]))], schema)
    with pytest.raises(PySparkException, match="size 2; the model has 6 features"):
        model.transform(bad).collect()


def test_transform_input_cols_nulls_and_missing(spark, fitted):
    model, X, _ = fitted
    names = model.featureNames
    m = model.copy()
    m.setInputCols(names).setPredictionCol("yhat").setHandleInvalid("keep")
    pdf_rows = [(i, *map(float, X[i])) for i in range(5)]
    coef = model.coefficients.toArray()
    zero_j = int(np.flatnonzero(coef == 0)[0])
    nz_j = int(np.flatnonzero(coef)[0])
    row_null_zero = list(pdf_rows[3])
    row_null_zero[1 + zero_j] = None
    row_null_nz = list(pdf_rows[4])
    row_null_nz[1 + nz_j] = None
    rows = pdf_rows[:3] + [tuple(row_null_zero), tuple(row_null_nz)]
    df = spark.createDataFrame(rows, ["id", *names])
    got = _predictions(m.transform(df), "yhat")
    np.testing.assert_allclose(got[:3].astype(float), model.intercept + X[:3] @ coef,
                               rtol=1e-12)
    assert got[3] is None and got[4] is None
    with pytest.raises(ValueError, match="1 input column"):
        m.transform(df.drop(names[0]))


def test_save_load_roundtrip_keeps_everything(spark, fitted, tmp_path):
    model, X, _ = fitted
    model = model.copy()
    model.setPredictionCol("p")
    target = str(tmp_path / "model")
    model.save(target)
    with pytest.raises(Exception, match="already exists"):
        model.save(target)
    model.write().overwrite().save(target)
    loaded = LassoModel.load(target)
    assert loaded.uid == model.uid
    assert loaded.getPredictionCol() == "p"
    np.testing.assert_array_equal(loaded.coefficients.toArray(), model.coefficients.toArray())
    assert loaded.intercept == model.intercept
    assert loaded.regParam == model.regParam
    assert loaded.featureNames == model.featureNames
    np.testing.assert_array_equal(loaded.featureStd, model.featureStd)
    assert loaded.path.equals(model.path)
    assert loaded.cvResults.equals(model.cvResults)
    assert loaded.cvTable.index_1se == model.cvTable.index_1se
    assert loaded.summary.asDict() == model.summary.asDict()
    df = _vector_df(spark, X[:8])
    a = _predictions(model.transform(df), "p")
    b = _predictions(loaded.transform(df), "p")
    np.testing.assert_array_equal(a.astype(float), b.astype(float))
    # metadata is pyspark.ml's JSON format, readable by DefaultParamsReader
    from pyspark.ml.util import DefaultParamsReader

    meta = DefaultParamsReader.loadMetadata(target, spark)
    assert meta["class"] == "lasso_spark.ml.model.LassoModel"
    assert meta["paramMap"]["predictionCol"] == "p"


def test_save_on_classic_runs_no_spark_job_and_spark_reads_the_parts(spark, fitted, tmp_path):
    """The parts are written from the driver (no Spark job), in Spark's layout and with the
    DDL schemas' Spark types, so Spark's own readers see what createDataFrame would have made."""
    from pyspark.sql.types import DataType

    from lasso_spark.ml.tables import CVTable, PathTable

    model, _, _ = fitted
    target = tmp_path / "direct"
    tracker = spark.sparkContext.statusTracker()
    before = set(tracker.getJobIdsForGroup(None))
    model.save(str(target))
    assert set(tracker.getJobIdsForGroup(None)) == before
    for part in ("data", "path", "cv", "metadata"):
        assert (target / part / "_SUCCESS").exists()
    for part, ddl, rows in (("path", PathTable.ROW_SCHEMA, model.pathTable.to_rows()),
                            ("cv", CVTable.ROW_SCHEMA, model.cvTable.to_rows())):
        df = spark.read.parquet(str(target / part))
        want = DataType.fromDDL(ddl)
        assert [(f.name, f.dataType) for f in df.schema] == \
            [(f.name, f.dataType) for f in want]
        got = sorted(tuple(r) for r in df.collect())
        assert got == sorted(tuple(r) for r in rows)
    assert LassoModel.load(str(target)).coefficients == model.coefficients


def test_model_without_path_or_cv_roundtrips(spark, tmp_path):
    model = LassoModel([0.5, 0.0, -2.0], 1.0, featureNames=["a", "b", "c"], regParam=0.1)
    target = str(tmp_path / "bare")
    model.save(target)
    loaded = LassoModel.load(target)
    assert loaded.path is None and loaded.cvResults is None and not loaded.hasSummary
    assert loaded.coefficients.toArray().tolist() == [0.5, 0.0, -2.0]


def test_pipeline_with_vector_assembler_saves_and_loads(spark, fitted, tmp_path):
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import VectorAssembler

    model, X, _ = fitted
    names = model.featureNames
    assembler = VectorAssembler(inputCols=names, outputCol="features")
    pipe = PipelineModel(stages=[assembler, model])
    df = spark.createDataFrame([(i, *map(float, X[i])) for i in range(10)], ["id", *names])
    before = _predictions(pipe.transform(df)).astype(float)
    np.testing.assert_allclose(before, model.intercept + X[:10] @ model.coefficients.toArray(),
                               rtol=1e-12)
    target = str(tmp_path / "pipeline")
    pipe.write().overwrite().save(target)
    loaded = PipelineModel.load(target)
    assert isinstance(loaded.stages[1], LassoModel)
    assert loaded.stages[1].cvResults.equals(model.cvResults)
    after = _predictions(loaded.transform(df)).astype(float)
    np.testing.assert_array_equal(before, after)
