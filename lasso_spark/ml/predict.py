"""Predictions ``b0 + xᵀβ`` as one Spark SQL expression (no Python UDF), with the row checks.

* numeric ``inputCols``: ``b0 + Σ c_j·col_j`` over every input column, the columns of a zero
  coefficient entering as ``col_j · 0`` — the same value for a valid row, and NaN or null as
  soon as any column is NaN, infinite or null, so that one finiteness test of the sum checks
  the whole row (and catches an overflow of the sum itself);
* a vector ``featuresCol`` (dense or sparse ``VectorUDT``) or an ``array<numeric>`` column:
  ``Σ c_j·arr[j]`` over the non-zeros, the vector read with ``pyspark.ml.functions
  .vector_to_array`` (a JVM function); written as a sum of terms when there are few non-zeros
  and as a higher-order ``aggregate`` over literal index/coefficient arrays when there are many
  (keeps the generated code small). A row is valid when the vector is not null, has the model's
  size, and ``array_max`` / ``array_min`` (built-ins: NaN sorts above +inf) and the sum are
  finite. Sparse vectors with unsorted or repeated indices are rejected by the JVM when the
  vector is read, exactly as MLlib rejects them.

:func:`scoring_columns` returns the prediction, the validity flag and the reason of the first
problem of a row; ``LassoModel.transform`` applies ``handleInvalid`` with them: ``"error"``
raises in the row's task naming the column, ``"skip"`` drops the row, ``"keep"`` gives it a
null prediction. :func:`invalid_count_columns` are the aggregates counting bad rows per column.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import numpy as np
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

logger = logging.getLogger(__name__)

__all__ = [
    "ScoringColumns",
    "invalid_count_columns",
    "prediction_expr_columns",
    "prediction_expr_vector",
    "scoring_columns",
    "staged_scoring",
]

#: above this many non-zero coefficients the vector expression uses a higher-order aggregate
MAX_UNROLLED_TERMS = 64
#: up to this many input columns the error raised for a bad row names the column
MAX_NAMED_COLUMNS = 256
_INF = float("inf")


def _lit(x: float) -> Column:
    return F.lit(float(x))


def _finite(c: Column) -> Column:
    """True for a finite double, false for null, NaN and ±inf (never null)."""
    return F.coalesce(~F.isnan(c) & (F.abs(c) != F.lit(_INF)), F.lit(False))


@dataclass(frozen=True)
class ScoringColumns:
    """``value``: the prediction (its value is unspecified for invalid rows); ``valid``: the row
    can be scored; ``reason``: what is wrong with an invalid row (a string naming the column);
    ``array``: the features as ``array<double>`` (vector / array input only)."""

    value: Column
    valid: Column
    reason: Column
    array: Column | None = None


def _full_sum(input_cols: Sequence[str], coefficients: np.ndarray, intercept: float) -> Column:
    terms = [
        (_lit(c) * F.col(name).cast("double")) if c != 0.0
        else (F.col(name).cast("double") * F.lit(0.0))
        for name, c in zip(input_cols, coefficients)
    ]
    return reduce(lambda a, b: a + b, terms, _lit(intercept))


def prediction_expr_columns(
    input_cols: Sequence[str], coefficients: np.ndarray, intercept: float
) -> Column:
    """``intercept + Σ c_j·col_j``; null when any input column is null, NaN when any is NaN."""
    return _full_sum(input_cols, np.asarray(coefficients, dtype=np.float64), intercept)


def _columns_checks(input_cols: Sequence[str], value: Column) -> ScoringColumns:
    valid = _finite(value)
    if len(input_cols) <= MAX_NAMED_COLUMNS:
        named = [
            F.when(~_finite(F.col(c).cast("double")),
                   F.concat(F.lit(f"column {c!r} is "),
                            F.when(F.col(c).isNull(), F.lit("null"))
                            .when(F.isnan(F.col(c).cast("double")), F.lit("NaN"))
                            .otherwise(F.lit("infinite"))))
            for c in input_cols
        ]
        first = F.coalesce(*named, F.lit("the prediction overflows float64 (a value too large)"))
    else:
        first = F.lit(f"one of the {len(input_cols)} input columns is null, NaN or infinite (or "
                      "the prediction overflows)")
    return ScoringColumns(value, valid, first)


def _dot_nonzeros(arr: Column, coefficients: np.ndarray, intercept: float,
                  max_unrolled_terms: int) -> Column:
    nz = np.flatnonzero(coefficients)
    if nz.size <= max_unrolled_terms:
        # element_at is 1-based
        terms = [_lit(coefficients[j]) * F.element_at(arr, int(j) + 1) for j in nz]
        return reduce(lambda a, b: a + b, terms, _lit(intercept))
    idx = F.array(*[F.lit(int(j) + 1) for j in nz])
    coefs = F.array(*[_lit(coefficients[j]) for j in nz])
    products = F.zip_with(idx, coefs, lambda i, c: c * F.element_at(arr, i))
    return F.aggregate(products, _lit(intercept), lambda acc, t: acc + t)


def _vector_array(features_col: str, array: bool) -> Column:
    """The features as ``array<double>`` (vector_to_array fails on null: only non-null read)."""
    from pyspark.ml.functions import vector_to_array

    vec = F.col(features_col)
    if array:
        return vec.cast("array<double>")
    return F.when(vec.isNotNull(), vector_to_array(vec, dtype="float64"))


def _vector_value(features_col: str, arr: Column, coefficients: np.ndarray, intercept: float,
                  max_unrolled_terms: int | None) -> Column:
    """The prediction of a vector of the right size (null otherwise: element_at past the end
    fails under ANSI mode)."""
    limit = MAX_UNROLLED_TERMS if max_unrolled_terms is None else max_unrolled_terms
    p = int(coefficients.shape[0])
    right_size = F.col(features_col).isNotNull() & (F.size(arr) == F.lit(p))
    return F.when(right_size, _dot_nonzeros(arr, coefficients, intercept, limit))


def _vector_checks(features_col: str, arr: Column, value: Column, p: int, array: bool,
                   ) -> ScoringColumns:
    vec = F.col(features_col)
    size = F.size(arr)
    right_size = vec.isNotNull() & (size == F.lit(p))
    values_finite = _finite(F.array_max(arr)) & _finite(F.array_min(arr))
    if array:  # array_max / array_min skip nulls; vectors never hold one
        values_finite = values_finite & (F.size(F.array_compact(arr)) == size)
    valid = F.coalesce(right_size & values_finite & _finite(value), F.lit(False))
    where = f"column {features_col!r} "
    reason = (
        F.when(vec.isNull(), F.lit(where + "is null"))
        .when(size != F.lit(p), F.concat(F.lit(where + "has a vector of size "),
                                         size.cast("string"),
                                         F.lit(f"; the model has {p} features")))
        .when(~values_finite, F.lit(where + "holds a null, NaN or infinite value"))
        .otherwise(F.lit("the prediction overflows float64 (a value too large)"))
    )
    return ScoringColumns(value, valid, reason, arr)


def prediction_expr_vector(
    features_col: str,
    coefficients: np.ndarray,
    intercept: float,
    *,
    max_unrolled_terms: int | None = None,
) -> Column:
    """``intercept + Σ c_j·v[j]`` for a dense or sparse ml Vector column ``features_col``;
    null for a null vector or a vector of another size."""
    coef = np.asarray(coefficients, dtype=np.float64)
    arr = _vector_array(features_col, array=False)
    return _vector_value(features_col, arr, coef, intercept, max_unrolled_terms)


def scoring_columns(
    coefficients: np.ndarray,
    intercept: float,
    *,
    input_cols: Sequence[str] | None = None,
    features_col: str | None = None,
    features_type: T.DataType | None = None,
    max_unrolled_terms: int | None = None,
) -> ScoringColumns:
    """Prediction, validity and reason as single expressions, for numeric ``input_cols`` or a
    vector / ``array<numeric>`` ``features_col`` (``features_type``; None means a vector).
    :func:`staged_scoring` computes the same with each costly part evaluated once."""
    coef = np.asarray(coefficients, dtype=np.float64)
    if input_cols is not None:
        return _columns_checks(list(input_cols), _full_sum(list(input_cols), coef, intercept))
    assert features_col is not None
    array = isinstance(features_type, T.ArrayType)
    arr = _vector_array(features_col, array)
    value = _vector_value(features_col, arr, coef, intercept, max_unrolled_terms)
    return _vector_checks(features_col, arr, value, int(coef.shape[0]), array)


def staged_scoring(
    dataset: DataFrame,
    coefficients: np.ndarray,
    intercept: float,
    *,
    tag: str,
    input_cols: Sequence[str] | None = None,
    features_col: str | None = None,
    features_type: T.DataType | None = None,
    max_unrolled_terms: int | None = None,
) -> tuple[DataFrame, ScoringColumns, list[str]]:
    """``dataset`` with helper columns (names from ``tag``; drop them after use) holding the
    features array and the prediction, each computed once per row, and the checks over them.

    A single expression repeats ``vector_to_array`` (a JVM UDF that deserializes the vector) in
    every term and check, and the prediction in its own finiteness test: as separate projections
    Spark computes them once (it does not inline a costly column referenced several times).
    """
    coef = np.asarray(coefficients, dtype=np.float64)
    value_name = f"__{tag}_value"
    if input_cols is not None:
        staged = dataset.withColumn(value_name, _full_sum(list(input_cols), coef, intercept))
        return staged, _columns_checks(list(input_cols), F.col(value_name)), [value_name]
    assert features_col is not None
    array = isinstance(features_type, T.ArrayType)
    arr_name = f"__{tag}_features"
    staged = dataset.withColumn(arr_name, _vector_array(features_col, array))
    arr = F.col(arr_name)
    staged = staged.withColumn(value_name, _vector_value(features_col, arr, coef, intercept,
                                                         max_unrolled_terms))
    checks = _vector_checks(features_col, arr, F.col(value_name), int(coef.shape[0]), array)
    return staged, checks, [arr_name, value_name]


def invalid_count_columns(
    checks: ScoringColumns,
    *,
    input_cols: Sequence[str] | None = None,
    features_col: str | None = None,
    features_type: T.DataType | None = None,
    num_features: int,
) -> dict[str, Column]:
    """Aggregate columns counting bad rows: ``"rows"``, ``"invalid"`` and one per column /
    problem (``"x3"``, ``"features: size"``, ``"prediction: overflow"``...; a column named
    ``rows`` or ``invalid`` is counted as ``"rows: value"``)."""
    out = {"rows": F.count(F.lit(1)), "invalid": F.count_if(~checks.valid)}
    if input_cols is not None:
        inputs_ok = F.lit(True)
        for c in input_cols:
            ok = _finite(F.col(c).cast("double"))
            out[c if c not in out else f"{c}: value"] = F.count_if(~ok)
            inputs_ok = inputs_ok & ok
        out["prediction: overflow"] = F.count_if(inputs_ok & ~checks.valid)
        return out
    assert features_col is not None and checks.array is not None
    vec = F.col(features_col)
    arr = checks.array
    out[f"{features_col}: null"] = F.count_if(vec.isNull())
    wrong = vec.isNotNull() & (F.size(arr) != F.lit(num_features))
    out[f"{features_col}: size"] = F.count_if(wrong)
    finite = _finite(F.array_max(arr)) & _finite(F.array_min(arr))
    if isinstance(features_type, T.ArrayType):
        finite = finite & (F.size(F.array_compact(arr)) == F.size(arr))
    out[f"{features_col}: non-finite"] = F.count_if(vec.isNotNull() & ~wrong & ~finite)
    out["prediction: overflow"] = F.count_if(vec.isNotNull() & ~wrong & finite & ~checks.valid)
    return out
