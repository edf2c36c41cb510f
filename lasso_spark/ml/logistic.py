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
* ``family`` is always binomial; ``thresholds``, bounds on coefficients and
  ``aggregationDepth`` are not supported.

The fit logic lives in :func:`fit_logistic`, which takes plain request data
(:class:`LogisticFitRequest`) so that it can become the logistic backend of the estimator seam
(``FitRequest`` → backend → ``FitOutcome``) unchanged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from pyspark import keyword_only
from pyspark.ml.base import Estimator, _FitMultipleIterator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable

from lasso_spark.ml.logistic_model import LogisticLassoModel
from lasso_spark.ml.logistic_params import DEFAULT_SEED, LogisticCVParams, LogisticParams
from lasso_spark.ml.logistic_tables import LogisticCVTable, LogisticPathTable, cv_table
from lasso_spark.ml.params import ParamValidationError
from lasso_spark.ml.tables import LassoSummary

logger = logging.getLogger(__name__)

__all__ = ["LogisticFitRequest", "LogisticLasso", "LogisticLassoCV", "LogisticOutcome",
           "fit_logistic"]

#: histogram bins per class of the held-out scores for ``cvMetric = "auc"``
AUC_BINS = 2048
#: relative duality gap of the warm-start regParams before a requested one
WARM_TOL = 1e-4


# ====================================================================================== backend
@dataclass(frozen=True)
class LogisticFitRequest:
    """Everything a logistic fit needs, as plain data (no Params, no Spark objects).

    ``split``: ``("none",)``, ``("hash", K, seed)``, ``("foldCol", column, K)`` or
    ``("validation", column)``. ``targets``: the regParams wanted without CV (each gets a
    model; one warm path serves them all); ``None`` for CV, whose grid is ``reg_params`` or
    the automatic one.
    """

    features_col: str | None
    input_cols: tuple[str, ...] | None
    label_col: str
    weight_col: str | None
    handle_invalid: str
    split: tuple
    elastic_net_param: float
    standardization: bool
    fit_intercept: bool
    max_iter: int
    tol: float
    threshold: float
    in_flight: int
    targets: tuple[float, ...] | None = None
    reg_params: tuple[float, ...] | None = None
    num_reg_params: int = 100
    reg_param_min_ratio: float | None = None
    cv_metric: str = "deviance"
    selection_rule: str = "min"
    num_features: int | None = None
    cache_input: bool = False

    def input_key(self) -> tuple:
        """What decides the data passes' projection (for sharing them in fitMultiple)."""
        return (self.features_col, self.input_cols, self.label_col, self.weight_col,
                self.handle_invalid, self.split)


@dataclass(frozen=True)
class LogisticOutcome:
    """A fit's result: the full model's path, the CV table (or None), the chosen row of the
    path for each target (CV: one, the selected regParam), names, standardization, summary."""

    path: LogisticPathTable
    cv: LogisticCVTable | None
    chosen: list[int]
    feature_names: list[str]
    feature_std: np.ndarray
    summary: LassoSummary


def _split_args(split: tuple) -> dict[str, Any]:
    kind = split[0]
    if kind == "none":
        return dict(num_folds=0, fold_col=None, seed=0, validation=False)
    if kind == "hash":
        return dict(num_folds=int(split[1]), fold_col=None, seed=int(split[2]), validation=False)
    if kind == "foldCol":
        return dict(num_folds=int(split[2]), fold_col=split[1], seed=0, validation=False)
    if kind == "validation":
        return dict(num_folds=2, fold_col=split[1], seed=0, validation=True)
    raise ValueError(f"unknown split {split!r}")


def _target_grid(targets: Sequence[float], lam_max: float) -> tuple[np.ndarray, np.ndarray]:
    """One decreasing grid holding every target and the warm starts above each: ``(grid,
    warm_only)``."""
    from lasso_spark.core.logistic import warm_grid

    values = {float(t) for t in targets}
    for t in targets:
        values.update(float(v) for v in warm_grid(lam_max, t))
    grid = np.array(sorted(values, reverse=True))
    wanted = np.array([any(np.isclose(g, t, rtol=1e-12, atol=0.0) or g == t for t in targets)
                       for g in grid])
    return grid, ~wanted


