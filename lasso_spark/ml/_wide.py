"""``Lasso`` / ``LassoCV`` in wide mode (``solverMode``): the estimators' hook into
:func:`lasso_spark.wide.wide_enet_path`.

Same objective, params, grid and model as the Gram mode (:mod:`lasso_spark.ml.estimators`)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

with ``(α, ρ)`` from MLlib's ``(regParam, elasticNetParam)`` by
:func:`lasso_spark.ml.mapping.mllib_to_core`. The label's standard deviation that mapping needs
comes from wide mode's first pass (a :data:`lasso_spark.wide.path.GridPlan`), so the grid costs
no extra pass. What differs is the cost: several data passes instead of one, counted per kind in
the summary (``numDataPasses``, ``dataPasses``), and driver memory ``O(K·|A|² + T·p)`` instead
of ``O(K·p²)``.

Not available in wide mode (they need the full Gram): ``adaptive`` and ``regParam = 0``.
With several ``elasticNetParams`` every value runs its own wide path (its own passes).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from lasso_spark.core.errors import DataError
from lasso_spark.ml.mapping import CorePenalty, mllib_to_core
from lasso_spark.ml.params import ParamValidationError, resolve_penalty_factors
from lasso_spark.ml.tables import LassoSummary, PathTable
from lasso_spark.spark.inputs import _probe_vector_size, vector_feature_names
from lasso_spark.wide import DiagStats, WidePathResult, wide_enet_path

logger = logging.getLogger(__name__)

__all__ = ["WIDE_AUTO_MIN_FEATURES", "fit_wide", "wide_features"]

#: ``solverMode="auto"`` switches to wide mode above this many features (MLlib's cap for its
#: normal-equation solver; a Gram of 4096² doubles is 134 MB per fold).
WIDE_AUTO_MIN_FEATURES = 4096


def wide_features(est: Any, dataset: Any) -> int | None:
    """``None`` for the Gram mode; otherwise wide mode, with the number of features when known
    (0 when ``solverMode="wide"`` leaves it to the pass to resolve).

    ``"auto"`` needs ``p`` before any pass: ``len(inputCols)``, the vector column's ML
    attribute metadata, else a one-row probe job (as :func:`lasso_spark.compute_stats` does).
    """
    mode = est.getSolverMode()
    if mode == "gram":
        return None
    if mode == "wide":
        return 0
    if est._usesInputCols():
        p = len(est.getInputCols())
    else:
        col = est.getFeaturesCol()
        try:
            field = dataset.schema[col]
        except (KeyError, LookupError):
            return None  # the Gram path reports the missing column
        p, _ = vector_feature_names(field)
        if p is None:
            p = _probe_vector_size(dataset, col)
    if p > WIDE_AUTO_MIN_FEATURES:
        logger.info("lasso_spark: %d features > %d: wide mode", p, WIDE_AUTO_MIN_FEATURES)
        return int(p)
    return None


def _check(est: Any) -> None:
    if est.hasParam("validationCol") and est.getValidationCol() is not None:
        raise ParamValidationError(
            "validationCol is not supported in wide mode yet: set solverMode='gram' (feasible up "
            "to a few thousand features) or use numFolds / foldCol"
        )
    if est.getAdaptive():
        raise ParamValidationError(
            "adaptive=True needs the full Gram (OLS/ridge initial fit): set solverMode='gram' "
            "(feasible up to a few thousand features) or adaptive=False"
        )


def _penalty(est: Any, total: DiagStats, reg_param: float, enp: float) -> CorePenalty:
    W = total.weight_sum
    pen = mllib_to_core(
        reg_param,
        enp,
        label_std=float(np.sqrt(max(total.cyy / W, 0.0))) if W > 0.0 else 0.0,
        label_mean=total.mean_y + total.mean_y_lo,
        fit_intercept=est.getFitIntercept(),
        standardization=est.getStandardization(),
    )
    if pen.l1_ratio <= 0.0 and pen.alpha > 0.0 and not pen.constant_model:
        raise ParamValidationError(
            "elasticNetParam=0 (pure ridge) is not supported by the coordinate-descent solver "
            "(its regularization path has no alpha_max); use a small positive value such as 1e-3"
        )
    return pen


def _input_kwargs(est: Any, num_features: int) -> dict[str, Any]:
    from lasso_spark.ml.estimators import _stats_kwargs

    kw = _stats_kwargs(est)
    if kw["features_col"] is not None and num_features > 0:
        kw["num_features"] = num_features
    return kw


def _solver_kwargs(est: Any) -> dict[str, Any]:
    return {
        "fit_intercept": est.getFitIntercept(),
        "standardize": est.getStandardization(),
        "tol": est.getTol(),
        "max_iter": est.getMaxIter(),
        "penalty_factor": lambda names: resolve_penalty_factors(names, est.getPenaltyFactors()),
    }


def _summary(results: list[WidePathResult], num_folds: int | None, **extra: Any) -> LassoSummary:
    first = results[0]
    counts: dict[str, int] = {}
    for r in results:
        for kind, c in r.pass_counts.items():
            counts[kind] = counts.get(kind, 0) + c
    stats_s = sum(p.seconds for r in results for p in r.passes if p.kind == "diag")
    total_s = sum(r.elapsed_seconds for r in results)
    return LassoSummary(
        numRows=int(first.n_rows_read),
        numRowsSkipped=int(first.n_rows_skipped),
        invalidCounts={str(k): int(v) for k, v in first.invalid_counts.items()},
        weightSum=float(first.total.weight_sum),
        numFeatures=len(first.feature_names),
        numFolds=num_folds,
        numDataPasses=sum(r.n_passes for r in results),
        statsSeconds=stats_s,
        solveSeconds=total_s - stats_s,
        totalSeconds=total_s,
        extra={
            "solverMode": "wide",
            "dataPasses": counts,
            "passSeconds": float(sum(p.seconds for r in results for p in r.passes)),
            "workingSetSizes": [int(s) for r in results for s in r.working_set_sizes],
            "maxWorkingSet": int(max((s for r in results for s in r.working_set_sizes),
                                     default=0)),
            "peakWorkerRssBytes": int(max(r.peak_worker_rss_bytes for r in results)),
            "driverPeakBytes": int(max(r.driver_peak_bytes for r in results)),
            **extra,
        },
    )


def _std(total: DiagStats) -> np.ndarray:
    return np.sqrt(total.var_x)


# ============================================================================ Lasso
def _fit_lasso(est: Any, dataset: Any, num_features: int) -> Any:
    from lasso_spark.ml.estimators import _constant_fit, _fitted_from_path, _warm_grid
    from lasso_spark.ml.model import LassoModel

    reg, enp = est.getRegParam(), est.getElasticNetParam()
    if reg == 0.0:
        raise ParamValidationError(
            "regParam=0 (least squares) needs the full Gram: set solverMode='gram' or a "
            "regParam > 0"
        )
    chosen: dict[str, CorePenalty] = {}

    def plan(total: DiagStats, alpha_max_of: Any) -> tuple[np.ndarray, float]:
        pen = _penalty(est, total, reg, enp)
        chosen["pen"] = pen
        if pen.constant_model:
            return np.zeros(0), 1.0
        return _warm_grid(alpha_max_of(pen.l1_ratio), pen.alpha), pen.l1_ratio

    res = wide_enet_path(
        dataset, **_input_kwargs(est, num_features), **_solver_kwargs(est), plan=plan,
    )
    pen = chosen["pen"]
    names = list(res.feature_names)
    if pen.constant_model:
        fitted = _constant_fit(names, pen, reg, enp)
    else:
        fitted = _fitted_from_path(res.path, pen, reg, enp, names)
    summary = _summary(
        [res], None, pathLength=int(fitted.path_alphas.shape[0]),
        converged=bool(np.all(fitted.path_converged)),
    )
    table = fitted.path_table()
    return LassoModel.fromPath(
        table, table.n_rows - 1, featureNames=names, summary=summary, featureStd=_std(res.total)
    )


# ============================================================================ LassoCV
def _fit_lasso_cv(est: Any, dataset: Any, num_features: int) -> Any:
    from lasso_spark.core.path import _grid
    from lasso_spark.ml.estimators import _cv_table
    from lasso_spark.ml.model import LassoModel

    t0 = time.perf_counter()
    fold_col = est.getFoldCol()
    K = est.getNumFolds()
    explicit = est.getRegParams()
    if explicit is not None:
        regs = np.sort(np.asarray(explicit, dtype=np.float64))[::-1]
        if np.any(regs <= 0.0):
            raise ParamValidationError(
                f"regParams: LassoCV needs values > 0; {int(np.sum(regs <= 0))} are 0"
            )
    enps = est.getElasticNetParams()
    results: list[WidePathResult] = []
    grids: list[np.ndarray] = []
    paths: list[PathTable] = []
    mse = []
    for enp in enps:
        chosen: dict[str, Any] = {}

        def plan(total: DiagStats, alpha_max_of: Any, enp: float = enp,
                 chosen: dict[str, Any] = chosen) -> tuple[np.ndarray, float]:
            pen = _penalty(est, total, 1.0, enp)
            if pen.constant_model:
                raise DataError(
                    f"the label {est.getLabelCol()!r} is constant over the "
                    f"{int(total.n_rows)} valid rows: there is nothing to cross-validate"
                )
            if explicit is not None:
                reg_grid = regs
            else:
                ratio = est.getRegParamMinRatio()
                if ratio is None:
                    ratio = 1e-4 if total.n_rows > total.n_features else 1e-2
                a = _grid(alpha_max_of(pen.l1_ratio), est.getNumRegParams(), ratio)
                reg_grid = a / pen.alpha_per_reg_param
            chosen["regs"] = reg_grid
            return reg_grid * pen.alpha_per_reg_param, pen.l1_ratio

        res = wide_enet_path(
            dataset, **_input_kwargs(est, num_features), **_solver_kwargs(est), plan=plan,
            num_folds=K, fold_col=fold_col, seed=est.getOrDefault(est.seed),
        )
        results.append(res)
        grids.append(np.asarray(chosen["regs"], dtype=np.float64))
        paths.append(PathTable.from_result(res.path, reg_params=grids[-1], elastic_net_param=enp))
        mse.append(res.cv.mse_path)
    cv = _cv_table(enps, grids, np.stack(mse), paths, est.getSelectionRule())
    first = results[0]
    summary = _summary(
        results, K,
        foldRows=[int(n) for n in first.fold_rows],
        numFits=len(enps) * K,
        foldPathsConverged=bool(all(r.cv.fold_converged.all() for r in results)),
        selectionRule=est.getSelectionRule(),
        regParamMin=float(cv.reg_params[cv.index_min]),
        regParam1se=float(cv.reg_params[cv.index_1se]),
    )
    logger.info("lasso_spark LassoCV (wide): chose regParam=%.6g in %d data passes, %.1fs",
                cv.reg_params[cv.index_chosen], summary.numDataPasses, time.perf_counter() - t0)
    return LassoModel.fromPath(
        PathTable.concat(paths), cv.index_chosen, featureNames=list(first.feature_names), cv=cv,
        summary=summary, featureStd=_std(first.total),
    )


def fit_wide(est: Any, dataset: Any, num_features: int) -> Any:
    """The model of ``est`` (a ``Lasso`` or ``LassoCV``) on ``dataset`` in wide mode."""
    from lasso_spark.ml.estimators import LassoCV

    _check(est)
    if isinstance(est, LassoCV):
        return _fit_lasso_cv(est, dataset, num_features)
    return _fit_lasso(est, dataset, num_features)
