"""What every fitted path model exposes, stated once.

A model keeps ``_reg_param``, ``_elastic_net_param``, ``_feature_names``, ``_path`` (its path
table), ``_cv`` (its CV table or None) and ``_summary``; :class:`PathModelAttributes` gives the
public, MLlib-style attributes built on them (all three families: ``LassoModel``,
``LogisticLassoModel``, ``MultinomialLassoModel``). :class:`FittedPathModel` adds those of a
model with one coefficient vector (``_coef`` on the original scale, ``_intercept``):
``coefficients``, ``intercept``, ``numFeatures``, ``numNonzeros``.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from pyspark.ml.linalg import DenseVector

logger = logging.getLogger(__name__)

__all__ = ["FittedPathModel", "PathModelAttributes"]


class PathModelAttributes:
    """What a fitted path model of any family exposes beyond its coefficients: its regParam
    and elasticNetParam, feature names, path, CV table and summary (module docstring)."""

    _reg_param: float
    _elastic_net_param: float
    _feature_names: list[str]
    _path: Any
    _cv: Any
    _summary: Any

    @property
    def regParam(self) -> float:
        """The regParam of this model (chosen by cross-validation for the CV estimators)."""
        return self._reg_param

    @property
    def elasticNetParam(self) -> float:
        return self._elastic_net_param

    def getRegParam(self) -> float:
        return self._reg_param

    def getElasticNetParam(self) -> float:
        return self._elastic_net_param

    @property
    def featureNames(self) -> list[str]:
        return list(self._feature_names)

    @property
    def pathTable(self) -> Any:
        """The path as a table object (``PathTable`` / ``LogisticPathTable`` /
        ``MultinomialPathTable``), or None."""
        return self._path

    @property
    def cvTable(self) -> Any:
        """The cross-validation table (``CVTable`` / ``LogisticCVTable``), or None."""
        return self._cv

    @property
    def path(self) -> pd.DataFrame | None:
        """One row per fitted (elasticNetParam, regParam); coefficient columns
        ``coef:<feature>``."""
        return None if self._path is None else self._path.to_pandas(self._feature_names)

    @property
    def cvResults(self) -> pd.DataFrame | None:
        """Per regParam: non-zeros and the mean, standard error and fold values of the CV
        error (MSE; logistic: each CV metric); None without CV."""
        return None if self._cv is None else self._cv.to_pandas()

    @property
    def hasSummary(self) -> bool:
        return self._summary is not None

    @property
    def summary(self) -> Any:
        """The fit's ``LassoSummary`` (rows, passes, timings, solver details)."""
        if self._summary is None:
            raise RuntimeError(f"no summary available for this {type(self).__name__}")
        return self._summary


class FittedPathModel(PathModelAttributes):
    """A fitted path model with one coefficient vector: ``LassoModel``, ``LogisticLassoModel``
    (module docstring)."""

    _coef: np.ndarray
    _intercept: float

    @property
    def coefficients(self) -> DenseVector:
        """Coefficients on the original feature scale (like MLlib's)."""
        return DenseVector(self._coef.copy())

    @property
    def intercept(self) -> float:
        return self._intercept

    @property
    def numFeatures(self) -> int:
        return int(self._coef.shape[0])

    @property
    def numNonzeros(self) -> int:
        return int(np.count_nonzero(self._coef))
