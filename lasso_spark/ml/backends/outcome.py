"""What a backend returns: a :class:`FitOutcome`, the plain data a model is built from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from lasso_spark.ml.stability import StabilityTable
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

logger = logging.getLogger(__name__)

__all__ = ["FitOutcome"]


@dataclass(frozen=True)
class FitOutcome:
    """A fitted path and its choice: ``path`` (every fitted (elasticNetParam, regParam)), the
    row ``chosen`` for the model's coefficients, ``cv`` for cross-validated fits, the feature
    names and population standard deviations, the fit's ``summary`` and, when asked for,
    the ``stability`` selection probabilities."""

    path: PathTable
    chosen: int
    feature_names: list[str]
    feature_std: np.ndarray | None
    summary: LassoSummary
    cv: CVTable | None = None
    stability: StabilityTable | None = None
