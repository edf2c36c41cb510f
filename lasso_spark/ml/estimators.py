"""``Lasso`` and ``LassoCV``: pyspark.ml Estimators fitted from one pass over the data.

Both solve, on statistics reduced from the DataFrame in a single Spark pass
(:func:`lasso_spark.spark.compute_stats`)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

with ``(α, ρ)`` mapped from MLlib's ``(regParam, elasticNetParam)`` by
:func:`lasso_spark.ml.mapping.mllib_to_core`, so that for the same params the coefficients are
Spark MLlib ``LinearRegression(solver="normal")``'s. ``v_j`` are ``penaltyFactors`` (by feature
name) times, with ``adaptive``, the adaptive-lasso weights from the same statistics.

``Lasso`` solves a short warm-started path from ``alpha_max`` down to the target (robust and
cheap). ``LassoCV`` reduces every fold in the same pass; fold k's path is fitted on the merge of
the other folds' statistics and its held-out MSE for every regParam comes from fold k's own
statistics (no second pass). The regParam grid is converted to α once, with the full data's label
standard deviation, and every fold is solved at those α (the semantics of glmnet's ``cv.glmnet``
and scikit-learn's ``LassoCV``; for ``elasticNetParam = 1`` α = regParam exactly). The chosen
model is the full-data path at the selected regParam.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark import keyword_only
from pyspark.ml.base import Estimator, _FitMultipleIterator
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable

from lasso_spark.core import SuffStats, merge_all
from lasso_spark.core.errors import DataError
from lasso_spark.ml._parallel import (
    FoldFit,
    SolverOptions,
    choose_parallelism,
    run_fold_fits,
    session_max_tasks,
)
from lasso_spark.ml._progress import timed
from lasso_spark.ml._wide import fit_wide, wide_features
from lasso_spark.ml.mapping import CorePenalty, mllib_to_core
from lasso_spark.ml.model import LassoModel
from lasso_spark.ml.params import (
    ParamValidationError,
    _LassoCVParams,
    _LassoParams,
    resolve_penalty_factors,
)
from lasso_spark.ml.tables import CVTable, LassoSummary, PathTable

logger = logging.getLogger(__name__)

__all__ = ["Lasso", "LassoCV"]

#: grid points per decade of the warm-start path ``Lasso`` solves down to its regParam
WARM_PATH_PER_DECADE = 10
#: default ``seed`` of LassoCV's fold assignment: CRC-32 of "LassoCV", the same in every process
DEFAULT_SEED = zlib.crc32(b"LassoCV")
#: bound on the warm-start path length
WARM_PATH_MAX = 60


# ====================================================================================== helpers
@dataclass
class _Fitted:
    """Everything a model is built from (plain arrays; no Spark objects)."""

    coefficients: np.ndarray
    intercept: float
    reg_param: float
    elastic_net_param: float
    alpha: float
    l1_ratio: float
    feature_names: list[str]
    path_reg_params: np.ndarray
    path_alphas: np.ndarray
    path_coef: np.ndarray
    path_intercept: np.ndarray
    path_n_nonzero: np.ndarray
    path_dual_gap: np.ndarray
    path_converged: np.ndarray
    path_n_iter: np.ndarray
    penalty_factor: np.ndarray | None

    def path_table(self) -> PathTable:
        m = self.path_alphas.shape[0]
        return PathTable(
            elastic_net_params=np.full(m, self.elastic_net_param),
            reg_params=self.path_reg_params,
            alphas=self.path_alphas,
            l1_ratios=np.full(m, self.l1_ratio),
            coef=self.path_coef,
            intercepts=self.path_intercept,
            nonzeros=self.path_n_nonzero,
            duality_gaps=self.path_dual_gap,
            iterations=self.path_n_iter,
            converged=self.path_converged,
        )


def _core_penalty(est: _LassoParams, stats: SuffStats, reg_param: float, enp: float) -> CorePenalty:
    pen = mllib_to_core(
        reg_param,
        enp,
        label_std=stats.std_y,
        label_mean=stats.mean_y + stats.mean_y_lo,
        fit_intercept=est.getFitIntercept(),
        standardization=est.getStandardization(),
    )
    if pen.l1_ratio <= 0.0 and pen.alpha > 0.0 and not pen.constant_model:
        raise ParamValidationError(
            "elasticNetParam=0 (pure ridge) is not supported by the coordinate-descent solver "
            "(its regularization path has no alpha_max); use a small positive value such as 1e-3"
        )
    return pen


def _penalty_factor(
    est: _LassoParams, stats: SuffStats, feature_names: Sequence[str]
) -> np.ndarray | None:
    """User ``penaltyFactors`` (by name) times the adaptive-lasso weights of ``stats``."""
    v = resolve_penalty_factors(feature_names, est.getPenaltyFactors())
    if est.getAdaptive():
        from lasso_spark.core import adaptive_penalty_factors

        a = adaptive_penalty_factors(
            stats,
            est.getAdaptiveGamma(),
            fit_intercept=est.getFitIntercept(),
            standardize=est.getStandardization(),
        )
        v = a if v is None else v * a
    return v


def _solver_options(est: _LassoParams) -> SolverOptions:
    return SolverOptions(
        fit_intercept=est.getFitIntercept(),
        standardize=est.getStandardization(),
        tol=est.getTol(),
        max_iter=est.getMaxIter(),
    )


def _warm_grid(alpha_max: float, alpha: float) -> np.ndarray:
    """Decreasing grid from ``alpha_max`` to ``alpha`` (inclusive), ~10 points per decade."""
    if not (np.isfinite(alpha_max) and alpha_max > alpha):
        return np.array([alpha])
    decades = math.log10(alpha_max / alpha)
    n = int(min(WARM_PATH_MAX, max(2, math.ceil(decades * WARM_PATH_PER_DECADE) + 1)))
    grid = np.geomspace(alpha_max, alpha, n)
    grid[-1] = alpha  # exactly the target
    return grid


def _constant_fit(
    feature_names: list[str], pen: CorePenalty, reg_param: float, enp: float
) -> _Fitted:
    p = len(feature_names)
    return _Fitted(
        coefficients=np.zeros(p),
        intercept=float(pen.constant_intercept),
        reg_param=float(reg_param),
        elastic_net_param=float(enp),
        alpha=0.0,
        l1_ratio=float(pen.l1_ratio),
        feature_names=feature_names,
        path_reg_params=np.array([reg_param], dtype=np.float64),
        path_alphas=np.zeros(1),
        path_coef=np.zeros((1, p)),
        path_intercept=np.array([pen.constant_intercept], dtype=np.float64),
        path_n_nonzero=np.zeros(1, dtype=np.int64),
        path_dual_gap=np.zeros(1),
        path_converged=np.ones(1, dtype=bool),
        path_n_iter=np.zeros(1, dtype=np.int64),
        penalty_factor=None,
    )


def _least_squares(
    stats: SuffStats, feature_names: list[str], est: _LassoParams, pen: CorePenalty, enp: float
) -> _Fitted:
    """``regParam = 0``: (minimum-norm) least squares on the standardized Gram."""
    from lasso_spark.core.path import design

    d = design(stats, fit_intercept=est.getFitIntercept(), standardize=est.getStandardization())
    p = len(feature_names)
    coef = np.zeros(p)
    if d.index.size:
        beta, *_ = np.linalg.lstsq(d.G, d.c, rcond=None)
        coef[d.index] = beta / d.scale[d.index]
    if est.getFitIntercept():
        mean_x = stats.mean_x + stats.mean_x_lo
        intercept = float((stats.mean_y + stats.mean_y_lo) - coef @ mean_x)
    else:
        intercept = 0.0
    return _Fitted(
        coefficients=coef,
        intercept=intercept,
        reg_param=0.0,
        elastic_net_param=float(enp),
        alpha=0.0,
        l1_ratio=float(pen.l1_ratio),
        feature_names=feature_names,
        path_reg_params=np.zeros(1),
        path_alphas=np.zeros(1),
        path_coef=coef[None, :].copy(),
        path_intercept=np.array([intercept]),
        path_n_nonzero=np.array([np.count_nonzero(coef)], dtype=np.int64),
        path_dual_gap=np.zeros(1),
        path_converged=np.ones(1, dtype=bool),
        path_n_iter=np.zeros(1, dtype=np.int64),
        penalty_factor=None,
    )


def _solve_single(
    est: _LassoParams, stats: SuffStats, feature_names: list[str], reg_param: float, enp: float
) -> _Fitted:
    """Coefficients at one (regParam, elasticNetParam) via a warm-started path on ``stats``."""
    from lasso_spark.core import alpha_max, enet_path

    pen = _core_penalty(est, stats, reg_param, enp)
    if pen.constant_model:
        return _constant_fit(feature_names, pen, reg_param, enp)
    if pen.alpha == 0.0:
        return _least_squares(stats, feature_names, est, pen, enp)
    v = _penalty_factor(est, stats, feature_names)
    opts = _solver_options(est)
    a_max = alpha_max(
        stats, pen.l1_ratio, v, fit_intercept=opts.fit_intercept, standardize=opts.standardize
    )
    grid = _warm_grid(a_max, pen.alpha)
    path = enet_path(
        stats, alphas=grid, l1_ratio=pen.l1_ratio, penalty_factor=v, **opts.as_kwargs()
    )
    return _fitted_from_path(path, pen, reg_param, enp, feature_names)


def _fitted_from_path(
    path: Any, pen: CorePenalty, reg_param: float, enp: float, feature_names: list[str]
) -> _Fitted:
    """The fit at the last alpha of a warm-start ``PathResult`` (Gram or wide mode)."""
    reg_params = path.alphas / pen.alpha_per_reg_param
    reg_params[-1] = reg_param  # the requested value exactly, not alpha / (alpha / regParam)
    return _Fitted(
        coefficients=path.coef[-1].copy(),
        intercept=float(path.intercept[-1]),
        reg_param=float(reg_param),
        elastic_net_param=float(enp),
        alpha=float(pen.alpha),
        l1_ratio=float(pen.l1_ratio),
        feature_names=feature_names,
        path_reg_params=reg_params,
        path_alphas=path.alphas,
        path_coef=path.coef,
        path_intercept=np.asarray(path.intercept, dtype=np.float64),
        path_n_nonzero=np.asarray(path.n_nonzero, dtype=np.int64),
        path_dual_gap=np.asarray(path.dual_gap, dtype=np.float64),
        path_converged=np.asarray(path.converged, dtype=bool),
        path_n_iter=np.asarray(path.n_iter, dtype=np.int64),
        penalty_factor=path.penalty_factor,
    )


def _stats_kwargs(est: _LassoParams) -> dict[str, Any]:
    uses_input = est._usesInputCols()
    weight = est.getWeightCol() if est.isDefined(est.weightCol) else None
    return {
        "features_col": None if uses_input else est.getFeaturesCol(),
        "input_cols": list(est.getInputCols()) if uses_input else None,
        "label_col": est.getLabelCol(),
        "weight_col": weight or None,
        "handle_invalid": est.getHandleInvalid(),
    }


def _summary(
    stats_result: Any, timings: dict[str, float], num_folds: int | None = None, **extra: Any
) -> LassoSummary:
    stats_s = float(timings.get("stats", stats_result.elapsed_seconds))
    solve_s = float(timings.get("solve", 0.0))
    return LassoSummary(
        numRows=int(stats_result.n_rows_read),
        numRowsSkipped=int(stats_result.n_rows_skipped),
        invalidCounts={str(k): int(v) for k, v in dict(stats_result.invalid_counts).items()},
        weightSum=float(stats_result.total.weight_sum),
        numFeatures=int(stats_result.total.n_features),
        numFolds=num_folds,
        numDataPasses=1,
        statsSeconds=stats_s,
        solveSeconds=solve_s,
        totalSeconds=stats_s + solve_s,
        extra={"solverMode": "gram", **extra},
    )


def _compute_stats(dataset: Any, est: _LassoParams, description: str, **kw: Any) -> Any:
    from lasso_spark.spark import compute_stats

    return compute_stats(dataset, job_description=description, **_stats_kwargs(est), **kw)


# ======================================================================================= Lasso
class _EstimatorSetters:
    """Setters for the params every estimator shares (pyspark.ml style, chainable)."""

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

    def setPenaltyFactors(self, value: dict[str, float]) -> Any:
        return self._set(penaltyFactors=value)

    def setAdaptive(self, value: bool) -> Any:
        return self._set(adaptive=value)

    def setAdaptiveGamma(self, value: float) -> Any:
        return self._set(adaptiveGamma=value)

    def setSolverMode(self, value: str) -> Any:
        return self._set(solverMode=value)


class Lasso(
    Estimator, _LassoParams, _EstimatorSetters, DefaultParamsReadable, DefaultParamsWritable
):
    """Lasso / elastic-net linear regression with MLlib ``LinearRegression``'s params.

    Solves (weights ``w``, ``W = Σw``, ``x̃`` standardized when ``standardization``)::

        min_{b0, β}  1/(2W) Σ w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

    with ``α = regParam·(enp + (1−enp)/σy)``, ``ρ = regParam·enp/α`` (``enp`` =
    elasticNetParam, ``σy`` the label's weighted population std): the minimizer of MLlib
    ``LinearRegression(solver="normal")`` for the same params. One pass over the data; the
    model carries the warm-start path from ``alpha_max`` down to ``regParam``.

    ``fitMultiple`` (used by pyspark's ``CrossValidator`` / ``TrainValidationSplit``) reads each
    training set once for all param maps that share its feature/label/weight columns.
    """

    @keyword_only
    def __init__(
        self,
        *,
        featuresCol: str | None = None,
        inputCols: list[str] | None = None,
        labelCol: str = "label",
        weightCol: str | None = None,
        predictionCol: str = "prediction",
        regParam: float = 0.0,
        elasticNetParam: float = 1.0,
        standardization: bool = True,
        fitIntercept: bool = True,
        maxIter: int = 100_000,
        tol: float = 1e-7,
        penaltyFactors: dict[str, float] | None = None,
        adaptive: bool = False,
        adaptiveGamma: float = 1.0,
        handleInvalid: str = "error",
        solverMode: str = "auto",
    ) -> None:
        super().__init__()
        self._set(**_drop_none(self._input_kwargs))

    @keyword_only
    def setParams(
        self,
        *,
        featuresCol: str | None = None,
        inputCols: list[str] | None = None,
        labelCol: str = "label",
        weightCol: str | None = None,
        predictionCol: str = "prediction",
        regParam: float = 0.0,
        elasticNetParam: float = 1.0,
        standardization: bool = True,
        fitIntercept: bool = True,
        maxIter: int = 100_000,
        tol: float = 1e-7,
        penaltyFactors: dict[str, float] | None = None,
        adaptive: bool = False,
        adaptiveGamma: float = 1.0,
        handleInvalid: str = "error",
        solverMode: str = "auto",
    ) -> Lasso:
        return self._set(**_drop_none(self._input_kwargs))

    # ------------------------------------------------------------------------------ fitting
    def _fit(self, dataset: Any) -> Any:
        self._validateParams()
        if (wide := wide_features(self, dataset)) is not None:  # many features: wide mode
            return self._copyValues(fit_wide(self, dataset, wide))
        timings: dict[str, float] = {}
        with timed("lasso_spark Lasso: statistics pass", timings, "stats", logger):
            stats_result = _compute_stats(dataset, self, "lasso_spark: statistics", num_folds=0)
        return self._fit_from_stats(stats_result, timings)

    def _fit_from_stats(self, stats_result: Any, timings: dict[str, float]) -> Any:
        """The model of this estimator's params from already reduced statistics."""
        timings = dict(timings)
        stats = stats_result.total
        names = list(stats_result.feature_names)
        reg, enp = self.getRegParam(), self.getElasticNetParam()
        what = f"lasso_spark Lasso: solve at regParam={reg:g}, elasticNetParam={enp:g}"
        with timed(what, timings, "solve", logger):
            fitted = _solve_single(self, stats, names, reg, enp)
        summary = _summary(
            stats_result,
            timings,
            pathLength=int(fitted.path_alphas.shape[0]),
            converged=bool(np.all(fitted.path_converged)),
        )
        path = fitted.path_table()
        model = LassoModel.fromPath(
            path,
            path.n_rows - 1,
            featureNames=names,
            summary=summary,
            featureStd=stats.std_x,
        )
        return self._copyValues(model)

    def fitMultiple(self, dataset: Any, paramMaps: Sequence[dict]) -> Iterator[tuple[int, Any]]:
        """Fit one model per param map, reading ``dataset`` once per distinct input columns.

        Param maps that vary only solver params (regParam, elasticNetParam, standardization,
        fitIntercept, maxIter, tol, penaltyFactors, adaptive…) share one statistics pass; each
        model equals ``self.fit(dataset, paramMap)``'s.
        """
        estimator = self.copy()
        lock = threading.Lock()
        cache: dict[tuple, tuple[Any, dict[str, float]]] = {}

        def fit_single(index: int) -> Any:
            est = estimator.copy(paramMaps[index])
            est._validateParams()
            kw = _stats_kwargs(est)
            key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kw.items()))
            with lock:
                if key not in cache:
                    timings: dict[str, float] = {}
                    with timed("lasso_spark Lasso.fitMultiple: statistics pass", timings,
                               "stats", logger):
                        sr = _compute_stats(
                            dataset,
                            est,
                            f"lasso_spark: statistics for {len(paramMaps)} param maps",
                            num_folds=0,
                        )
                    cache[key] = (sr, timings)
                sr, timings = cache[key]
            return est._fit_from_stats(sr, timings)

        return _FitMultipleIterator(fit_single, len(paramMaps))