def fit_logistic(dataset: Any, req: LogisticFitRequest) -> LogisticOutcome:
    """The logistic backend: statistics pass, logistic passes, path and CV table."""
    from lasso_spark.core.logistic import logistic_path, reg_param_max
    from lasso_spark.spark.logistic import LogisticPasses, binomial_statistics

    if req.cache_input:
        from pyspark import StorageLevel

        used = [*(req.input_cols or [req.features_col]), req.label_col]
        used += [c for c in (req.weight_col, req.split[1] if req.split[0] in ("foldCol",
                                                                              "validation")
                             else None) if c]
        cached = dataset.select(*dict.fromkeys(used)).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            return fit_logistic(cached, replace(req, cache_input=False))
        finally:
            cached.unpersist()
    t0 = time.perf_counter()
    sp = _split_args(req.split)
    data = binomial_statistics(
        dataset, features_col=req.features_col,
        input_cols=None if req.input_cols is None else list(req.input_cols),
        label_col=req.label_col, weight_col=req.weight_col, num_folds=sp["num_folds"],
        fold_col=sp["fold_col"], seed=sp["seed"], handle_invalid=req.handle_invalid,
        num_features=req.num_features, validation=sp["validation"],
        job_description="lasso_spark: logistic statistics pass",
    )
    t_stats = time.perf_counter() - t0
    cv = req.targets is None
    trainings = data.trainings if cv else data.trainings[:1]
    enp = float(req.elastic_net_param)
    kw: dict[str, Any] = dict(l1_ratio=enp, standardize=req.standardization,
                              fit_intercept=req.fit_intercept)
    if cv:
        if sp["num_folds"] == 0:
            raise ParamValidationError("cross-validation needs folds or a validation column")
        grid_kw: dict[str, Any] = dict(reg_params=req.reg_params, n_reg_params=req.num_reg_params,
                                       reg_param_min_ratio=req.reg_param_min_ratio)
    else:
        lam_max = reg_param_max(trainings[0], **kw)
        grid, warm = _target_grid(req.targets, lam_max)
        grid_kw = dict(reg_params=grid, warm_only=warm, path_tol=max(req.tol, WARM_TOL))
    runner = LogisticPasses(dataset, data.resolved,
                            (data.stats.n_rows_read, data.stats.n_rows_skipped))
    fit = logistic_path(
        trainings, runner, center=data.center, scale=data.scale, num_folds=sp["num_folds"],
        tol=req.tol, max_iter=req.max_iter, in_flight=req.in_flight, threshold=req.threshold,
        auc_bins=AUC_BINS if cv and req.cv_metric == "auc" else 0, **kw, **grid_kw,
    )
    full = fit.paths[0]
    table = LogisticPathTable.from_path(full, enp)
    cvt = None
    if cv:
        folds = {"deviance": np.stack([p.heldout_deviance for p in fit.paths[1:]], axis=1),
                 "misclassification": np.stack([p.heldout_misclassification
                                                for p in fit.paths[1:]], axis=1)}
        bound = None
        if req.cv_metric == "auc":
            folds["auc"] = np.stack([p.heldout_auc for p in fit.paths[1:]], axis=1)
            bound = np.stack([p.heldout_auc_bound for p in fit.paths[1:]], axis=1)
        cvt = cv_table(full.reg_params, table.nonzeros, folds, req.cv_metric,
                       req.selection_rule, sp["validation"], bound)
        cvt = replace(cvt, elastic_net_param=enp)
        chosen = [cvt.index_chosen]
    else:
        chosen = [int(np.flatnonzero(np.isclose(full.reg_params, t, rtol=1e-12, atol=0.0)
                                     | (full.reg_params == t))[0]) for t in req.targets]
    summary = _summary(data, runner, fit, t_stats, time.perf_counter() - t0 - t_stats, cvt, sp)
    return LogisticOutcome(table, cvt, chosen, list(data.resolved.feature_names),
                           full.feature_scale, summary)


