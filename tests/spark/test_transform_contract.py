"""``LassoModel.transform`` validates like fitting: types before the job, handleInvalid for bad
rows, an existing prediction column refused, array features, malformed sparse vectors."""

from __future__ import annotations

import numpy as np
import pytest

from lasso_spark.core.errors import DataError
from lasso_spark.ml import LassoModel

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def model():
    return LassoModel([1.0, 0.0, -2.0], 0.5, featureNames=["a", "b", "c"]).setInputCols(
        ["a", "b", "c"])


@pytest.fixture(scope="module")
def rows(spark):
    return spark.createDataFrame(
        [(0, 1.0, 2.0, 3.0), (1, None, 1.0, 1.0), (2, 1.0, float("nan"), 1.0),
         (3, 1.0, 1.0, float("inf")), (4, 2.0, 0.0, 1.0)],
        "id long, a double, b double, c double")


def preds(df):
    return {r["id"]: r["prediction"] for r in df.select("id", "prediction").collect()}


def test_error_is_the_default_and_names_the_column(spark, model, rows):
    from pyspark.errors import PySparkException

    assert model.getHandleInvalid() == "error"
    out = model.transform(rows.where("id = 1"))  # lazy: nothing runs yet
    with pytest.raises(PySparkException, match="column 'a' is null"):
        out.collect()
    with pytest.raises(PySparkException, match="cannot score a row: column"):
        model.transform(rows).collect()
    with pytest.raises(PySparkException, match="column 'b' is NaN"):
        model.transform(rows.where("id = 2")).collect()
    with pytest.raises(PySparkException, match="column 'c' is infinite"):
        model.transform(rows.where("id = 3")).collect()
    assert preds(model.transform(rows.where("id in (0, 4)"))) == {0: 0.5 + 1 - 6, 4: 0.5}


def test_skip_and_keep(spark, model, rows):
    m = model.copy()
    assert preds(m.setHandleInvalid("skip").transform(rows)) == {0: -4.5, 4: 0.5}
    kept = preds(m.setHandleInvalid("keep").transform(rows))
    assert kept == {0: -4.5, 1: None, 2: None, 3: None, 4: 0.5}
    with pytest.raises(ValueError, match="handleInvalid must be one of"):
        m.setHandleInvalid("ignore")


def test_invalid_counts_per_column(spark, model, rows):
    counts = model.invalidCounts(rows)
    assert counts == {"rows": 5, "invalid": 3, "a": 1, "b": 1, "c": 1}


def test_types_checked_before_any_job(spark, model):
    df = spark.createDataFrame([(0, "1", 2.0, 3.0)], "id long, a string, b double, c double")
    with pytest.raises(DataError, match="'a' is string"):
        model.transform(df)
    with pytest.raises(DataError, match="missing from the DataFrame"):
        model.transform(df.drop("c"))


def test_existing_prediction_column(spark, model, rows):
    df = rows.where("id = 0").withColumn("prediction", rows["a"] * 0 - 1)
    with pytest.raises(DataError, match="already has a column 'prediction'"):
        model.transform(df)
    m = model.copy().setReplacePredictionCol(True)
    out = m.transform(df)
    assert out.columns.count("prediction") == 1 and preds(out) == {0: -4.5}


def test_array_features(spark):
    m = LassoModel([1.0, 0.0, -2.0], 0.5).setFeaturesCol("f").setHandleInvalid("keep")
    df = spark.createDataFrame([(0, [1.0, 2.0, 3.0]), (1, [1.0, 2.0]), (2, [1.0, None, 1.0]),
                                (3, None), (4, [1.0, 2.0, 3.0])], "id long, f array<double>")
    got = {r["id"]: r["prediction"] for r in m.transform(df).collect()}
    assert got == {0: -4.5, 1: None, 2: None, 3: None, 4: -4.5}
    ints = spark.createDataFrame([(0, [1, 2, 3])], "id long, f array<int>")
    assert m.transform(ints).first()["prediction"] == -4.5
    assert m.invalidCounts(df) == {"rows": 5, "invalid": 3, "f: null": 1, "f: size": 1,
                                   "f: non-finite": 1}
    strings = spark.createDataFrame([(0, ["a"])], "id long, f array<string>")
    with pytest.raises(DataError, match="array<string>"):
        m.transform(strings)


def test_vector_nan_counted_and_malformed_sparse_rejected_like_mllib(spark, tmp_path):
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    m = LassoModel([1.0, 0.0, -2.0], 0.5)
    ok = spark.createDataFrame([(0, Vectors.dense([1.0, np.nan, 1.0])),
                                (1, Vectors.sparse(3, [0, 2], [1.0, 1.0]))], ["id", "features"])
    assert m.invalidCounts(ok) == {"rows": 2, "invalid": 1, "features: non-finite": 1}
    keep = {r["id"]: r["prediction"] for r in m.copy().setHandleInvalid("keep").transform(
        ok).collect()}
    assert keep == {0: None, 1: -0.5}
    raw = spark.createDataFrame([(0, 0, 3, [2, 0], [1.0, 1.0])],
                                "id long, type tinyint, size int, indices array<int>, "
                                "values array<double>")
    raw.select("id", F.struct("type", "size", "indices", "values").alias("features")) \
        .write.parquet(str(tmp_path / "raw"))
    schema = T.StructType([T.StructField("id", T.LongType()),
                           T.StructField("features", VectorUDT())])
    bad = spark.read.schema(schema).parquet(str(tmp_path / "raw"))
    with pytest.raises(Exception, match="strictly increasing"):  # the JVM's, as for MLlib
        m.transform(bad).collect()