# ===================================================================================== LassoCV
class LassoCV(
    Estimator, _LassoCVParams, _EstimatorSetters, DefaultParamsReadable, DefaultParamsWritable
):
    """K-fold cross-validated Lasso / elastic net over a regParam grid, from one data pass.

    The objective and the params are :class:`Lasso`'s; in addition ``regParams`` (explicit grid)
    or ``numRegParams`` / ``regParamMinRatio`` (automatic, from the full data's regParam at
    which every coefficient is 0), ``elasticNetParams`` (optional grid), ``numFolds`` or
    ``foldCol``, ``seed``, ``selectionRule`` ("min" or "1se") and ``parallelism`` (fold paths
    as Spark tasks: "auto", an int, or 1 = driver).

    Held-out MSE of fold k at every regParam comes from fold k's statistics: exact, no second
    pass. ``model.cvResults`` has one row per (elasticNetParam, regParam): mean and standard
    error of the held-out MSE over folds and the per-fold values.

    ``validationCol`` (a boolean column) replaces the folds by one split: the path is fitted on
    the rows where it is false and the regParam chosen on the exact validation MSE of the rows
    where it is true, both from the same single pass; ``cvResults`` then has one
    ``mseValidation`` column. As with folds, the final model is the path on all rows.
    """

    @keyword_only
    def __init__(
        self,
        *,
        featuresCol: str | None = None,
        inputCols: list[str] | None = None,
        labelCol: str = "label",
        weightCol: str | None = None,
        predictionCol: str = "prediction",
        elasticNetParam: float = 1.0,
        standardization: bool = True,
        fitIntercept: bool = True,
        maxIter: int = 100_000,
        tol: float = 1e-7,
        penaltyFactors: dict[str, float] | None = None,
        adaptive: bool = False,
        adaptiveGamma: float = 1.0,
        handleInvalid: str = "error",
        solverMode: str = "auto",
        regParams: list[float] | None = None,
        numRegParams: int = 100,
        regParamMinRatio: float | None = None,
        elasticNetParams: list[float] | None = None,
        numFolds: int = 5,
        foldCol: str | None = None,
        validationCol: str | None = None,
        seed: int | None = None,
        selectionRule: str = "min",
        parallelism: str | int = "auto",
    ) -> None:
        super().__init__()
        # pyspark's HasSeed default hashes the class name with Python's per-process salted
        # str hash; a stable default keeps the folds (and the chosen regParam) reproducible
        self._setDefault(seed=DEFAULT_SEED)
        self._set(**_drop_none(self._input_kwargs))

    @keyword_only
    def setParams(
        self,
        *,
        featuresCol: str | None = None,
        inputCols: list[str] | None = None,
        labelCol: str = "label",
        weightCol: str | None = None,
        predictionCol: str = "prediction",
        elasticNetParam: float = 1.0,
        standardization: bool = True,
        fitIntercept: bool = True,
        maxIter: int = 100_000,
        tol: float = 1e-7,
        penaltyFactors: dict[str, float] | None = None,
        adaptive: bool = False,
        adaptiveGamma: float = 1.0,
        handleInvalid: str = "error",
        solverMode: str = "auto",
        regParams: list[float] | None = None,
        numRegParams: int = 100,
        regParamMinRatio: float | None = None,
        elasticNetParams: list[float] | None = None,
        numFolds: int = 5,
        foldCol: str | None = None,
        validationCol: str | None = None,
        seed: int | None = None,
        selectionRule: str = "min",
        parallelism: str | int = "auto",
    ) -> LassoCV:
        return self._set(**_drop_none(self._input_kwargs))

    def setRegParams(self, value: list[float]) -> LassoCV:
        return self._set(regParams=value)

    def setNumRegParams(self, value: int) -> LassoCV:
        return self._set(numRegParams=value)

    def setRegParamMinRatio(self, value: float) -> LassoCV:
        return self._set(regParamMinRatio=value)

    def setElasticNetParams(self, value: list[float]) -> LassoCV:
        return self._set(elasticNetParams=value)

    def setNumFolds(self, value: int) -> LassoCV:
        return self._set(numFolds=value)

    def setFoldCol(self, value: str) -> LassoCV:
        return self._set(foldCol=value)

    def setValidationCol(self, value: str) -> LassoCV:
        return self._set(validationCol=value)

    def setSeed(self, value: int) -> LassoCV:
        return self._set(seed=value)

    def setSelectionRule(self, value: str) -> LassoCV:
        return self._set(selectionRule=value)

    def setParallelism(self, value: str | int) -> LassoCV:
        return self._set(parallelism=value)

    # ------------------------------------------------------------------------------ fitting
    def _fit(self, dataset: Any) -> Any:
        self._validateParams()
        if (wide := wide_features(self, dataset)) is not None:  # many features: wide mode
            return self._copyValues(fit_wide(self, dataset, wide))
        timings: dict[str, float] = {}
        fold_col = self.getFoldCol()
        k_text = f"folds from {fold_col!r}" if fold_col else f"{self.getNumFolds()} folds"
        num_folds = self.getNumFolds()
        if self.getValidationCol() is not None:  # boolean column = 2 folds: train, validation
            fold_col, num_folds = self.getValidationCol(), 2
            k_text = f"training / validation rows from {fold_col!r}"
        with timed(f"lasso_spark LassoCV: statistics pass, {k_text}", timings, "stats", logger):
            stats_result = _compute_stats(
                dataset,
                self,
                f"lasso_spark: statistics, {k_text}",
                num_folds=num_folds,
                fold_col=fold_col,
                seed=self.getOrDefault(self.seed),
            )
        return self._fit_from_stats(stats_result, timings, spark=dataset.sparkSession)

    def _grid(self, stats: SuffStats, pen: CorePenalty, v: np.ndarray | None) -> np.ndarray:
        """Decreasing regParam grid of one elasticNetParam (explicit or glmnet's automatic)."""
        from lasso_spark.core import alpha_grid

        explicit = self.getRegParams()
        if explicit is not None:
            regs = np.sort(np.asarray(explicit, dtype=np.float64))[::-1]
            if np.any(regs <= 0.0):
                raise ParamValidationError(
                    f"regParams: LassoCV needs values > 0; {int(np.sum(regs <= 0))} are 0"
                )
            return regs
        alphas = alpha_grid(
            stats,
            self.getNumRegParams(),
            self.getRegParamMinRatio(),
            l1_ratio=pen.l1_ratio,
            penalty_factor=v,
            fit_intercept=self.getFitIntercept(),
            standardize=self.getStandardization(),
        )
        return np.asarray(alphas, dtype=np.float64) / pen.alpha_per_reg_param

    def _fit_from_stats(
        self, stats_result: Any, timings: dict[str, float], *, spark: Any = None
    ) -> Any:
        from lasso_spark.core import enet_path

        timings = dict(timings)
        folds: list[SuffStats] = list(stats_result.folds)
        total: SuffStats = stats_result.total
        names = list(stats_result.feature_names)
        valid_col = self.getValidationCol()
        if valid_col is not None:
            trains, heldouts = _validation_split(folds, valid_col)
        else:
            trains, heldouts = _kfold_splits(folds)
        K = len(heldouts)
        enps = self.getElasticNetParams()
        opts = _solver_options(self)
        t_solve = time.perf_counter()

        pens = [_core_penalty(self, total, 1.0, enp) for enp in enps]
        if any(p.constant_model for p in pens):
            raise DataError(
                f"the label {self.getLabelCol()!r} is constant over the "
                f"{int(total.n_rows)} valid rows: there is nothing to cross-validate"
            )
        v_total = _penalty_factor(self, total, names)
        v_train = [_penalty_factor(self, t, names) for t in trains] if self.getAdaptive() else (
            [v_total] * K
        )
        grids = [self._grid(total, pen, v_total) for pen in pens]
        m = len(grids[0])
        if any(len(g) != m for g in grids):  # cannot happen: one numRegParams or one list
            raise AssertionError("regParam grids of different lengths")
        fits = [
            FoldFit(
                fit_id=e * K + k,
                fold=k,
                enp_index=e,
                train=trains[k],
                heldout=heldouts[k],
                alphas=grids[e] * pens[e].alpha_per_reg_param,
                l1_ratio=pens[e].l1_ratio,
                penalty_factor=v_train[k],
            )
            for e in range(len(enps))
            for k in range(K)
        ]
        tasks = choose_parallelism(
            self.getParallelism(),
            n_features=total.n_features,
            n_fits=len(fits),
            max_tasks=session_max_tasks(spark) if spark is not None else None,
        )
        where = "driver" if tasks <= 1 else f"{tasks} Spark tasks"
        with timed(
            f"lasso_spark LassoCV: fold paths, {len(fits)} fits x {m} regParams on {where}",
            timings,
            "fold_paths",
            logger,
        ):
            results = run_fold_fits(
                fits,
                opts,
                spark=spark,
                parallelism=tasks,
                job_description=f"lasso_spark: fold paths, {len(fits)} fits",
            )
        mse = np.stack([r.mse for r in results]).reshape(len(enps), K, m)

        # full-data path of every elasticNetParam on its grid: the model's path table
        paths: list[PathTable] = []
        with timed(f"lasso_spark LassoCV: full-data path x {len(enps)}", timings, "final_path",
                   logger):
            for e, pen in enumerate(pens):
                res = enet_path(
                    total,
                    alphas=grids[e] * pen.alpha_per_reg_param,
                    l1_ratio=pen.l1_ratio,
                    penalty_factor=v_total,
                    **opts.as_kwargs(),
                )
                paths.append(
                    PathTable.from_result(res, reg_params=grids[e], elastic_net_param=enps[e])
                )
        path_table = PathTable.concat(paths)
        cv = _cv_table(enps, grids, mse, paths, self.getSelectionRule(),
                       validation=valid_col is not None)
        timings["solve"] = time.perf_counter() - t_solve
        i = cv.index_chosen
        logger.info(
            "lasso_spark LassoCV: chose regParam=%.6g, elasticNetParam=%g (rule %s; min at "
            "%.6g, 1se at %.6g), mean CV MSE %.6g ± %.3g",
            cv.reg_params[i], cv.elastic_net_params[i], cv.selection_rule,
            cv.reg_params[cv.index_min], cv.reg_params[cv.index_1se], cv.mse_mean[i],
            cv.mse_se[i],
        )
        split = (
            {"validationCol": valid_col, "trainRows": int(folds[0].n_rows),
             "validationRows": int(folds[1].n_rows), "trainWeight": float(folds[0].weight_sum),
             "validationWeight": float(folds[1].weight_sum)}
            if valid_col is not None
            else {"foldRows": [int(f.n_rows) for f in folds],
                  "foldWeights": [float(f.weight_sum) for f in folds]}
        )
        summary = _summary(
            stats_result,
            timings,
            num_folds=None if valid_col is not None else K,
            **split,
            numFits=len(fits),
            foldPathTasks=tasks,
            foldPathSeconds=float(timings.get("fold_paths", 0.0)),
            foldPathsConverged=bool(all(r.converged for r in results)),
            selectionRule=self.getSelectionRule(),
            regParamMin=float(cv.reg_params[cv.index_min]),
            regParam1se=float(cv.reg_params[cv.index_1se]),
        )
        model = LassoModel.fromPath(
            path_table, i, featureNames=names, cv=cv, summary=summary, featureStd=total.std_x
        )
        return self._copyValues(model)

    def _split_spec(self) -> tuple[Any, ...]:
        """What decides this estimator's statistics pass besides the input columns."""
        if self.getValidationCol() is not None:
            return ("validation", self.getValidationCol())
        if self.getFoldCol() is not None:
            return ("foldCol", self.getFoldCol(), self.getNumFolds())
        return ("hash", self.getNumFolds(), self.getOrDefault(self.seed))

    def fitMultiple(self, dataset: Any, paramMaps: Sequence[dict]) -> Iterator[tuple[int, Any]]:
        """One model per param map, reading ``dataset`` once per distinct (input columns,
        folds / validationCol, seed).

        Param maps that vary only the solver, the grid or the rule (elasticNetParam(s),
        regParams, numRegParams, standardization, selectionRule, penaltyFactors…) share one
        statistics pass; each model equals ``self.fit(dataset, paramMap)``'s.
        """
        estimator = self.copy()
        lock = threading.Lock()
        cache: dict[tuple, tuple[Any, dict[str, float]]] = {}
        spark = dataset.sparkSession

        def fit_single(index: int) -> Any:
            est = estimator.copy(paramMaps[index])
            est._validateParams()
            kw = _stats_kwargs(est)
            key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                               for k, v in kw.items())) + est._split_spec()
            with lock:
                if key not in cache:
                    timings: dict[str, float] = {}
                    spec = est._split_spec()
                    num_folds, fold_col = est.getNumFolds(), est.getFoldCol()
                    if spec[0] == "validation":
                        num_folds, fold_col = 2, spec[1]
                    with timed("lasso_spark LassoCV.fitMultiple: statistics pass", timings,
                               "stats", logger):
                        sr = _compute_stats(
                            dataset,
                            est,
                            f"lasso_spark: statistics for {len(paramMaps)} param maps",
                            num_folds=num_folds,
                            fold_col=fold_col,
                            seed=est.getOrDefault(est.seed),
                        )
                    cache[key] = (sr, timings)
                sr, timings = cache[key]
            return est._fit_from_stats(sr, timings, spark=spark)

        return _FitMultipleIterator(fit_single, len(paramMaps))


