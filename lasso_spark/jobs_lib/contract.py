"""Every place where the jobs depend on the estimator API (``lasso_spark.ml``), in one module.

The jobs are written against this contract::

    from lasso_spark import Lasso, LassoCV, LassoModel
    est = LassoCV(inputCols=[...] | featuresCol=..., labelCol=..., weightCol=..., regParams=...)
    model = est.fit(df)
    model.coefficients (DenseVector), model.intercept, model.regParam, model.elasticNetParam,
    model.featureNames, model.path / model.cvResults (pandas; cvResults None for Lasso),
    model.summary.asDict(), model.plotPath() / model.plotCV() (matplotlib Figures),
    model.save(path), LassoModel.load(path), model.transform(df)

and invalid data raising ``lasso_spark.spark.InvalidInputError`` (a ValueError). The logistic
kinds (``LogisticLasso``, ``LogisticLassoCV``, ``LogisticLassoModel``) follow the same contract;
their CV table has ``<metric>Mean`` / ``<metric>StdErr`` columns instead of the MSE's and their
``transform`` adds ``probability`` (a vector) next to ``prediction``. If the estimator API
changes, this module is the one to adapt.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from lasso_spark.jobs_lib.errors import JobError

logger = logging.getLogger(__name__)


def build_estimator(kind: str, params: dict[str, Any]) -> Any:
    """The estimator of ``kind`` built with ``params`` (MLlib names)."""
    from lasso_spark.ml import Lasso, LassoCV, LogisticLasso, LogisticLassoCV

    cls = {"lasso": Lasso, "lasso_cv": LassoCV, "logistic_lasso": LogisticLasso,
           "logistic_lasso_cv": LogisticLassoCV}[kind]
    return cls(**params)


def load_model(path: str) -> Any:
    """A saved ``LassoModel`` or ``LogisticLassoModel`` (the class its metadata names)."""
    from pyspark.ml.util import DefaultParamsReader
    from pyspark.sql import SparkSession

    from lasso_spark.ml import LassoModel, LogisticLassoModel

    spark = SparkSession.getActiveSession()
    meta = DefaultParamsReader.loadMetadata(path, spark) if spark is not None else {}
    if str(meta.get("class", "")).endswith("LogisticLassoModel"):
        return LogisticLassoModel.load(path)
    return LassoModel.load(path)


def is_classifier(model: Any) -> bool:
    return model.hasParam("probabilityCol")


def score_columns(model: Any) -> list[Any]:
    """The columns a score job writes after ``model.transform``: the prediction, and for a
    classifier first the probability of label 1 (a double, under the probability column's
    name, so that every output format can hold it)."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    pred = F.col(prediction_col(model))
    if not is_classifier(model):
        return [pred]
    name = str(model.getOrDefault(model.getParam("probabilityCol")))
    return [vector_to_array(F.col(name))[1].alias(name), pred]


def is_invalid_input(exc: BaseException) -> bool:
    """True for lasso_spark's invalid-input error, raised on the driver or inside a Spark task."""
    from lasso_spark.spark import InvalidInputError

    if isinstance(exc, InvalidInputError):
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


def feature_std(model: Any) -> list[float]:
    """Population standard deviations of the features, carried by every fitted model."""
    std = model.featureStd
    if std is None:
        raise JobError("the fitted model carries no feature standard deviations")
    return [float(v) for v in std]


def summary_dict(model: Any) -> dict[str, Any]:
    return dict(model.summary.asDict()) if model.hasSummary else {}


def rows_used_skipped(model: Any) -> tuple[int | None, int | None]:
    if not model.hasSummary:
        return None, None
    return int(model.summary.numRowsUsed), int(model.summary.numRowsSkipped)


def output_names(model: Any) -> list[str]:
    """Names of the columns :func:`score_columns` writes."""
    names = [prediction_col(model)]
    if is_classifier(model):
        names.insert(0, str(model.getOrDefault(model.getParam("probabilityCol"))))
    return names


def cv_error_at_choice(model: Any) -> dict[str, Any] | None:
    """Mean and standard error of the CV MSE at the model's (regParam, elasticNetParam); for a
    classifier ``{regParam, metric, mean, stdErr}`` of its CV metric."""
    cv = model.cvResults
    if cv is None or len(cv) == 0:
        return None
    if is_classifier(model):
        i = model.cvTable.index_chosen
        name = model.cvTable.metric
        out = {"regParam": float(cv["regParam"].iloc[i]), "metric": name,
               "mean": float(cv[f"{name}Mean"].iloc[i])}
        se = float(cv[f"{name}StdErr"].iloc[i])
        if not math.isnan(se):
            out["stdErr"] = se
        return out
    rows = cv[(cv["elasticNetParam"] - float(model.elasticNetParam)).abs() <= 1e-12]
    rel = (rows["regParam"] - float(model.regParam)).abs() / max(abs(float(model.regParam)), 1e-300)
    best = rows.loc[rel.idxmin()]
    out = {"regParam": float(best["regParam"]), "meanMSE": float(best["mseMean"])}
    if not math.isnan(float(best["mseStdErr"])):
        out["stdErrMSE"] = float(best["mseStdErr"])
    return out