def _summary(data: Any, runner: Any, fit: Any, t_stats: float, t_solve: float,
             cvt: LogisticCVTable | None, sp: dict[str, Any]) -> LassoSummary:
    st = data.stats
    extra: dict[str, Any] = {
        "solverMode": "logistic",
        "logisticPasses": int(fit.n_passes),
        "statisticsPasses": int(data.n_passes),
        "modelsInFlightPerPass": [int(x) for x in fit.pass_points],
        "passSeconds": [float(x) for x in runner.seconds],
        "converged": bool(all(p.converged.all() for p in fit.paths)),
        "pathLength": int(fit.paths[0].n_reg_params),
        "pathEndedEarly": bool(fit.path_ended_early),
        "regParamMax": float(fit.paths[0].reg_param_max),
    }
    if cvt is not None:
        extra.update(cvMetric=cvt.metric, selectionRule=cvt.selection_rule,
                     regParamMin=float(cvt.reg_params[cvt.index_min]),
                     regParam1se=float(cvt.reg_params[cvt.index_1se]),
                     foldRows=[int(f.n_rows) for f in st.folds])
    return LassoSummary(
        numRows=int(st.n_rows_read), numRowsSkipped=int(st.n_rows_skipped),
        invalidCounts={str(k): int(v) for k, v in st.invalid_counts.items()},
        weightSum=float(st.total.weight_sum), numFeatures=int(st.n_features),
        numFolds=None if cvt is None or sp["validation"] else int(sp["num_folds"]),
        numDataPasses=int(data.n_passes + fit.n_passes), statsSeconds=t_stats,
        solveSeconds=t_solve, totalSeconds=t_stats + t_solve, extra=extra,
    )


# ==================================================================================== estimators
class _LogisticSetters:
    """pyspark.ml-style chainable setters of the params the logistic estimators share."""

    def setFeaturesCol(self, value: str) -> Any:
        return self._set(featuresCol=value)

    def setInputCols(self, value: list[str]) -> Any:
        return self._set(inputCols=value)

    def setLabelCol(self, value: str) -> Any:
        return self._set(labelCol=value)

    def setWeightCol(self, value: str) -> Any:
        return self._set(weightCol=value)

    def setPredictionCol(self, value: str) -> Any:
        return self._set(predictionCol=value)

    def setProbabilityCol(self, value: str) -> Any:
        return self._set(probabilityCol=value)

    def setRawPredictionCol(self, value: str) -> Any:
        return self._set(rawPredictionCol=value)

    def setThreshold(self, value: float) -> Any:
        return self._set(threshold=value)

    def setRegParam(self, value: float) -> Any:
        return self._set(regParam=value)

    def setElasticNetParam(self, value: float) -> Any:
        return self._set(elasticNetParam=value)

    def setStandardization(self, value: bool) -> Any:
        return self._set(standardization=value)

    def setFitIntercept(self, value: bool) -> Any:
        return self._set(fitIntercept=value)

    def setMaxIter(self, value: int) -> Any:
        return self._set(maxIter=value)

    def setTol(self, value: float) -> Any:
        return self._set(tol=value)

    def setHandleInvalid(self, value: str) -> Any:
        return self._set(handleInvalid=value)

    def setRegParamsInFlight(self, value: int) -> Any:
        return self._set(regParamsInFlight=value)

    def setCacheInput(self, value: bool) -> Any:
        return self._set(cacheInput=value)

    def _base_request(self, split: tuple, **kw: Any) -> LogisticFitRequest:
        """The request of this estimator's params (``kw``: the fit-specific fields)."""
        self._validateParams()
        uses_input = self._usesInputCols()
        weight = self.getWeightCol() if self.isDefined(self.weightCol) else None
        return LogisticFitRequest(
            features_col=None if uses_input else self.getFeaturesCol(),
            input_cols=tuple(self.getInputCols()) if uses_input else None,
            label_col=self.getLabelCol(), weight_col=weight or None,
            handle_invalid=self.getHandleInvalid(), split=split,
            elastic_net_param=float(self.getOrDefault(self.elasticNetParam)),
            standardization=bool(self.getStandardization()),
            fit_intercept=bool(self.getFitIntercept()), max_iter=int(self.getMaxIter()),
            tol=float(self.getTol()), threshold=self.getThreshold(),
            in_flight=int(self.getOrDefault(self.regParamsInFlight)),
            cache_input=bool(self.getOrDefault(self.cacheInput)), **kw,
        )