def _kfold_splits(folds: list[SuffStats]) -> tuple[list[SuffStats], list[SuffStats]]:
    """``(train, held-out)`` statistics of each CV split: fold k vs the merge of the others."""
    K = len(folds)
    if K < 2:
        raise ValueError(f"cross-validation needs at least 2 non-empty folds, got {K}")
    empty = [k for k, f in enumerate(folds) if not f.weight_sum > 0.0]
    if empty:
        rows = sum(f.n_rows for f in folds)
        raise DataError(
            f"folds {empty} of {K} have no rows (or zero total weight) among the {rows} valid "
            "rows; use fewer folds or check the fold column"
        )
    trains = [merge_all([f for j, f in enumerate(folds) if j != k]) for k in range(K)]
    return trains, folds


def _validation_split(
    folds: list[SuffStats], valid_col: str
) -> tuple[list[SuffStats], list[SuffStats]]:
    """The one split of ``validationCol``: rows where it is false (fold 0) train, true score."""
    empty = [what for what, f in (("training (false)", folds[0]), ("validation (true)", folds[1]))
             if not f.weight_sum > 0.0]
    if empty:
        raise DataError(
            f"validationCol {valid_col!r} leaves no {' and no '.join(empty)} rows (or zero "
            "total weight)"
        )
    return [folds[0]], [folds[1]]


