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


# ------------------------------------------------------------------ LassoCV(validationCol=...)
FEATS = ["x0", "x1", "x2", "x3", "x4"]


@pytest.fixture(scope="module")
def split_data(spark):
    rng = np.random.default_rng(21)
    n = 500
    X = rng.standard_normal((n, 5)) * [1.0, 10.0, 0.1, 3.0, 1.0] + [0.0, 5.0, -2.0, 100.0, 1.0]
    y = 2.0 + X @ np.array([1.5, -0.2, 8.0, 0.0, 0.3]) + rng.standard_normal(n) * 2.0
    pdf = pd.DataFrame(X, columns=FEATS)
    pdf["label"] = y
    pdf["w"] = rng.uniform(0.2, 3.0, n)
    pdf["isVal"] = rng.uniform(size=n) < 0.3
    return pdf, spark.createDataFrame(pdf)


GRID = list(np.geomspace(2.0, 2e-3, 25))


def test_validation_col_matches_sklearn_predefined_split(split_data):
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.model_selection import PredefinedSplit

    from lasso_spark import LassoCV

    pdf, df = split_data
    model = LassoCV(inputCols=FEATS, validationCol="isVal", regParams=GRID,
                    standardization=False, tol=1e-12).fit(df)
    X, y = pdf[FEATS].to_numpy(), pdf["label"].to_numpy()
    test_fold = np.where(pdf["isVal"], 0, -1)
    sk = SkLassoCV(alphas=GRID, cv=PredefinedSplit(test_fold), tol=1e-12, max_iter=1_000_000)
    sk.fit(X, y)
    cv = model.cvResults
    assert "mseValidation" in cv.columns and not any(c.startswith("mseFold") for c in cv.columns)
    assert cv["mseStdErr"].isna().all()
    np.testing.assert_allclose(cv["regParam"], sk.alphas_, rtol=1e-12)
    sk_mse = np.asarray(sk.mse_path_).reshape(len(GRID), -1)[:, 0]  # one split: squeezed
    np.testing.assert_allclose(cv["mseValidation"], sk_mse, rtol=1e-7)
    np.testing.assert_array_equal(cv["mseMean"], cv["mseValidation"])
    assert model.regParam == pytest.approx(sk.alpha_, rel=1e-12)
    # the final model is the path on all rows at the chosen regParam (as scikit-learn refits)
    np.testing.assert_allclose(model.coefficients.toArray(), sk.coef_, rtol=1e-6, atol=1e-8)
    s = model.summary
    assert s.numFolds is None and s.extra["validationCol"] == "isVal"
    assert s.extra["validationRows"] == int(pdf["isVal"].sum())
    assert s.extra["trainRows"] + s.extra["validationRows"] == len(pdf)
    assert "validation MSE" in repr(model)


def test_validation_mse_from_statistics_equals_evaluate_path(split_data):
    """Weighted: the validation MSE from the statistics identity (no second pass) equals a
    direct scoring pass over the validation rows of the path fitted on the training rows."""
    from pyspark.sql import functions as F

    from lasso_spark import LassoCV

    pdf, df = split_data
    common = {"inputCols": FEATS, "weightCol": "w", "regParams": GRID, "tol": 1e-12}
    by_stats = LassoCV(validationCol="isVal", **common).fit(df)
    train_only = LassoCV(numFolds=2, **common).fit(df.where(~F.col("isVal")))
    direct = train_only.evaluatePath(df.where(F.col("isVal")))
    np.testing.assert_allclose(direct["regParam"], by_stats.cvResults["regParam"], rtol=1e-12)
    np.testing.assert_allclose(direct["mse"], by_stats.cvResults["mseValidation"], rtol=1e-8)
    best = direct["regParam"][int(np.argmin(direct["mse"]))]
    assert by_stats.regParam == best


def test_validation_col_param_rules(spark, split_data):
    from pyspark.sql import functions as F

    from lasso_spark import LassoCV
    from lasso_spark.ml import ParamValidationError
    from lasso_spark.spark import InvalidInputError

    _, df = split_data
    with pytest.raises(ParamValidationError, match="at most one of foldCol"):
        LassoCV(inputCols=FEATS, validationCol="isVal", foldCol="f").fit(df)
    with pytest.raises(ParamValidationError, match="selectionRule='1se'"):
        LassoCV(inputCols=FEATS, validationCol="isVal", selectionRule="1se").fit(df)
    with pytest.raises(ParamValidationError, match="validationCol 'x1' is also"):
        LassoCV(inputCols=FEATS, validationCol="x1").fit(df)
    with pytest.raises(ValueError, match="'label' must be an integer \\(or boolean\\) type"):
        LassoCV(inputCols=FEATS[:2], validationCol="label", labelCol="x4").fit(df)
    nulls = df.withColumn("isVal", F.when(F.col("x0") > 1.5, None).otherwise(F.col("isVal")))
    n_null = nulls.where(F.col("isVal").isNull()).count()
    assert n_null > 0
    with pytest.raises(InvalidInputError, match=f"{n_null} rows with fold id null .* 'isVal'"):
        LassoCV(inputCols=FEATS, validationCol="isVal", regParams=GRID[:3]).fit(nulls)
    with pytest.raises(ValueError, match="leaves no validation \\(true\\) rows"):
        LassoCV(inputCols=FEATS, validationCol="isVal", regParams=GRID[:3]).fit(
            df.where(~F.col("isVal")))


def test_lasso_cv_fit_multiple_shares_passes_and_equals_fit(spark, split_data):
    from lasso_spark import LassoCV

    _, df = split_data
    est = LassoCV(inputCols=FEATS, weightCol="w", regParams=GRID[::3], numFolds=3,
                  parallelism=1, tol=1e-10)
    maps = [
        {est.selectionRule: "min"},
        {est.selectionRule: "1se"},
        {est.elasticNetParam: 0.5, est.standardization: False},
        {est.validationCol: "isVal"},
    ]
    with _Jobs(spark) as jobs:
        got = dict(est.fitMultiple(df, maps))
    assert len(jobs.ids) == 2, jobs.ids  # one pass for the 3-fold maps, one for validationCol
    for i, pm in enumerate(maps):
        want = est.fit(df, pm)
        a = got[i]
        assert a.regParam == want.regParam and a.elasticNetParam == want.elasticNetParam, pm
        np.testing.assert_array_equal(a.coefficients.toArray(), want.coefficients.toArray())
        pd.testing.assert_frame_equal(a.cvResults, want.cvResults)
    assert got[1].regParam >= got[0].regParam
    assert "mseValidation" in got[3].cvResults.columns
