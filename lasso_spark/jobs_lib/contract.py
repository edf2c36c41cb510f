"""Every place where the jobs depend on the estimator API (``lasso_spark.ml``), in one module.

The jobs are written against this contract::

    from lasso_spark import Lasso, LassoCV, LassoModel
    est = LassoCV(inputCols=[...] | featuresCol=..., labelCol=..., weightCol=..., regParams=...)
    model = est.fit(df)
    model.coefficients (DenseVector), model.intercept, model.regParam, model.elasticNetParam,
    model.featureNames, model.path / model.cvResults (pandas; cvResults None for Lasso),
    model.summary.asDict(), model.plotPath() / model.plotCV() (matplotlib Figures),
    model.save(path), LassoModel.load(path), model.transform(df), model.saveMLlib(path)

and data problems raising ``lasso_spark.spark.DataError`` (``InvalidInputError`` for bad rows),
bad params ``lasso_spark.ml.ParamValidationError``, a damaged model ``ModelLoadError``. The
logistic kinds (``LogisticLasso``, ``LogisticLassoCV``, ``LogisticLassoModel``) follow the same
contract; their CV table has ``<metric>Mean`` / ``<metric>StdErr`` columns instead of the MSE's
and the score job writes the probability of label 1 next to the predicted label. With
``family = "multinomial"`` (or ``"auto"`` and more than 2 classes) the fit returns a
``MultinomialLassoModel``: ``coefficientMatrix`` (K × p) and ``interceptVector`` instead of
``coefficients`` and ``intercept``, ``scoringFrame``'s value the K margins as one array, and the
score job writes one probability column per class (``<probabilityCol>_<k>``) next to the
predicted class. If the estimator API changes, this module is the one to adapt.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from lasso_spark.jobs_lib.errors import JobError

logger = logging.getLogger(__name__)


def build_estimator(kind: str, params: dict[str, Any]) -> Any:
    """The estimator of ``kind`` (``Lasso``, ``LassoCV``, ``LogisticLasso``,
    ``LogisticLassoCV``) built with ``params`` (MLlib names)."""
    from lasso_spark.ml import Lasso, LassoCV, LogisticLasso, LogisticLassoCV

    cls = {"lasso": Lasso, "lasso_cv": LassoCV, "logistic_lasso": LogisticLasso,
           "logistic_lasso_cv": LogisticLassoCV}[kind]
    return cls(**params)


def load_model(path: str, spark: Any = None) -> Any:
    """A saved ``LassoModel``, ``LogisticLassoModel`` or ``MultinomialLassoModel`` (the class
    its metadata names)."""
    from lasso_spark.ml import LassoModel, LogisticLassoModel, MultinomialLassoModel

    if LogisticLassoModel.is_saved_at(path, spark):
        return LogisticLassoModel.load(path)
    if MultinomialLassoModel.is_saved_at(path, spark):
        return MultinomialLassoModel.load(path)
    return LassoModel.load(path)


def is_classifier(model: Any) -> bool:
    return model.hasParam("probabilityCol")


def is_multinomial(model: Any) -> bool:
    """True for a ``MultinomialLassoModel`` (K coefficient rows, K probabilities)."""
    return hasattr(model, "coefficientMatrix")


def coefficient_matrix(model: Any) -> Any:
    """The coefficients as a numpy array (K, p): K = 1 for a linear or binomial model."""
    import numpy as np

    if is_multinomial(model):
        return np.asarray(model.coefficientMatrix.toArray(), dtype=float)
    return np.asarray(model.coefficients.toArray(), dtype=float)[None, :]


def intercepts(model: Any) -> list[float]:
    """The K intercepts (one for a linear or binomial model)."""
    if is_multinomial(model):
        return [float(v) for v in model.interceptVector.toArray()]
    return [float(model.intercept)]


def scoring_model(model: Any, *, prediction_col: str | None, handle_invalid: str,
                  replace_prediction: bool) -> None:
    """Set what the score job asks of ``model.transform``."""
    if prediction_col:
        model.setPredictionCol(prediction_col)
    if is_classifier(model):  # the score job applies handle_invalid itself (valid column)
        return
    model.setHandleInvalid(handle_invalid)
    model.setReplacePredictionCol(replace_prediction)


def save_mllib(model: Any, path: str) -> str:
    """The model in Spark MLlib's format; returns the MLlib class written."""
    return str(model.saveMLlib(path))


def scoring_frame(model: Any, df: Any) -> tuple[Any, Any, Any, dict[str, Any], list[str]]:
    """``(frame, prediction, valid, aggregate counts, helper columns)`` of ``model`` on ``df``
    (schema checked, no job): ``frame`` is ``df`` with helper columns the other Columns read
    (each costly part computed once per row); drop the helpers before writing."""
    frame, checks, helpers = model.scoringFrame(df)
    return frame, checks.value, checks.valid, model.invalidCountColumns(df, checks), helpers


def output_columns(model: Any, value: Any, valid: Any, pred: str) -> list[Any]:
    """The columns a score job writes besides the pass-through ones, from
    :func:`scoring_frame`'s ``value`` (null where not ``valid``): the prediction, and for a
    classifier first the probability of label 1 (a double, under the probability column's
    name, so that every output format can hold it) and the label at the threshold; for a
    multinomial model the K class probabilities (doubles, :func:`output_names`) and the class
    of largest probability."""
    from pyspark.sql import functions as F

    if not is_classifier(model):
        return [F.when(valid, value).alias(pred)]
    names = output_names(model, pred)
    if is_multinomial(model):
        probs, label = model.softmaxColumns(F.when(valid, value))
        return [*(F.element_at(probs, k + 1).alias(n) for k, n in enumerate(names[:-1])),
                label.alias(pred)]
    prob = F.when(valid, 1.0 / (1.0 + F.exp(-value)))
    label = F.when(prob > F.lit(float(model.getThreshold())), 1.0).otherwise(0.0)
    return [prob.alias(names[0]), F.when(valid, label).alias(pred)]


def output_names(model: Any, pred: str) -> list[str]:
    """Names of the columns :func:`output_columns` writes: ``[pred]``; for a binomial model
    ``[probabilityCol, pred]``; for a multinomial one ``[probabilityCol_0, …,
    probabilityCol_<K-1>, pred]``."""
    if not is_classifier(model):
        return [pred]
    prob = str(model.getOrDefault(model.getParam("probabilityCol")))
    if is_multinomial(model):
        return [*(f"{prob}_{k}" for k in range(int(model.numClasses))), pred]
    return [prob, pred]


def model_input_columns(model: Any) -> list[str]:
    """Columns ``model.transform`` needs: ``inputCols`` if set, else ``[featuresCol]``."""
    for name in ("inputCols", "featuresCol"):
        if model.hasParam(name) and model.isDefined(model.getParam(name)):
            value = model.getOrDefault(model.getParam(name))
            if value:
                return list(value) if isinstance(value, (list, tuple)) else [value]
    return []


def model_uses_input_cols(model: Any) -> bool:
    """True when ``model`` scores numeric ``inputCols`` (False: a vector ``featuresCol``)."""
    return bool(model.isSet(model.getParam("inputCols")))


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


def cv_error_at_choice(model: Any) -> dict[str, float] | None:
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
