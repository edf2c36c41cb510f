"""The config a job will run with, defaults filled in with their values (``--check``).

Keys the config leaves out print the value the job will use — the estimator's default for a
fit's ``[model]`` keys, the session's defaults for ``[spark]`` — instead of ``null``. Keys whose
default depends on the data say so in a string (``"auto: ..."``); ``null`` is left only where
it means "not used" (no weight column, no fold column).
"""

from __future__ import annotations

import logging
from typing import Any

from lasso_spark.core.stability import DEFAULT_MIN_BUCKETS, default_num_buckets

logger = logging.getLogger(__name__)

__all__ = ["resolved_config"]

#: [model] keys of a fit whose default needs the data, or is "no constraint", described
_DATA_DEPENDENT = {
    "regParamMinRatio": "auto: 1e-4 when rows > features, else 1e-2 (glmnet's rule)",
    "parallelism": None,  # has a default ("auto")
    "numBuckets": (f"auto: the smallest even multiple of numFolds that is >= "
                   f"{DEFAULT_MIN_BUCKETS} ({default_num_buckets(5)} for 5 folds); used only "
                   "when numSubsamples > 0"),
    # unset means "no constraint", described rather than printed as null
    "lowerBoundsOnCoefficients": "none: every coefficient unbounded below (-inf)",
    "upperBoundsOnCoefficients": "none: every coefficient unbounded above (inf)",
    "featureGroups": "none: every feature its own group (the plain lasso penalty)",
}


def _spark(section: dict[str, Any], command: str, under_spark_submit: bool) -> dict[str, Any]:
    out = dict(section)
    if out.get("master") is None:
        out["master"] = "spark-submit's --master" if under_spark_submit else "local[*]"
    if out.get("app_name") is None:
        out["app_name"] = f"lasso_spark-{command}"
    return out


def _fit_model(model: Any) -> dict[str, Any]:
    """``[model]`` with every parameter's effective value (``ModelConfig.resolved_params``);
    a default that depends on the data is described, ``None`` is kept where it means unused."""
    out: dict[str, Any] = {"kind": model.kind}
    for key, value in model.resolved_params().items():
        if value is None and _DATA_DEPENDENT.get(key) is not None:
            value = _DATA_DEPENDENT[key]
        out[key] = list(value) if isinstance(value, tuple) else value
    if model.kind == "lasso_cv" and out.get("elasticNetParams") is None:
        out["elasticNetParams"] = [out.get("elasticNetParam", 1.0)]
    return out


def resolved_config(command: str, cfg: Any, *, under_spark_submit: bool = False
                    ) -> dict[str, Any]:
    """``cfg`` as a JSON-able dict with every default's value filled in."""
    data = cfg.model_dump(mode="json", by_alias=True)
    if "spark" in data:
        data["spark"] = _spark(data["spark"], command, under_spark_submit)
    if command == "fit":
        data["model"] = _fit_model(cfg.model)
        cols = data["columns"]
        if cols.get("features") is None and cols.get("vector") is None:
            cols["features"] = ("auto: every numeric column but the label, weight, id, fold / "
                                "validation and columns.exclude columns (a non-numeric one is an "
                                "error)")
    elif command == "score":
        model = data["model"]
        if model.get("prediction_col") is None:
            model["prediction_col"] = "the model's predictionCol ('prediction' by default)"
        out = data["output"]
        if out.get("passthrough") is None:
            out["passthrough"] = "every input column"
        if out.get("partitions") is None:
            out["partitions"] = "as read (no repartition)"
    elif command in ("generate", "demo"):
        gen = data["data"]
        if gen.get("num_partitions") is None:
            gen["num_partitions"] = "Spark's default parallelism"
        if command == "demo":
            data["model"] = _fit_model(cfg.model)
    return data
