"""Wide backend: the request solved by :func:`lasso_spark.wide.wide_enet_path`.

Same problem, params, grid and model as the Gram backend; the label's standard deviation the
MLlib mapping needs comes from wide mode's first pass (a :data:`lasso_spark.wide.path.GridPlan`
decides the grid then), so the grid costs no extra pass. What differs is the cost: several data
passes instead of one, counted per kind in the summary (``numDataPasses``, ``dataPasses``), and
driver memory ``O(K·|A|² + T·p)`` instead of ``O(K·p²)``.

Not available in wide mode (they need the full Gram): ``adaptive``, ``regParam = 0`` and, for
now, ``validationCol``. Several ``elasticNetParams`` run one wide path each (their own passes).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import numpy as np

from lasso_spark.core.grid import warm_grid
from lasso_spark.ml.backends.outcome import FitOutcome
from lasso_spark.ml.backends.plan import (
    constant_path,
    core_penalty,
    cv_penalties,
    cv_table,
    penalty_vector,
    reg_param_grid,
    warm_reg_params,
)
from lasso_spark.ml.backends.request import FitRequest
from lasso_spark.ml.params import ParamValidationError
from lasso_spark.ml.tables import LassoSummary, PathTable

logger = logging.getLogger(__name__)

__all__ = ["check_request", "fit"]


def check_request(request: FitRequest) -> None:
    """Refuse what wide mode cannot serve, with the way out."""
    if request.stability is not None:
        raise ParamValidationError(
            "stability selection (numSubsamples > 0) needs the bucket Gram statistics: set "
            "solverMode='gram' (feasible up to a few thousand features) or numSubsamples=0"
        )
    if request.split.kind == "validation":
        raise ParamValidationError(
            "validationCol is not supported in wide mode yet: set solverMode='gram' (feasible up "
            "to a few thousand features) or use numFolds / foldCol"
        )
    if request.penalty.adaptive:
        raise ParamValidationError(
            "adaptive=True needs the full Gram (OLS/ridge initial fit): set solverMode='gram' "
            "(feasible up to a few thousand features) or adaptive=False"
        )
    if request.penalty.structured:
        raise ParamValidationError(
            f"{', '.join(request.penalty.structured_names())} need the full Gram (block "
            "coordinate descent on it): set solverMode='gram' (feasible up to a few thousand "
            "features) or leave them unset"
        )
    if not request.split.cross_validated and request.grid.reg_param == 0.0:
        raise ParamValidationError(
            "regParam=0 (least squares) needs the full Gram: set solverMode='gram' or a "
            "regParam > 0"
        )


def fit(dataset: Any, request: FitRequest, num_features: int = 0) -> FitOutcome:
    """The outcome of ``request`` in wide mode; ``num_features`` when known (0 = resolve)."""
    check_request(request)
    if request.split.cross_validated:
        return _fit_cv(dataset, request, num_features)
    return _fit_single(dataset, request, num_features)


def _wide_kwargs(request: FitRequest, num_features: int) -> dict[str, Any]:
    kw = request.input.stats_kwargs()
    if kw["features_col"] is not None and num_features > 0:
        kw["num_features"] = num_features
    kw.update(request.solver.enet_kwargs())
    kw["penalty_factor"] = lambda names: penalty_vector(request, None, names)
    return kw


def _fit_single(dataset: Any, request: FitRequest, num_features: int) -> FitOutcome:
    from lasso_spark.wide import wide_enet_path

    reg, enp = request.grid.reg_param, request.penalty.elastic_net_params[0]
    chosen: dict[str, Any] = {}

    def plan(total: Any, alpha_max_of: Any) -> tuple[np.ndarray, float]:
        pen = core_penalty(total, reg, enp, request.solver)
        chosen["pen"] = pen
        if pen.constant_model:
            return np.zeros(0), 1.0
        return warm_grid(alpha_max_of(pen.l1_ratio), pen.alpha), pen.l1_ratio

    res = wide_enet_path(dataset, **_wide_kwargs(request, num_features), plan=plan)
    pen = chosen["pen"]
    names = list(res.feature_names)
    if pen.constant_model:
        path = constant_path(len(names), pen, reg, enp)
    else:
        regs = warm_reg_params(res.path.alphas, pen, reg)
        path = PathTable.from_result(res.path, reg_params=regs, elastic_net_param=enp)
    summary = _summary([res], None, pathLength=path.n_rows,
                       converged=bool(np.all(path.converged)))
    return FitOutcome(path, path.n_rows - 1, names, np.sqrt(res.total.var_x), summary)


def _fit_cv(dataset: Any, request: FitRequest, num_features: int) -> FitOutcome:
    from lasso_spark.wide import wide_enet_path

    t0 = time.perf_counter()
    split = request.split
    enps = list(request.penalty.elastic_net_params)
    results, grids, paths, mse = [], [], [], []
    for enp in enps:
        chosen: dict[str, Any] = {}

        def plan(total: Any, alpha_max_of: Any, enp: float = enp,
                 chosen: dict[str, Any] = chosen) -> tuple[np.ndarray, float]:
            pen = cv_penalties(total, _one_enp(request, enp))[0]
            regs = reg_param_grid(request.grid, pen, alpha_max_of(pen.l1_ratio), total.n_rows,
                                  total.n_features)
            chosen["regs"] = regs
            return regs * pen.alpha_per_reg_param, pen.l1_ratio

        res = wide_enet_path(dataset, **_wide_kwargs(request, num_features), plan=plan,
                             num_folds=split.num_folds, fold_col=split.column, seed=split.seed)
        results.append(res)
        grids.append(np.asarray(chosen["regs"], dtype=np.float64))
        paths.append(PathTable.from_result(res.path, reg_params=grids[-1], elastic_net_param=enp))
        mse.append(res.cv.mse_path)
    cv = cv_table(enps, grids, np.stack(mse), paths, request.selection_rule)
    first = results[0]
    summary = _summary(
        results, split.num_folds, foldRows=[int(n) for n in first.fold_rows],
        numFits=len(enps) * split.num_folds,
        foldPathsConverged=bool(all(r.cv.fold_converged.all() for r in results)),
        selectionRule=request.selection_rule,
        regParamMin=float(cv.reg_params[cv.index_min]),
        regParam1se=float(cv.reg_params[cv.index_1se]),
    )
    logger.info("lasso_spark LassoCV (wide): chose regParam=%.6g in %d data passes, %.1fs",
                cv.reg_params[cv.index_chosen], summary.numDataPasses, time.perf_counter() - t0)
    return FitOutcome(PathTable.concat(paths), cv.index_chosen, list(first.feature_names),
                      np.sqrt(first.total.var_x), summary, cv)


def _one_enp(request: FitRequest, enp: float) -> FitRequest:
    return replace(request, penalty=replace(request.penalty, elastic_net_params=(enp,)))


def _summary(results: list[Any], num_folds: int | None, **extra: Any) -> LassoSummary:
    first = results[0]
    counts: dict[str, int] = {}
    for r in results:
        for kind, c in r.pass_counts.items():
            counts[kind] = counts.get(kind, 0) + c
    stats_s = sum(p.seconds for r in results for p in r.passes if p.kind == "diag")
    total_s = sum(r.elapsed_seconds for r in results)
    sizes = [int(s) for r in results for s in r.working_set_sizes]
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
            "workingSetSizes": sizes,
            "maxWorkingSet": max(sizes, default=0),
            "peakWorkerRssBytes": int(max(r.peak_worker_rss_bytes for r in results)),
            "driverPeakBytes": int(max(r.driver_peak_bytes for r in results)),
            "blockBudgetBytes": int(first.block_budget_bytes),
            "maxBlockFeatures": int(min(r.block_cap for r in results)),
            **extra,
        },
    )
