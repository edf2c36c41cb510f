"""The fold ids a cross-validated fit gives each row, as a column of the user's DataFrame."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from functools import partial

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from lasso_spark.spark.batch import BatchLayout
from lasso_spark.spark.chunks import ChunkReader
from lasso_spark.spark.inputs import resolve_input

logger = logging.getLogger(__name__)

__all__ = ["assign_folds"]


def fold_batches(
    batches: Iterator[pa.RecordBatch], layout: BatchLayout, n_user: int, name: str
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: the user's columns as they are, plus the fold of each row
    (null where the row is invalid: the fit skips or rejects it)."""
    reader = ChunkReader(layout)
    for batch in batches:
        n = batch.num_rows
        projected = pa.RecordBatch.from_arrays(
            batch.columns[n_user:], names=batch.schema.names[n_user:]
        )
        fold = np.full(n, -1, dtype=np.int64)
        if n:
            chunk = reader.read(projected)
            fold[chunk.rows] = chunk.fold
        out = pa.array(fold.astype(np.int32), mask=fold < 0)
        yield pa.RecordBatch.from_arrays(
            [*batch.columns[:n_user], out], names=[*batch.schema.names[:n_user], name]
        )


def assign_folds(
    df: DataFrame,
    *,
    num_folds: int,
    features_col: str | None = None,
    input_cols: Sequence[str] | None = None,
    label_col: str = "label",
    weight_col: str | None = None,
    seed: int = 0,
    output_col: str = "fold",
    num_features: int | None = None,
) -> DataFrame:
    """``df`` with an integer column ``output_col``: the fold that :func:`compute_stats`,
    ``LassoCV`` and wide mode give each row for the same columns, ``num_folds`` and ``seed``.

    Folds are a hash of the row's values (:mod:`lasso_spark.spark.fold_hash`), so this
    reproduces a fit's folds in any later query, e.g. to score each row with the model
    trained without its fold. Rows the fit would not use (null/NaN/inf values, negative
    weights, vectors of the wrong size) get a null fold. Lazy: no job runs until the result is
    used; the rows pass through Python once (Arrow batches, no per-row UDF).
    """
    if output_col in df.columns:
        raise ValueError(f"output_col {output_col!r} is already a column of the DataFrame")
    if isinstance(num_folds, bool) or not isinstance(num_folds, int) or num_folds < 2:
        raise ValueError(f"num_folds must be an int >= 2, got {num_folds!r}")
    resolved = resolve_input(
        df,
        features_col=features_col,
        input_cols=input_cols,
        label_col=label_col,
        weight_col=weight_col,
        num_folds=num_folds,
        fold_col=None,
        seed=seed,
        handle_invalid="skip",
        num_features=num_features,
    )
    n_user = len(df.columns)
    hidden = [c.alias(f"__lasso_spark_fold_input_{i}") for i, c in enumerate(resolved.columns)]
    schema = T.StructType([*df.schema.fields, T.StructField(output_col, T.IntegerType(), True)])
    body = partial(fold_batches, layout=resolved.layout, n_user=n_user, name=output_col)
    return df.select("*", *hidden).mapInArrow(body, schema)
