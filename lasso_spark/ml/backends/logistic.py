"""The logistic (binomial) backend: a :class:`FitRequest` with ``family="binomial"`` in, a
:class:`LogisticOutcome` (path table, CV table, chosen rows) out.

A fit is the statistics pass (labels other than 0/1 are invalid rows, one class only is an
error: :func:`lasso_spark.spark.logistic.binomial_statistics`), then one pass per outer
proximal-Newton iteration, each advancing every model in flight — the full data's and each CV
fold's, several consecutive regParams each (:func:`lasso_spark.core.logistic.logistic_path` on
:class:`lasso_spark.spark.logistic.LogisticPasses`). Without CV the grid is the warm-start path
from the all-zero regParam down to each target regParam; :func:`fit_targets` solves several
targets (``fitMultiple``'s param maps equal but for regParam) along ONE such path.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from lasso_spark.ml.backends.request import BinomialSpec, FitRequest
from lasso_spark.ml.logistic_tables import LogisticCVTable, LogisticPathTable, cv_table
from lasso_spark.ml.tables import LassoSummary
from lasso_spark.paramspec import ParamValidationError

logger = logging.getLogger(__name__)

__all__ = ["AUC_BINS", "WARM_TOL", "LogisticOutcome", "fit", "fit_targets", "target_grid"]

#: histogram bins per class of the held-out scores for ``cvMetric = "auc"``
AUC_BINS = 2048
#: relative duality gap of the warm-start regParams before a requested one
WARM_TOL = 1e-4


@dataclass(frozen=True)
class LogisticOutcome:
    """A logistic fit's result (the binomial :class:`~lasso_spark.ml.backends.FitOutcome`): the
    full model's path, the CV table (or None), the chosen path row of each target (CV: one, the
    selected regParam), feature names, the standardization scale and the summary."""

    path: LogisticPathTable
    chosen: list[int]
    feature_names: list[str]
    feature_std: np.ndarray
    summary: LassoSummary
    cv: LogisticCVTable | None = None


def target_grid(targets: Sequence[float], lam_max: float) -> tuple[np.ndarray, np.ndarray]:
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


def fit(dataset: Any, request: FitRequest, num_features: int = 0) -> LogisticOutcome:
    """The backend's entry (:class:`~lasso_spark.ml.backends.Backend`): the target
    ``request.grid.reg_param`` without CV, the CV path with it."""
    targets = None if request.split.cross_validated else (float(request.grid.reg_param),)
    return fit_targets(dataset, request, targets, num_features=num_features)


def fit_targets(dataset: Any, request: FitRequest, targets: Sequence[float] | None,
                num_features: int = 0) -> LogisticOutcome:
    """Statistics pass, logistic passes, path and CV table (module docstring); ``targets``
    ``None`` for cross-validation. With ``cacheInput`` the passes' projection is cached
    (:mod:`lasso_spark.spark.logistic`) and released at the end, also on failure."""
    spec = request.binomial or BinomialSpec()
    return _fit(dataset, request, spec, targets, num_features or None)


def _fit(dataset: Any, request: FitRequest, spec: BinomialSpec,
         targets: Sequence[float] | None, num_features: int | None) -> LogisticOutcome:
    from lasso_spark.spark.logistic import binomial_statistics

    t0 = time.perf_counter()
    split = request.split
    sk = split.stats_kwargs()
    num_folds = int(sk["num_folds"])
    validation = split.kind == "validation"
    data = binomial_statistics(
        dataset, **request.input.stats_kwargs(), num_folds=num_folds,
        fold_col=sk.get("fold_col"), seed=int(sk.get("seed", 0)), num_features=num_features,
        validation=validation, job_description="lasso_spark: logistic statistics pass",
        cache=spec.cache_input,
    )
    try:
        return _fit_path(data, request, spec, targets, t0)
    finally:
        data.release()


def _fit_path(data: Any, request: FitRequest, spec: BinomialSpec,
              targets: Sequence[float] | None, t0: float) -> LogisticOutcome:
    """The path and tables from the statistics of :func:`_fit` (``t0``: when the fit began)."""
    from lasso_spark.core.logistic import logistic_path, reg_param_max

    split = request.split
    num_folds = int(split.stats_kwargs()["num_folds"])
    validation = split.kind == "validation"
    t_stats = time.perf_counter() - t0
    cv = targets is None
    trainings = data.trainings if cv else data.trainings[:1]
    enp = float(request.penalty.elastic_net_params[0])
    solver = request.solver
    kw: dict[str, Any] = dict(l1_ratio=enp, standardize=solver.standardize,
                              fit_intercept=solver.fit_intercept)
    if cv:
        if num_folds == 0:
            raise ParamValidationError("cross-validation needs folds or a validation column")
        grid = request.grid
        grid_kw: dict[str, Any] = dict(reg_params=grid.reg_params,
                                       n_reg_params=grid.num_reg_params,
                                       reg_param_min_ratio=grid.min_ratio)
    else:
        lam_max = reg_param_max(trainings[0], **kw)
        reg_grid, warm = target_grid(targets, lam_max)
        grid_kw = dict(reg_params=reg_grid, warm_only=warm, path_tol=max(solver.tol, WARM_TOL))
    runner = data.passes()
    result = logistic_path(
        trainings, runner, center=data.center, scale=data.scale, num_folds=num_folds,
        tol=solver.tol, max_iter=solver.max_iter, in_flight=spec.in_flight,
        threshold=spec.threshold, auc_bins=AUC_BINS if cv and spec.cv_metric == "auc" else 0,
        **kw, **grid_kw,
    )
    full = result.paths[0]
    table = LogisticPathTable.from_path(full, enp)
    cvt = None
    if cv:
        cvt = replace(_cv_table(result, table, spec.cv_metric, request.selection_rule,
                                validation), elastic_net_param=enp)
        chosen = [cvt.index_chosen]
    else:
        chosen = [int(np.flatnonzero(np.isclose(full.reg_params, t, rtol=1e-12, atol=0.0)
                                     | (full.reg_params == t))[0]) for t in targets]
    summary = path_summary(data, runner, result, t_stats, time.perf_counter() - t0 - t_stats, cvt,
                       num_folds, validation)
    return LogisticOutcome(table, chosen, list(data.resolved.feature_names), full.feature_scale,
                           summary, cvt)


def _cv_table(result: Any, table: LogisticPathTable, metric: str, rule: str,
              validation: bool) -> LogisticCVTable:
    folds = result.paths[1:]
    per_fold = {"deviance": np.stack([p.heldout_deviance for p in folds], axis=1),
                "misclassification": np.stack([p.heldout_misclassification for p in folds],
                                              axis=1)}
    bound = None
    if metric == "auc":
        per_fold["auc"] = np.stack([p.heldout_auc for p in folds], axis=1)
        bound = np.stack([p.heldout_auc_bound for p in folds], axis=1)
    return cv_table(result.paths[0].reg_params, table.nonzeros, per_fold, metric, rule,
                    validation, bound)


def path_summary(data: Any, runner: Any, result: Any, t_stats: float, t_solve: float,
                 cvt: LogisticCVTable | None, num_folds: int, validation: bool,
                 family: dict[str, Any] | None = None) -> LassoSummary:
    """The summary of a logistic fit of either family (``family``: the multinomial family's
    own fields, e.g. its number of classes, first in ``extra``)."""
    st = data.stats
    extra: dict[str, Any] = {
        "solverMode": "logistic", **(family or {}),
        "logisticPasses": int(result.n_passes),
        "statisticsPasses": int(data.n_passes),
        "modelsInFlightPerPass": [int(x) for x in result.pass_points],
        "passSeconds": [float(x) for x in runner.seconds],
        "converged": bool(all(p.converged.all() for p in result.paths)),
        "pathLength": int(result.paths[0].n_reg_params),
        "pathEndedEarly": bool(result.path_ended_early),
        "regParamMax": float(result.paths[0].reg_param_max),
        "inputCached": getattr(data, "cached", None) is not None,
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
        numFolds=None if cvt is None or validation else int(num_folds),
        numDataPasses=int(data.n_passes + result.n_passes), statsSeconds=t_stats,
        solveSeconds=t_solve, totalSeconds=t_stats + t_solve, extra=extra,
    )
