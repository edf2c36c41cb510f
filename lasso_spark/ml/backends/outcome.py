"""What a backend returns: a :class:`FitOutcome`, the plain data a model is built from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

logger = logging.getLogger(__name__)

__all__ = ["FitOutcome"]


@dataclass(frozen=True)
class FitOutcome:
    """A fitted path and its choice: ``path`` (every fitted (elasticNetParam, regParam)), the
    row ``chosen`` for the model's coefficients, ``cv`` for cross-validated fits, the feature
    names and population standard deviations, and the fit's ``summary``."""

    path: PathTable
    chosen: int
    feature_names: list[str]
    feature_std: np.ndarray | None
    summary: LassoSummary
    cv: CVTable | None = None
