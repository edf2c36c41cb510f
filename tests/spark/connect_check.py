"""Run as a script: LassoModel transform / save / overwrite / load on a Spark Connect session.

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
    spark.stop()
    print("OK")


if __name__ == "__main__":
    main()
