"""``LogisticLasso`` and ``LogisticLassoCV``: binomial elastic-net estimators with MLlib
``LogisticRegression``'s parameter names, fitted in a few dozen data passes.

Objective (MLlib's, see :mod:`lasso_spark.core.logistic`)::

    (1/W) Σ_i w_i [log(1 + e^{η_i}) − y_i η_i]  +  regParam (α ‖β‖₁ + (1 − α)/2 ‖β‖²),
    η = b0 + x̃ᵀβ,  α = elasticNetParam

with ``x̃`` standardized by the training rows' weighted **sample** standard deviation when
``standardization`` (MLlib's; glmnet uses the population std, see the core module), so that for
the same params the coefficients are MLlib ``LogisticRegression``'s. The first pass is the
statistics pass (labels other than 0/1 are invalid rows; one class only is an error); then each
outer proximal-Newton iteration is ONE pass that advances every model in flight — the full
data's and every CV fold's, over several consecutive regParams (:mod:`lasso_spark.spark.logistic`).

Params that differ from MLlib on purpose (documented on each Param):

* ``elasticNetParam`` defaults to 1.0 (a lasso), MLlib's to 0.
* ``maxIter`` bounds the outer (proximal Newton) iterations per regParam — each one data pass
  shared with the other models in flight — not L-BFGS iterations; ``tol`` is the certified
  duality gap on the logistic objective relative to the null model's (MLlib: relative change of
  the loss). Defaults 100 and 1e-6.
* ``family`` defaults to ``"binomial"`` (MLlib's default is ``"auto"``; ``"auto"`` is
  supported: binomial for 2 classes, else multinomial). ``"multinomial"`` fits the softmax
  family (:mod:`lasso_spark.core.multinomial_path`) and returns a
  :class:`~lasso_spark.ml.multinomial_model.MultinomialLassoModel`. ``thresholds``, bounds on
  coefficients and ``aggregationDepth`` are not supported.

Parameters are declared in :mod:`lasso_spark.paramspec` (owners ``LogisticLasso``,
``LogisticLassoCV``, ``LogisticLassoModel``); the Params, getters, setters and keyword
signatures are generated from there (:mod:`lasso_spark.ml.params`). A fit is: Params →
:class:`~lasso_spark.ml.backends.FitRequest` (``family="binomial"``) → the logistic backend
(:mod:`lasso_spark.ml.backends.logistic`) → :class:`LogisticLassoModel`.

Parameter map::

  lasso_spark        default       MLlib LogisticRegression   scikit-learn           glmnet (R)
  -----------------  ------------  -------------------------  ---------------------  -----------
  featuresCol        features      featuresCol                X                      x
  inputCols          —             (VectorAssembler)          X columns              x columns
  labelCol           label         labelCol (0/1)             y                      y (0/1)
  weightCol          —             weightCol                  sample_weight          weights
  regParam           0.0           regParam                   1/(C·Σw)               lambda (*)
  elasticNetParam    1.0           elasticNetParam (def. 0)   l1_ratio               alpha
  standardization    True          standardization            — (scale X, sample sd) standardize
  fitIntercept       True          fitIntercept               fit_intercept          intercept
  maxIter            100           maxIter (L-BFGS/OWL-QN)    max_iter               maxit
  tol                1e-6          tol (relative loss change) tol                    thresh
  threshold          0.5           threshold                  (0.5)                  (0.5)
  probabilityCol     probability   probabilityCol             predict_proba()        type="response"
  rawPredictionCol   rawPrediction rawPredictionCol           decision_function()    type="link"
  predictionCol      prediction    predictionCol              predict()              type="class"
  handleInvalid      error         —                          —                      —
  regParamsInFlight  12            —                          —                      —
  cacheInput         False         (caches internally)        —                      —
  regParams          —             (ParamGridBuilder)         Cs (1/(C·Σw))          lambda
  numRegParams       100           —                          —                      nlambda
  regParamMinRatio   None          —                          —                      lambda.min.r.
  numFolds/foldCol   5 / —         CrossValidator             cv                     nfolds/foldid
  validationCol      —             —                          —                      —
  seed               crc32 (**)    seed                       random_state           set.seed
  selectionRule      min           —                          —                      lambda.min/.1se
  cvMetric           deviance      (evaluator)                scoring                type.measure

(*) glmnet standardizes with the weighted population std: for the lasso with unit weights its
``lambda`` is ``regParam · √(n/(n − 1))`` (and with standardize=FALSE exactly regParam).
(**) the same default as ``LassoCV``'s: ``zlib.crc32(b"LassoCV")``, equal in every process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from pyspark.ml.base import Estimator, _FitMultipleIterator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable

from lasso_spark.ml.backends import choose_backend, multinomial
from lasso_spark.ml.backends.logistic import LogisticOutcome, fit_targets
from lasso_spark.ml.backends.multinomial import MultinomialOutcome
from lasso_spark.ml.backends.request import FitRequest, GridSpec, binomial_request_from_params
from lasso_spark.ml.logistic_model import LogisticLassoModel
from lasso_spark.ml.multinomial_model import MultinomialLassoModel
from lasso_spark.ml.params import DeclaredKeywords, LogisticCVParams, LogisticParams

logger = logging.getLogger(__name__)

__all__ = ["LogisticLasso", "LogisticLassoCV"]


def _model_for(out: LogisticOutcome, row: int, *, warm_path: bool) -> LogisticLassoModel:
    """The model at path row ``row``; with ``warm_path`` its path is the warm path down to it."""
    table = out.path
    if warm_path:
        keep = np.flatnonzero(table.reg_params >= table.reg_params[row])
        table, row = table.rows(keep), int(np.flatnonzero(keep == row)[0])
    return LogisticLassoModel.fromPath(table, row, featureNames=out.feature_names, cv=out.cv,
                                       summary=out.summary, featureStd=out.feature_std)


def _share_key(request: FitRequest) -> tuple:
    """What must be equal for two fits to share one warm path: all but the target regParam
    (the family among them: ``request.family`` and ``request.binomial.family``)."""
    return (request.input, request.split, request.solver, request.penalty.elastic_net_params,
            request.binomial, request.selection_rule, request.family)


def _fit_shared(dataset: Any, request: FitRequest, targets: list[float]
                ) -> LogisticOutcome | MultinomialOutcome:
    """One warm path through every regParam of ``targets`` (either family's backend)."""
    if request.family == "multinomial":  # family "multinomial" or "auto"
        return multinomial.fit_targets(dataset, request, targets)
    return fit_targets(dataset, request, targets)


def _shared_model(out: LogisticOutcome | MultinomialOutcome, row: int
                  ) -> LogisticLassoModel | MultinomialLassoModel:
    if isinstance(out, MultinomialOutcome):
        return MultinomialLassoModel.fromOutcome(out, row, warm_path=True)
    return _model_for(out, row, warm_path=True)


class _LogisticEstimator(DeclaredKeywords, Estimator, DefaultParamsReadable,
                         DefaultParamsWritable):
    """What the logistic estimators share: keyword construction from the declarations and the
    fit through the logistic backend."""

    def _request(self) -> FitRequest:
        self._validateParams()
        return binomial_request_from_params(self)

    def _fit(self, dataset: Any) -> LogisticLassoModel | MultinomialLassoModel:
        request = self._request()
        out = choose_backend(request, dataset).fit(dataset, request)
        cv = request.split.cross_validated
        if isinstance(out, MultinomialOutcome):
            return self._copyValues(MultinomialLassoModel.fromOutcome(out, out.chosen[0],
                                                                      warm_path=not cv))
        return self._copyValues(_model_for(out, out.chosen[0], warm_path=not cv))


class LogisticLasso(_LogisticEstimator, LogisticParams):
    """Logistic regression with an elastic-net penalty at one regParam, with MLlib
    ``LogisticRegression``'s params and, for the same params, its coefficients (module
    docstring). The model carries the warm-start path from the all-zero regParam down to
    ``regParam``. ``fitMultiple`` (``CrossValidator``, ``TrainValidationSplit``) fits every param
    map that differs only in regParam along ONE path: the passes are shared (either family:
    a multinomial or ``"auto"`` family's maps share one multinomial path)."""

    def fitMultiple(self, dataset: Any, paramMaps: Sequence[dict]) -> Iterator[tuple[int, Any]]:
        """One model per param map; maps equal but for regParam share one warm path (and so
        every data pass). Each model equals ``self.fit(dataset, paramMap)``'s to the solver
        tolerance."""
        estimator = self.copy()
        ests = [estimator.copy(pm) for pm in paramMaps]
        requests = [replace(est._request(), grid=GridSpec()) for est in ests]
        keys = [_share_key(r) for r in requests]
        groups: dict[tuple, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        lock = threading.Lock()
        done: dict[int, Any] = {}

        def fit_single(index: int) -> Any:
            with lock:
                if index not in done:
                    members = groups[keys[index]]
                    targets = [ests[i].getRegParam() for i in members]
                    out = _fit_shared(dataset, requests[index], targets)
                    for i, row in zip(members, out.chosen):
                        done[i] = ests[i]._copyValues(_shared_model(out, row))
                return done.pop(index)

        return _FitMultipleIterator(fit_single, len(paramMaps))


class LogisticLassoCV(_LogisticEstimator, LogisticCVParams):
    """K-fold cross-validated logistic elastic net over a regParam path, every fold's path and
    the full data's advanced together in a few dozen data passes.

    CV params as ``LassoCV``'s (``numFolds`` or ``foldCol`` or ``validationCol``, ``seed``,
    ``regParams`` or ``numRegParams``/``regParamMinRatio``, ``selectionRule``) plus ``cvMetric``
    (glmnet's ``type.measure``: ``"deviance"``, ``"auc"``, ``"misclassification"``). The fold
    models are trained on the full data's regParam grid (cv.glmnet's semantics); the final
    model is the full-data path at the chosen regParam. ``model.cvResults`` has, per regParam,
    the mean and standard error over folds and each fold's value of every metric computed.
    The AUC comes from per-fold histograms of the held-out scores (2048 bins per class over
    ±8 standard deviations of each model's scores, pairs within a bin counted one half):
    ``aucBoundFold<k>`` bounds its distance from the exact AUC (about 1e-3 or less).
    """