def _cv_table(
    enps: list[float],
    grids: list[np.ndarray],
    mse: np.ndarray,
    paths: list[PathTable],
    rule: str,
    validation: bool = False,
) -> CVTable:
    """CV table over every (elasticNetParam, regParam); min / 1se chosen over all rows.

    Mean over folds is unweighted (scikit-learn's ``mse_path_.mean``), the standard error
    ``std(ddof=1)/sqrt(K)`` (glmnet's cvsd with equal fold weights): core ``select_alphas``.
    With one validation split the mean is the validation MSE and the standard error NaN.
    """
    from lasso_spark.core import select_alphas

    tables = []
    for e, enp in enumerate(enps):
        mean, se, i_min, i_1se = select_alphas(mse[e])
        if validation:
            se, i_1se = np.full_like(mean, np.nan), i_min
        tables.append(
            CVTable(
                elastic_net_params=np.full(len(grids[e]), float(enp)),
                reg_params=grids[e],
                nonzeros=paths[e].nonzeros,
                mse_mean=mean,
                mse_se=se,
                mse_folds=mse[e].T,
                index_min=i_min,
                index_1se=i_1se,
                selection_rule=rule,
                validation=validation,
            )
        )
    return tables[0] if len(tables) == 1 else CVTable.concat(tables, rule)


def _drop_none(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if v is not None}
