"""LassoModel.evaluatePath / selectOnValidation on Spark against numpy and scikit-learn metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from tests.spark.test_compute_stats import _Jobs
from tests.unit.model_factory import make_data, make_model

pytestmark = pytest.mark.spark

P = 6
NAMES = [f"f{j}" for j in range(P)]


@pytest.fixture(scope="module")
def fitted():
    return make_model(n=120, p=P, m=10, k=4, seed=5)


@pytest.fixture(scope="module")
def valid_arrays():
    X, y = make_data(n=150, p=P, seed=11)
    X[::4, 1::2] = 0.0  # some genuinely sparse rows
    w = np.random.default_rng(4).uniform(0.2, 3.0, len(y))
    return X, y, w


def _frame(spark, X, y, w, sparse_every=3):
    from pyspark.ml.linalg import Vectors, VectorUDT
    from pyspark.sql.types import DoubleType, StructField, StructType

    rows = []
    for i, x in enumerate(X):
        if i % sparse_every == 0:
            nz = np.flatnonzero(x)
            vec = Vectors.sparse(P, nz.tolist(), x[nz].tolist())
        else:
            vec = Vectors.dense(x.tolist())
        rows.append((vec, *[float(v) for v in x], float(y[i]), float(w[i])))
    fields = [StructField("features", VectorUDT())]
    fields += [StructField(c, DoubleType()) for c in [*NAMES, "label", "w"]]
    return spark.createDataFrame(rows, StructType(fields))  # 2 partitions, merged


def _expected(model, X, y, w=None):
    path = model.pathTable
    pred = path.intercepts[None, :] + X @ path.coef.T
    return pd.DataFrame({
        "mse": [mean_squared_error(y, pred[:, t], sample_weight=w) for t in range(pred.shape[1])],
        "mae": [mean_absolute_error(y, pred[:, t], sample_weight=w)
                for t in range(pred.shape[1])],
        "r2": [r2_score(y, pred[:, t], sample_weight=w) for t in range(pred.shape[1])],
    })


def test_vector_input_weighted_one_job_matches_sklearn(spark, fitted, valid_arrays):
    model, _, _ = fitted
    X, y, w = valid_arrays
    df = _frame(spark, X, y, w)
    with _Jobs(spark) as jobs:
        got = model.evaluatePath(df, weightCol="w")
    assert len(jobs.ids) == 1, jobs.ids
    assert jobs.input_records() in (0, len(y))  # in-memory rows report no input metrics
    assert list(got.columns) == ["elasticNetParam", "regParam", "nonzeros", "mse", "rmse", "mae",
                                 "r2", "numRowsUsed", "numRowsSkipped"]
    path = model.pathTable
    np.testing.assert_array_equal(got["regParam"], path.reg_params)
    np.testing.assert_array_equal(got["nonzeros"], path.nonzeros)
    exp = _expected(model, X, y, w)
    for col in ("mse", "mae", "r2"):
        np.testing.assert_allclose(got[col], exp[col], rtol=1e-10, err_msg=col)
    np.testing.assert_allclose(got["rmse"], np.sqrt(exp["mse"]), rtol=1e-10)
    assert (got["numRowsUsed"] == len(y)).all() and (got["numRowsSkipped"] == 0).all()
    np.testing.assert_allclose(got.attrs["weightSum"], w.sum(), rtol=1e-12)


def test_input_columns_unweighted_and_invalid_rows(spark, fitted, valid_arrays):
    from lasso_spark.spark import InvalidInputError

    model, _, _ = fitted
    X, y, w = valid_arrays
    Xb, yb = X.copy(), y.copy()
    Xb[2, 3] = np.nan
    Xb[7, 0] = np.inf
    yb[9] = np.nan
    df = _frame(spark, Xb, yb, w)
    cols = model.copy().setInputCols(NAMES)
    with pytest.raises(InvalidInputError) as err:
        cols.evaluatePath(df)
    msg = str(err.value)
    assert "1 row with null/NaN/inf in column 'f3'" in msg
    assert "1 row with null/NaN/inf in column 'f0'" in msg
    assert "1 row with null/NaN/inf in column 'label'" in msg
    assert err.value.invalid_counts == {"f3": 1, "f0": 1, "label": 1}

    got = cols.evaluatePath(df, handleInvalid="skip")
    keep = np.ones(len(y), bool)
    keep[[2, 7, 9]] = False
    exp = _expected(model, X[keep], y[keep])
    for col in ("mse", "mae", "r2"):
        np.testing.assert_allclose(got[col], exp[col], rtol=1e-10, err_msg=col)
    assert (got["numRowsUsed"] == keep.sum()).all() and (got["numRowsSkipped"] == 3).all()
    assert got.attrs["invalidCounts"] == {"f3": 1, "f0": 1, "label": 1}
    assert got.attrs["numRowsRead"] == len(y)


def test_select_on_validation_picks_numpy_argmin(spark, fitted, valid_arrays):
    model, _, _ = fitted
    X, y, w = valid_arrays
    df = _frame(spark, X, y, w)
    exp = _expected(model, X, y, w)
    chosen = model.selectOnValidation(df, metric="mae", weightCol="w")
    i = int(np.argmin(exp["mae"]))
    assert chosen.regParam == model.pathTable.reg_params[i]
    np.testing.assert_array_equal(chosen.coefficients.toArray(), model.pathTable.coef[i])
    assert chosen.pathTable is model.pathTable and chosen.cvTable is model.cvTable
    assert chosen.summary.extra["validationMetric"] == "mae"
    np.testing.assert_allclose(chosen.summary.extra["validationScore"], exp["mae"][i],
                               rtol=1e-10)


def test_bad_arguments_fail_before_any_job(spark, fitted, valid_arrays):
    model, _, _ = fitted
    X, y, w = valid_arrays
    df = _frame(spark, X, y, w)
    with _Jobs(spark) as jobs:
        with pytest.raises(ValueError, match="label column 'nope' not found"):
            model.evaluatePath(df, labelCol="nope")
        with pytest.raises(ValueError, match="inputCols has 2 columns; the model has 6"):
            model.copy().setInputCols(["f0", "f1"]).evaluatePath(df)
        with pytest.raises(ValueError, match="metric must be one of"):
            model.selectOnValidation(df, metric="auc")
    assert jobs.ids == []
