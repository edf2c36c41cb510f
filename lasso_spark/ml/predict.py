"""Predictions ``b0 + xᵀβ`` as one Spark SQL expression (no Python UDF).

* numeric ``inputCols``: ``b0 + Σ c_j·col_j`` over the non-zero coefficients;
* a vector ``featuresCol`` (dense or sparse): ``pyspark.ml.functions.vector_to_array`` (a JVM
  function) then ``Σ c_j·arr[j]`` over the non-zeros, written as a sum of terms when there are
  few non-zeros and as a higher-order ``aggregate`` over literal index/coefficient arrays when
  there are many (keeps the generated code small).

Nulls as in MLlib's ``LinearRegressionModel`` fed by ``VectorAssembler``: a null input (any of
the model's input columns, or the vector) gives a null prediction; NaN propagates as NaN.
A vector of the wrong size raises a Spark error naming the sizes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import reduce

import numpy as np
from pyspark.sql import Column
from pyspark.sql import functions as F

logger = logging.getLogger(__name__)

__all__ = ["linear_expr", "prediction_expr_columns", "prediction_expr_vector"]

#: above this many non-zero coefficients the vector expression uses a higher-order aggregate
MAX_UNROLLED_TERMS = 64


def _lit(x: float) -> Column:
    return F.lit(float(x))


def prediction_expr_columns(
    input_cols: Sequence[str], coefficients: np.ndarray, intercept: float
) -> Column:
    """``intercept + Σ c_j·col_j`` over non-zero ``c_j``; null when any input column is null."""
    coefficients = np.asarray(coefficients, dtype=np.float64)
    terms = [
        _lit(c) * F.col(name).cast("double")
        for name, c in zip(input_cols, coefficients)
        if c != 0.0
    ]
    expr = reduce(lambda a, b: a + b, terms, _lit(intercept))
    zero_cols = [name for name, c in zip(input_cols, coefficients) if c == 0.0]
    if zero_cols:
        any_null = reduce(lambda a, b: a | b, [F.col(n).isNull() for n in zero_cols])
        expr = F.when(any_null, F.lit(None).cast("double")).otherwise(expr)
    return expr


def prediction_expr_vector(
    features_col: str,
    coefficients: np.ndarray,
    intercept: float,
    *,
    max_unrolled_terms: int | None = None,
) -> Column:
    """``intercept + Σ c_j·v[j]`` for a dense or sparse ml Vector column ``features_col``."""
    from pyspark.ml.functions import vector_to_array

    if max_unrolled_terms is None:
        max_unrolled_terms = MAX_UNROLLED_TERMS
    coefficients = np.asarray(coefficients, dtype=np.float64)
    p = int(coefficients.shape[0])
    vec = F.col(features_col)
    arr = vector_to_array(vec, dtype="float64")
    nz = np.flatnonzero(coefficients)
    if nz.size <= max_unrolled_terms:
        # element_at is 1-based
        terms = [_lit(coefficients[j]) * F.element_at(arr, int(j) + 1) for j in nz]
        value = reduce(lambda a, b: a + b, terms, _lit(intercept))
    else:
        idx = F.array(*[F.lit(int(j) + 1) for j in nz])
        coefs = F.array(*[_lit(coefficients[j]) for j in nz])
        products = F.zip_with(idx, coefs, lambda i, c: c * F.element_at(arr, i))
        value = F.aggregate(products, _lit(intercept), lambda acc, t: acc + t)
    size = F.size(arr)
    return (
        F.when(vec.isNull(), F.lit(None).cast("double"))
        .when(
            size != F.lit(p),
            F.raise_error(
                F.concat(
                    F.lit(f"LassoModel: column {features_col!r} has a vector of size "),
                    size.cast("string"),
                    F.lit(f"; the model has {p} features"),
                )
            ).cast("double"),
        )
        .otherwise(value)
    )


def linear_expr(model, dataset=None) -> Column:  # noqa: ANN001 - a fitted linear model
    """``b0 + xᵀβ`` of a fitted model (``LassoModel``, ``LogisticLassoModel``: its ``inputCols``
    or ``featuresCol``, ``coefficients``, ``intercept``), checking the columns against
    ``dataset``."""
    from lasso_spark.ml.params import ParamValidationError

    coef, b0 = model.coefficients.toArray(), float(model.intercept)
    if model._usesInputCols():
        cols = model.getInputCols()
        if len(cols) != model.numFeatures:
            raise ParamValidationError(
                f"inputCols has {len(cols)} columns; the model has {model.numFeatures} features"
            )
        if dataset is not None:
            missing = [c for c in cols if c not in dataset.columns]
            if missing:
                raise ValueError(
                    f"{len(missing)} input column(s) missing from the DataFrame: {missing[:10]}"
                )
        return prediction_expr_columns(cols, coef, b0)
    col = model.getFeaturesCol()
    if dataset is not None and col not in dataset.columns:
        raise ValueError(f"featuresCol {col!r} is not a column of the DataFrame")
    return prediction_expr_vector(col, coef, b0)
