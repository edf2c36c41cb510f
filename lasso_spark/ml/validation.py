"""Validation scores of every fit on a model's path, from one pass over a validation DataFrame.

``evaluate_path(model, df)`` (``LassoModel.evaluatePath``) predicts all ``m`` fits of the path
per Arrow batch on the executors (one BLAS product per slice of rows) and returns one row per
(elasticNetParam, regParam) with the weighted validation errors::

    mse  = Σ w (y − ŷ)² / W        rmse = √mse        mae = Σ w |y − ŷ| / W
    r2   = 1 − Σ w (y − ŷ)² / Σ w (y − ȳ)²             (NaN for a constant label)

(see :mod:`lasso_spark.spark.scoring`), plus the rows used and skipped. The same rows are
rejected as in training (``handleInvalid``); exactly one Spark job runs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lasso_spark.ml.model import LassoModel

logger = logging.getLogger(__name__)

__all__ = ["EVALUATION_COLUMNS", "best_index", "evaluate_path"]

#: Columns of the DataFrame ``evaluate_path`` returns, in order.
EVALUATION_COLUMNS = (
    "elasticNetParam", "regParam", "nonzeros", "mse", "rmse", "mae", "r2", "numRowsUsed",
    "numRowsSkipped",
)
METRICS = ("mse", "rmse", "mae", "r2")


def _path_arrays(model: LassoModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             np.ndarray]:
    """``(enp, regParam, nonzeros, coef (m, p), intercepts)`` of the path (or the one fit)."""
    path = model.pathTable
    if path is not None:
        return (path.elastic_net_params, path.reg_params, path.nonzeros, path.coef,
                path.intercepts)
    coef = model.coefficients.toArray()
    return (np.array([model.elasticNetParam]), np.array([model.regParam]),
            np.array([np.count_nonzero(coef)]), coef[None, :], np.array([model.intercept]))


def evaluate_path(
    model: LassoModel,
    dataset: Any,
    *,
    labelCol: str | None = None,
    weightCol: str | None = None,
    handleInvalid: str | None = None,
) -> pd.DataFrame:
    """Weighted MSE / RMSE / MAE / R² of every fit of ``model``'s path on ``dataset``.

    Features are read from the model's ``inputCols`` or ``featuresCol``; ``labelCol``,
    ``weightCol`` (``""`` = unweighted) and ``handleInvalid`` default to the model's params.
    ``result.attrs`` holds ``numRowsRead``, ``weightSum``, ``invalidCounts`` and
    ``elapsedSeconds``.
    """
    from lasso_spark.spark.scoring import score_path

    enp, reg, nnz, coef, b0 = _path_arrays(model)
    uses_input = model._usesInputCols()
    label = model.getLabelCol() if labelCol is None else labelCol
    if weightCol is None:
        weight = model.getWeightCol() if model.isDefined(model.weightCol) else None
    else:
        weight = weightCol
    handle = model.getHandleInvalid() if handleInvalid is None else handleInvalid
    if uses_input and len(model.getInputCols()) != model.numFeatures:
        raise ValueError(
            f"inputCols has {len(model.getInputCols())} columns; the model has "
            f"{model.numFeatures} features"
        )
    scores = score_path(
        dataset,
        coef,
        b0,
        features_col=None if uses_input else model.getFeaturesCol(),
        input_cols=list(model.getInputCols()) if uses_input else None,
        label_col=label,
        weight_col=weight or None,
        handle_invalid=handle,
        job_description=f"lasso_spark: validation scores of {coef.shape[0]} fits",
    )
    out = pd.DataFrame({
        "elasticNetParam": enp,
        "regParam": reg,
        "nonzeros": np.asarray(nnz, dtype=np.int64),
        "mse": scores.mse,
        "rmse": scores.rmse,
        "mae": scores.mae,
        "r2": scores.r2,
        "numRowsUsed": np.full(coef.shape[0], scores.n_rows_used, dtype=np.int64),
        "numRowsSkipped": np.full(coef.shape[0], scores.n_rows_skipped, dtype=np.int64),
    })
    out.attrs.update(
        numRowsRead=scores.n_rows_read,
        weightSum=scores.weight_sum,
        invalidCounts=dict(scores.invalid_counts),
        elapsedSeconds=scores.elapsed_seconds,
    )
    return out


def best_index(scores: pd.DataFrame, metric: str = "mse") -> int:
    """Row of ``evaluate_path``'s result with the best ``metric`` (lowest error, highest r2);
    ties go to the larger regParam (the sparser model)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    values = scores[metric].to_numpy(dtype=np.float64)
    key = -values if metric == "r2" else values
    key = np.where(np.isfinite(key), key, np.inf)
    if not np.isfinite(key).any():
        raise ValueError(f"no finite {metric} to select from")
    ties = np.flatnonzero(key == key.min())
    return int(ties[np.argmax(scores["regParam"].to_numpy()[ties])])
