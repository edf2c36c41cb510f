"""``Lasso`` and ``LassoCV``: pyspark.ml Estimators that hold Params and dispatch to a backend.

Both solve the problem of :mod:`lasso_spark.core.objective`, with ``(α, ρ)`` mapped from MLlib's
``(regParam, elasticNetParam)`` (:mod:`lasso_spark.ml.mapping`), so that for the same params the
coefficients are Spark MLlib ``LinearRegression(solver="normal")``'s. A fit is: Params →
:class:`~lasso_spark.ml.backends.FitRequest` → the backend of ``solverMode``
(:mod:`lasso_spark.ml.backends`) → :class:`~lasso_spark.ml.backends.FitOutcome` →
:class:`~lasso_spark.ml.model.LassoModel`.

Parameters, their defaults and docs are declared once in :mod:`lasso_spark.paramspec`; the
keyword signatures of ``__init__`` / ``setParams`` and the ``set<Name>`` methods come from there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from pyspark.ml.base import Estimator, _FitMultipleIterator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable

from lasso_spark.ml.backends import Backend, FitOutcome, FitRequest, choose_backend
from lasso_spark.ml.backends.groups import resolve_auto_groups
from lasso_spark.ml.backends.request import request_from_params
from lasso_spark.ml.model import LassoModel
from lasso_spark.ml.params import DeclaredKeywords, LassoCVParams, LassoParams

logger = logging.getLogger(__name__)

__all__ = ["Lasso", "LassoCV"]


class _SharedPasses:
    """Statistics passes shared by the param maps of one ``fitMultiple`` call."""

    def __init__(self, dataset: Any, n_maps: int) -> None:
        self.dataset = dataset
        self.n_maps = n_maps
        self.lock = threading.Lock()
        self.cache: dict[tuple, tuple[Any, dict[str, float]]] = {}

    def fit(self, backend: Backend, request: FitRequest) -> FitOutcome:
        key = (backend.name, request.stats_key())
        with self.lock:
            if key not in self.cache:
                text = f"lasso_spark: statistics for {self.n_maps} param maps"
                self.cache[key] = backend.module.statistics(self.dataset, request, text)
            stats_result, timings = self.cache[key]
        return backend.module.fit_from_stats(stats_result, request, timings,
                                             spark=self.dataset.sparkSession)


class _LassoEstimator(DeclaredKeywords, Estimator, DefaultParamsReadable, DefaultParamsWritable):
    """What ``Lasso`` and ``LassoCV`` share: keyword construction from the declarations
    (:class:`~lasso_spark.ml.params.DeclaredKeywords`), the fit through a backend and a
    ``fitMultiple`` that shares statistics passes."""

    # --------------------------------------------------------------------------- fitting
    def _fit(self, dataset: Any) -> LassoModel:
        return self._fit_shared(dataset, None)

    def _fit_shared(self, dataset: Any, shared: _SharedPasses | None) -> LassoModel:
        self._validateParams()
        request = resolve_auto_groups(request_from_params(self), dataset)
        backend = choose_backend(request, dataset)
        if shared is not None and backend.shares_pass:
            outcome = shared.fit(backend, request)
        else:
            outcome = backend.fit(dataset, request)
        model = LassoModel.fromPath(outcome.path, outcome.chosen,
                                    featureNames=outcome.feature_names, cv=outcome.cv,
                                    summary=outcome.summary, featureStd=outcome.feature_std,
                                    stability=outcome.stability)
        return self._copyValues(model)

    def fitMultiple(self, dataset: Any, paramMaps: Sequence[dict]) -> Iterator[tuple[int, Any]]:
        """One model per param map, reading ``dataset`` once per distinct statistics pass.

        Param maps that vary only what is solved (regParam(s), elasticNetParam(s),
        standardization, penaltyFactors, the rule…) and not the input columns or the folds
        share one pass (Gram mode); each model equals ``self.fit(dataset, paramMap)``'s. This
        is what pyspark's ``CrossValidator`` / ``TrainValidationSplit`` call.
        """
        estimator = self.copy()
        shared = _SharedPasses(dataset, len(paramMaps))

        def fit_single(index: int) -> LassoModel:
            return estimator.copy(paramMaps[index])._fit_shared(dataset, shared)

        return _FitMultipleIterator(fit_single, len(paramMaps))


class Lasso(_LassoEstimator, LassoParams):
    """Lasso / elastic-net linear regression with MLlib ``LinearRegression``'s params.

    One pass over the data; the model is the minimizer of MLlib
    ``LinearRegression(solver="normal")`` for the same params and carries the warm-start path
    from ``alpha_max`` down to ``regParam``.
    """


class LassoCV(_LassoEstimator, LassoCVParams):
    """K-fold cross-validated Lasso / elastic net over a regParam grid, from one data pass.

    The params are :class:`Lasso`'s (but ``regParam``, which cross-validation chooses) plus
    ``regParams`` (explicit grid) or ``numRegParams`` / ``regParamMinRatio`` (automatic, from
    the full data's regParam at which every coefficient is 0), ``elasticNetParams`` (optional
    grid), ``numFolds`` or ``foldCol``, ``seed``, ``selectionRule`` ("min" or "1se") and
    ``parallelism`` (fold paths as Spark tasks: "auto", an int, or 1 = driver).

    Held-out MSE of fold k at every regParam comes from fold k's statistics: exact, no second
    pass. ``model.cvResults`` has one row per (elasticNetParam, regParam). ``validationCol`` (a
    boolean column) replaces the folds by one split: the path is fitted on the rows where it is
    false and the regParam chosen on the validation MSE of the rows where it is true, from the
    same single pass. The final model is the path on all rows at the chosen regParam.

    ``numSubsamples = N > 0`` adds stability selection from the same pass: the rows are hashed
    into ``numBuckets`` buckets, ``N`` complementary pairs of bucket halves each get a path on
    the chosen elasticNetParam's grid, and the model carries every feature's selection
    probability along the grid (``model.stabilityPath``, ``model.stabilitySelection()``,
    ``model.plotStability()``; docs/stability.md).
    """