def _model_for(out: LogisticOutcome, row: int, *, warm_path: bool) -> LogisticLassoModel:
    """The model at path row ``row``; with ``warm_path`` its path is the warm path down to it."""
    table = out.path
    if warm_path:
        keep = np.flatnonzero(table.reg_params >= table.reg_params[row])
        table, row = table.rows(keep), int(np.flatnonzero(keep == row)[0])
    return LogisticLassoModel.fromPath(table, row, featureNames=out.feature_names, cv=out.cv,
                                       summary=out.summary, featureStd=out.feature_std)


class LogisticLasso(Estimator, LogisticParams, _LogisticSetters, DefaultParamsReadable,
                    DefaultParamsWritable):
    """Logistic regression with an elastic-net penalty at one regParam, with MLlib
    ``LogisticRegression``'s params and, for the same params, its coefficients (module
    docstring). The model carries the warm-start path from the all-zero regParam down to
    ``regParam``. ``fitMultiple`` (``CrossValidator``, ``TrainValidationSplit``) fits every param
    map that differs only in regParam along ONE path: the passes are shared."""

    @keyword_only
    def __init__(
        self, *, featuresCol: str | None = None, inputCols: list[str] | None = None,
        labelCol: str = "label", weightCol: str | None = None,
        predictionCol: str = "prediction", probabilityCol: str = "probability",
        rawPredictionCol: str = "rawPrediction", regParam: float = 0.0,
        elasticNetParam: float = 1.0, standardization: bool = True, fitIntercept: bool = True,
        maxIter: int = 100, tol: float = 1e-6, threshold: float = 0.5,
        handleInvalid: str = "error", regParamsInFlight: int = 12,
        cacheInput: bool = False,
    ) -> None:
        super().__init__()
        self._set(**{k: v for k, v in self._input_kwargs.items() if v is not None})

    @keyword_only
    def setParams(
        self, *, featuresCol: str | None = None, inputCols: list[str] | None = None,
        labelCol: str = "label", weightCol: str | None = None,
        predictionCol: str = "prediction", probabilityCol: str = "probability",
        rawPredictionCol: str = "rawPrediction", regParam: float = 0.0,
        elasticNetParam: float = 1.0, standardization: bool = True, fitIntercept: bool = True,
        maxIter: int = 100, tol: float = 1e-6, threshold: float = 0.5,
        handleInvalid: str = "error", regParamsInFlight: int = 12,
        cacheInput: bool = False,
    ) -> LogisticLasso:
        return self._set(**{k: v for k, v in self._input_kwargs.items() if v is not None})

    def _request(self, targets: Sequence[float]) -> LogisticFitRequest:
        return self._base_request(("none",), targets=tuple(float(t) for t in targets))

    def _fit(self, dataset: Any) -> LogisticLassoModel:
        out = fit_logistic(dataset, self._request([self.getRegParam()]))
        return self._copyValues(_model_for(out, out.chosen[0], warm_path=True))

    def fitMultiple(self, dataset: Any, paramMaps: Sequence[dict]) -> Iterator[tuple[int, Any]]:
        """One model per param map; maps equal but for regParam share one warm path (and so
        every data pass). Each model equals ``self.fit(dataset, paramMap)``'s to the solver
        tolerance."""
        estimator = self.copy()
        ests = [estimator.copy(pm) for pm in paramMaps]
        groups: dict[LogisticFitRequest, list[int]] = {}
        for i, est in enumerate(ests):
            groups.setdefault(est._request(()), []).append(i)
        lock = threading.Lock()
        done: dict[int, Any] = {}

        def fit_single(index: int) -> Any:
            key = ests[index]._request(())
            with lock:
                if index not in done:
                    members = groups[key]
                    targets = [ests[i].getRegParam() for i in members]
                    out = fit_logistic(dataset, replace(key, targets=tuple(targets)))
                    for i, row in zip(members, out.chosen):
                        done[i] = ests[i]._copyValues(_model_for(out, row, warm_path=True))
                return done.pop(index)

        return _FitMultipleIterator(fit_single, len(paramMaps))


