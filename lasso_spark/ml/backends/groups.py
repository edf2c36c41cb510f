"""``featureGroups="auto"``: the request's groups read from the input vector column's ML
attribute metadata (:func:`lasso_spark.spark.attr_groups.groups_from_metadata`) before any
pass, so the backends see explicit slot-index groups."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from lasso_spark.ml.backends.request import FitRequest
from lasso_spark.ml.params import ParamValidationError
from lasso_spark.spark.attr_groups import groups_from_metadata

logger = logging.getLogger(__name__)

__all__ = ["resolve_auto_groups"]


def resolve_auto_groups(request: FitRequest, dataset: Any) -> FitRequest:
    """``request`` with ``featureGroups="auto"`` replaced by the slot groups of its vector
    column (unchanged otherwise)."""
    if request.penalty.feature_groups != "auto":
        return request
    col = request.input.features_col
    if col is None:
        raise ParamValidationError(
            "featureGroups='auto' reads a vector column's ML attribute metadata; with "
            "inputCols give the groups as lists of column names")
    try:
        field = dataset.schema[col]
    except (KeyError, LookupError) as exc:
        raise ParamValidationError(f"featuresCol {col!r} is not a column of the input") from exc
    try:
        groups = groups_from_metadata(field)
    except ValueError as exc:
        raise ParamValidationError(str(exc)) from exc
    penalty = dataclasses.replace(request.penalty,
                                  feature_groups=tuple(tuple(g) for g in groups))
    return dataclasses.replace(request, penalty=penalty)
