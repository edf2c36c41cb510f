"""Every place where the jobs depend on the estimator API (``lasso_spark.ml``), in one module.

The jobs are written against this contract::

    from lasso_spark import Lasso, LassoCV, LassoModel
    est = LassoCV(inputCols=[...] | featuresCol=..., labelCol=..., weightCol=..., regParams=...)
    model = est.fit(df)
    model.coefficients (DenseVector), model.intercept, model.regParam, model.elasticNetParam,
    model.featureNames, model.path / model.cvResults (pandas; cvResults None for Lasso),
    model.summary.asDict(), model.plotPath() / model.plotCV() (matplotlib Figures),
    model.save(path), LassoModel.load(path), model.transform(df)

and invalid data raising ``lasso_spark.spark.InvalidInputError`` (a ValueError). If the estimator
API changes, this module is the one to adapt.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from lasso_spark.jobs_lib.errors import JobError

logger = logging.getLogger(__name__)

#: candidate column names in ``model.cvResults`` (first match wins)
CV_REGPARAM_COLUMNS = ("regParam",)
CV_ENET_COLUMNS = ("elasticNetParam",)
CV_MEAN_COLUMNS = ("meanMSE", "mean_mse", "cvMean", "mse_mean", "mse")
CV_SE_COLUMNS = ("stdErrMSE", "se_mse", "cvSE", "mse_se", "stderr")
#: candidate keys in ``model.summary.asDict()`` for row counts
ROWS_USED_KEYS = ("numRows", "rowsUsed", "n_rows", "numInstances")
ROWS_SKIPPED_KEYS = ("numRowsSkipped", "rowsSkipped", "skippedRows", "n_skipped")


class EstimatorsUnavailable(JobError, RuntimeError):
    """``lasso_spark.ml`` does not provide the estimators yet (or failed to import)."""


def estimators_available() -> bool:
    """True when ``lasso_spark.ml`` exports ``Lasso``, ``LassoCV`` and ``LassoModel``."""
    try:
        import lasso_spark.ml as ml
    except ImportError:
        return False
    return all(hasattr(ml, name) for name in ("Lasso", "LassoCV", "LassoModel"))


def _ml() -> Any:
    if not estimators_available():
        raise EstimatorsUnavailable(
            "lasso_spark.ml does not provide Lasso / LassoCV / LassoModel in this build"
        )
    import lasso_spark.ml as ml

    return ml


def build_estimator(kind: str, params: dict[str, Any]) -> Any:
    """``Lasso(**params)`` or ``LassoCV(**params)``; ``params`` use MLlib names."""
    ml = _ml()
    cls = {"lasso": ml.Lasso, "lasso_cv": ml.LassoCV}[kind]
    return cls(**params)


def load_model(path: str) -> Any:
    return _ml().LassoModel.load(path)


def is_invalid_input(exc: BaseException) -> bool:
    """True for lasso_spark's invalid-input error, raised on the driver or inside a Spark task."""
    try:
        from lasso_spark.spark import InvalidInputError  # type: ignore[attr-defined]
    except ImportError:
        InvalidInputError = None  # noqa: N806
    if InvalidInputError is not None and isinstance(exc, InvalidInputError):
        return True
    try:
        from pyspark.errors import PythonException
    except ImportError:  # pragma: no cover
        return False
    # Raised on an executor, the error reaches the driver as a PythonException carrying its text.
    return isinstance(exc, PythonException) and "InvalidInputError" in str(exc)


def model_input_columns(model: Any) -> list[str]:
    """Columns ``model.transform`` needs: ``inputCols`` if set, else ``[featuresCol]``."""
    for name in ("inputCols", "featuresCol"):
        if model.hasParam(name) and model.isDefined(model.getParam(name)):
            value = model.getOrDefault(model.getParam(name))
            if value:
                return list(value) if isinstance(value, (list, tuple)) else [value]
    return []


def set_prediction_col(model: Any, name: str) -> None:
    model.set(model.getParam("predictionCol"), name)


def prediction_col(model: Any) -> str:
    return str(model.getOrDefault(model.getParam("predictionCol")))


def feature_std(model: Any) -> list[float] | None:
    """Population standard deviations of the features, if the model exposes them."""
    for owner in (model, getattr(model, "summary", None)):
        value = getattr(owner, "featureStd", None) if owner is not None else None
        if value is not None:
            return [float(v) for v in (value() if callable(value) else value)]
    return None


def summary_dict(model: Any) -> dict[str, Any]:
    summary = getattr(model, "summary", None)
    if summary is None:
        return {}
    as_dict = getattr(summary, "asDict", None)
    return dict(as_dict()) if callable(as_dict) else {}


def _first(mapping_keys: Any, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in mapping_keys), None)


def rows_used_skipped(model: Any) -> tuple[int | None, int | None]:
    info = summary_dict(model)
    used = _first(info, ROWS_USED_KEYS)
    skipped = _first(info, ROWS_SKIPPED_KEYS)
    return (
        int(info[used]) if used else None,
        int(info[skipped]) if skipped else None,
    )


def cv_error_at_choice(model: Any) -> dict[str, float] | None:
    """Mean and standard error of the CV MSE at the model's (regParam, elasticNetParam)."""
    cv = getattr(model, "cvResults", None)
    if cv is None or len(cv) == 0:
        return None
    reg_col = _first(cv.columns, CV_REGPARAM_COLUMNS)
    mean_col = _first(cv.columns, CV_MEAN_COLUMNS)
    if reg_col is None or mean_col is None:
        logger.warning("cvResults lacks regParam/mean MSE columns: %s", list(cv.columns))
        return None
    rows = cv
    enet_col = _first(cv.columns, CV_ENET_COLUMNS)
    if enet_col is not None:
        rows = rows[(rows[enet_col] - float(model.elasticNetParam)).abs() <= 1e-12]
        if len(rows) == 0:
            rows = cv
    rel = ((rows[reg_col] - float(model.regParam)).abs() / max(abs(float(model.regParam)), 1e-300))
    best = rows.loc[rel.idxmin()]
    se_col = _first(cv.columns, CV_SE_COLUMNS)
    out = {"regParam": float(best[reg_col]), "meanMSE": float(best[mean_col])}
    if se_col is not None and not math.isnan(float(best[se_col])):
        out["stdErrMSE"] = float(best[se_col])
    return out