class LogisticLassoCV(Estimator, LogisticCVParams, _LogisticSetters, DefaultParamsReadable,
                      DefaultParamsWritable):
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

    @keyword_only
    def __init__(
        self, *, featuresCol: str | None = None, inputCols: list[str] | None = None,
        labelCol: str = "label", weightCol: str | None = None,
        predictionCol: str = "prediction", probabilityCol: str = "probability",
        rawPredictionCol: str = "rawPrediction", elasticNetParam: float = 1.0,
        standardization: bool = True, fitIntercept: bool = True, maxIter: int = 100,
        tol: float = 1e-6, threshold: float = 0.5, handleInvalid: str = "error",
        regParamsInFlight: int = 12, cacheInput: bool = False,
        regParams: list[float] | None = None,
        numRegParams: int = 100, regParamMinRatio: float | None = None, numFolds: int = 5,
        foldCol: str | None = None, validationCol: str | None = None, seed: int | None = None,
        selectionRule: str = "min", cvMetric: str = "deviance",
    ) -> None:
        super().__init__()
        self._setDefault(seed=DEFAULT_SEED)
        self._set(**{k: v for k, v in self._input_kwargs.items() if v is not None})

    @keyword_only
    def setParams(
        self, *, featuresCol: str | None = None, inputCols: list[str] | None = None,
        labelCol: str = "label", weightCol: str | None = None,
        predictionCol: str = "prediction", probabilityCol: str = "probability",
        rawPredictionCol: str = "rawPrediction", elasticNetParam: float = 1.0,
        standardization: bool = True, fitIntercept: bool = True, maxIter: int = 100,
        tol: float = 1e-6, threshold: float = 0.5, handleInvalid: str = "error",
        regParamsInFlight: int = 12, cacheInput: bool = False,
        regParams: list[float] | None = None,
        numRegParams: int = 100, regParamMinRatio: float | None = None, numFolds: int = 5,
        foldCol: str | None = None, validationCol: str | None = None, seed: int | None = None,
        selectionRule: str = "min", cvMetric: str = "deviance",
    ) -> LogisticLassoCV:
        return self._set(**{k: v for k, v in self._input_kwargs.items() if v is not None})

    def setRegParams(self, value: list[float]) -> LogisticLassoCV:
        return self._set(regParams=value)

    def setNumRegParams(self, value: int) -> LogisticLassoCV:
        return self._set(numRegParams=value)

    def setRegParamMinRatio(self, value: float) -> LogisticLassoCV:
        return self._set(regParamMinRatio=value)

    def setNumFolds(self, value: int) -> LogisticLassoCV:
        return self._set(numFolds=value)

    def setFoldCol(self, value: str) -> LogisticLassoCV:
        return self._set(foldCol=value)

    def setValidationCol(self, value: str) -> LogisticLassoCV:
        return self._set(validationCol=value)

    def setSeed(self, value: int) -> LogisticLassoCV:
        return self._set(seed=value)

    def setSelectionRule(self, value: str) -> LogisticLassoCV:
        return self._set(selectionRule=value)

    def setCvMetric(self, value: str) -> LogisticLassoCV:
        return self._set(cvMetric=value)

    def getCvMetric(self) -> str:
        return str(self.getOrDefault(self.cvMetric))

    def _split(self) -> tuple:
        if self.isDefined(self.validationCol) and self.getOrDefault(self.validationCol):
            return ("validation", self.getOrDefault(self.validationCol))
        K = int(self.getOrDefault(self.numFolds))
        if self.isDefined(self.foldCol) and self.getOrDefault(self.foldCol):
            return ("foldCol", self.getOrDefault(self.foldCol), K)
        return ("hash", K, int(self.getOrDefault(self.seed)))

    def _request(self) -> LogisticFitRequest:
        regs = self.getOrDefault(self.regParams) if self.isDefined(self.regParams) else None
        ratio = (self.getOrDefault(self.regParamMinRatio)
                 if self.isDefined(self.regParamMinRatio) else None)
        return self._base_request(
            self._split(), reg_params=None if regs is None else tuple(float(r) for r in regs),
            num_reg_params=int(self.getOrDefault(self.numRegParams)), reg_param_min_ratio=ratio,
            cv_metric=self.getCvMetric(),
            selection_rule=str(self.getOrDefault(self.selectionRule)),
        )

    def _fit(self, dataset: Any) -> LogisticLassoModel:
        out = fit_logistic(dataset, self._request())
        return self._copyValues(_model_for(out, out.chosen[0], warm_path=False))
