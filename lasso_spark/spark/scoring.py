"""Score a whole coefficient path on a DataFrame in one pass: weighted MSE, MAE and R² per fit.

For fits ``t = 1..m`` with coefficients ``β_t`` (original feature scale) and intercepts ``b0_t``,
over the valid rows (weights ``w``, ``W = Σ w``, label mean ``ȳ = Σ w y / W``)::

    MSE_t = Σ w (y − b0_t − xᵀβ_t)² / W        MAE_t = Σ w |y − b0_t − xᵀβ_t| / W
    R²_t  = 1 − Σ w (y − b0_t − xᵀβ_t)² / Σ w (y − ȳ)²

(scikit-learn's ``mean_squared_error`` / ``mean_absolute_error`` / ``r2_score`` with
``sample_weight``; MLlib ``RegressionMetrics`` with a weight column). Exactly one Spark job reads
the input: ``mapInArrow`` (:mod:`lasso_spark.spark.score_batch`) returns one small record per
partition. Inputs, invalid-row rules and error messages are those of
:func:`lasso_spark.spark.compute_stats`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from pyspark.sql import DataFrame

from lasso_spark.spark.inputs import resolve_input
from lasso_spark.spark.progress import job_label
from lasso_spark.spark.score_batch import SCORE_DDL, PathErrorSums, partition_scores
from lasso_spark.spark.stats import check_counts

logger = logging.getLogger(__name__)

__all__ = ["PathScores", "score_path"]


@dataclass(frozen=True)
class PathScores:
    """Weighted errors of ``m`` fits on one DataFrame (arrays of shape ``(m,)``).

    ``r2`` is NaN when the label is constant on the scored rows (``Σ w (y − ȳ)² = 0``).
    """

    mse: np.ndarray
    mae: np.ndarray
    r2: np.ndarray
    sums: PathErrorSums
    n_rows_read: int
    n_rows_skipped: int
    invalid_counts: dict[str, int] = field(default_factory=dict)
    elapsed_seconds: float = 0.0

    @property
    def rmse(self) -> np.ndarray:
        return np.sqrt(self.mse)

    @property
    def n_rows_used(self) -> int:
        return self.sums.n_rows

    @property
    def weight_sum(self) -> float:
        return self.sums.weight_sum


def score_path(
    df: DataFrame,
    coef: np.ndarray,
    intercepts: np.ndarray,
    *,
    features_col: str | None = None,
    input_cols: Sequence[str] | None = None,
    label_col: str = "label",
    weight_col: str | None = None,
    handle_invalid: str = "error",
    job_description: str | None = None,
) -> PathScores:
    """MSE, MAE and R² of every row of ``coef`` ``(m, p)`` / ``intercepts`` ``(m,)`` on ``df``.

    Features come from ``features_col`` (vector column, dense or sparse, of size ``p``) or
    ``input_cols`` (``p`` numeric columns). Invalid rows (null/NaN/±inf features, label or
    weight, negative weight, vectors of another size) raise :class:`InvalidInputError` with
    ``handle_invalid="error"`` or are dropped and counted with ``"skip"``.
    """
    started = time.perf_counter()
    B = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b0 = np.asarray(intercepts, dtype=np.float64).reshape(-1)
    m, p = B.shape
    if b0.shape != (m,):
        raise ValueError(f"{m} coefficient rows but intercepts of shape {b0.shape}")
    if input_cols is not None and len(input_cols) != p:
        raise ValueError(f"input_cols has {len(input_cols)} columns; the path has {p} features")
    resolved = resolve_input(
        df,
        features_col=features_col,
        input_cols=input_cols,
        label_col=label_col,
        weight_col=weight_col,
        num_folds=0,
        fold_col=None,
        seed=0,
        handle_invalid=handle_invalid,
        num_features=p if input_cols is None else None,
    )
    layout = resolved.layout
    description = job_description or f"lasso_spark: scoring {m} fits, {p} features"
    pass_df = df.select(*resolved.columns).mapInArrow(
        partial(partition_scores, layout=layout, coef=B, intercepts=b0), SCORE_DDL
    )
    with job_label(df.sparkSession, description):
        rows = pass_df.collect()

    total = PathErrorSums.empty(m)
    counts = np.zeros(layout.n_counters, dtype=np.int64)
    for row in rows:
        total = total.merge(
            PathErrorSums.unpack(np.frombuffer(bytes(row["sums"]), dtype=np.float64))
        )
        counts += np.frombuffer(bytes(row["counts"]), dtype=np.int64)
    n_read, n_skipped, invalid_counts = check_counts(
        counts, layout, handle_invalid, total.n_rows, total.weight_sum, weight_col,
        subject=" to score",
    )
    W = total.weight_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - total.sse / total.m2_y if total.m2_y > 0.0 else np.full(m, np.nan)
    elapsed = time.perf_counter() - started
    logger.info(
        "scored %d fits on %d rows x %d features in %.2fs; %d rows skipped",
        m, n_read, p, elapsed, n_skipped,
    )
    return PathScores(
        mse=total.sse / W,
        mae=total.sae / W,
        r2=np.asarray(r2, dtype=np.float64),
        sums=total,
        n_rows_read=n_read,
        n_rows_skipped=n_skipped,
        invalid_counts=invalid_counts,
        elapsed_seconds=elapsed,
    )
