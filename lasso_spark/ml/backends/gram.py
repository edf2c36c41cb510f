"""Gram backend: one statistics pass, then every path solved on the ``p × p`` Gram.

:func:`statistics` reduces the input to per-fold :class:`~lasso_spark.core.SuffStats` in one
Spark pass (:func:`lasso_spark.spark.compute_stats`); :func:`fit_from_stats` solves the request
on them with no further pass. A single fit solves a short warm-started path from ``alpha_max``
down to its regParam. A cross-validated fit solves fold k's path on the merge of the other
folds' statistics, scores it exactly on fold k's own statistics (the fold paths may run as
Spark tasks, :mod:`lasso_spark.spark.fold_paths`), and solves the full-data path on the same
grid: the model is the full-data fit at the chosen regParam. The regParam grid is converted to
alpha once, with the full data's label standard deviation (the semantics of glmnet's
``cv.glmnet`` and scikit-learn's ``LassoCV``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from lasso_spark import core
from lasso_spark.core.cv import kfold_splits, validation_split
from lasso_spark.core.grid import warm_grid
from lasso_spark.core.relax import relaxed_path
from lasso_spark.core.stability import BucketMemoryError
from lasso_spark.ml.backends.outcome import FitOutcome
from lasso_spark.ml.backends.plan import (
    constant_path,
    core_penalty,
    cv_penalties,
    cv_table,
    least_squares_path,
    penalty_vector,
    reg_param_grid,
    structure_of,
    warm_reg_params,
)
from lasso_spark.ml.backends.progress import timed
from lasso_spark.ml.backends.request import FitRequest
from lasso_spark.ml.backends.stability import stability_table
from lasso_spark.ml.params import ParamValidationError
from lasso_spark.ml.tables import LassoSummary, PathTable
from lasso_spark.spark import compute_stats
from lasso_spark.spark.fold_paths import (
    FoldFit,
    choose_parallelism,
    run_fold_fits,
    session_max_tasks,
)

logger = logging.getLogger(__name__)

__all__ = ["fit", "fit_from_stats", "path_kwargs", "statistics"]


def statistics(dataset: Any, request: FitRequest, description: str | None = None
               ) -> tuple[Any, dict[str, float]]:
    """The one statistics pass a request needs, and its timing."""
    split = request.split
    text = description or f"lasso_spark: statistics, {split.describe()}"
    if split.num_buckets:
        text += f", {split.num_buckets} buckets"
    timings: dict[str, float] = {}
    budget = {} if request.stability is None else {
        "bucket_memory_limit": request.stability.memory_limit_bytes}
    with timed(f"{text}: statistics pass", timings, "stats", logger):
        try:
            result = compute_stats(dataset, job_description=text,
                                   **request.input.stats_kwargs(), **split.stats_kwargs(),
                                   **budget)
        except BucketMemoryError as exc:  # a limit the user configures: a parameter problem
            raise ParamValidationError(str(exc)) from None
    return result, timings


def fit(dataset: Any, request: FitRequest, num_features: int = 0) -> FitOutcome:
    """The outcome of ``request`` (``num_features`` is not needed: the pass resolves it)."""
    stats_result, timings = statistics(dataset, request)
    return fit_from_stats(stats_result, request, timings, spark=dataset.sparkSession)


def fit_from_stats(stats_result: Any, request: FitRequest, timings: dict[str, float], *,
                   spark: Any = None) -> FitOutcome:
    """The outcome of ``request`` from already reduced statistics (no data pass)."""
    if request.split.cross_validated:
        return _fit_cv(stats_result, request, dict(timings), spark)
    return _fit_single(stats_result, request, dict(timings))


def path_kwargs(request: FitRequest, structure: Any) -> dict[str, Any]:
    """Keywords of :func:`lasso_spark.core.enet_path` besides grid and penalty factors."""
    kw = request.solver.enet_kwargs()
    if structure is not None:
        kw["structure"] = structure
    return kw


def _path_tables(stats: core.SuffStats, res: Any, regs: np.ndarray, enp: float,
                 gammas: tuple[float, ...]) -> PathTable:
    """The path table of one solved path: the lasso rows, or one block of rows per γ of the
    relaxed lasso (:func:`lasso_spark.core.relax.relaxed_path`), in the order of ``gammas``."""
    if gammas == (1.0,):
        return PathTable.from_result(res, reg_params=regs, elastic_net_param=enp)
    rel = relaxed_path(stats, res, gammas)
    return PathTable.concat([
        PathTable.from_result(res, reg_params=regs, elastic_net_param=enp, relax_gamma=gam,
                              coef=rel.coef[k], intercept=rel.intercept[k])
        for k, gam in enumerate(gammas)])


# ------------------------------------------------------------------------- single regParam
def _single_path(stats: core.SuffStats, names: list[str], request: FitRequest) -> PathTable:
    """The warm-start path from ``alpha_max`` down to the request's one regParam."""
    reg, enp = request.grid.reg_param, request.penalty.elastic_net_params[0]
    solver = request.solver
    pen = core_penalty(stats, reg, enp, solver)
    if pen.constant_model:
        return constant_path(stats.n_features, pen, reg, enp)
    sp = structure_of(request, names)
    if pen.alpha == 0.0:
        if sp is not None:
            raise ParamValidationError(
                f"regParam=0 (least squares) with {', '.join(request.penalty.structured_names())}"
                " is not supported: give a regParam > 0")
        return least_squares_path(stats, solver, pen, enp)
    v = penalty_vector(request, stats, names)
    a_max = core.alpha_max(stats, pen.l1_ratio, v, fit_intercept=solver.fit_intercept,
                           standardize=solver.standardize, structure=sp)
    res = core.enet_path(stats, alphas=warm_grid(a_max, pen.alpha), l1_ratio=pen.l1_ratio,
                         penalty_factor=v, **path_kwargs(request, sp))
    regs = warm_reg_params(res.alphas, pen, reg)
    # relaxed (Lasso takes one γ): the lasso rows, then the relaxed ones (the model: last row)
    gammas = tuple(sorted({1.0, *request.penalty.gammas()}, reverse=True))
    return _path_tables(stats, res, regs, enp, gammas)


def _fit_single(stats_result: Any, request: FitRequest, timings: dict[str, float]
                ) -> FitOutcome:
    stats = stats_result.total
    names = list(stats_result.feature_names)
    reg, enp = request.grid.reg_param, request.penalty.elastic_net_params[0]
    what = f"lasso_spark Lasso: solve at regParam={reg:g}, elasticNetParam={enp:g}"
    with timed(what, timings, "solve", logger):
        path = _single_path(stats, names, request)
    relaxed = ({"relaxGamma": float(path.relax_gammas[-1])} if request.penalty.relax else {})
    summary = _summary(stats_result, timings, pathLength=path.n_rows,
                       converged=bool(np.all(path.converged)), **relaxed,
                       **_groups_summary(request, names))
    return FitOutcome(path, path.n_rows - 1, names, stats.std_x, summary)


# ------------------------------------------------------------------------- cross-validation
def _splits(folds: list[core.SuffStats], request: FitRequest) -> tuple[list, list]:
    if request.split.kind == "validation":
        return validation_split(folds, f"validationCol {request.split.column!r}")
    return kfold_splits(folds)


def _fold_fits(request: FitRequest, trains: list, heldouts: list, pens: list, grids: list,
               v_total: np.ndarray | None, names: list[str]) -> list[FoldFit]:
    """One fit per (elasticNetParam, fold): trained on the split's training statistics."""
    K = len(heldouts)
    if request.penalty.adaptive:  # the adaptive weights of each training set's own estimate
        v_train = [penalty_vector(request, t, names) for t in trains]
    else:
        v_train = [v_total] * K
    return [
        FoldFit(fit_id=e * K + k, fold=k, enp_index=e, train=trains[k], heldout=heldouts[k],
                alphas=grids[e] * pens[e].alpha_per_reg_param, l1_ratio=pens[e].l1_ratio,
                penalty_factor=v_train[k])
        for e in range(len(pens))
        for k in range(K)
    ]


def _full_paths(total: core.SuffStats, request: FitRequest, pens: list, grids: list,
                v_total: np.ndarray | None, sp: Any) -> list[PathTable]:
    """The full-data path of every elasticNetParam on its grid: the model's path table."""
    out = []
    for e, pen in enumerate(pens):
        res = core.enet_path(total, alphas=grids[e] * pen.alpha_per_reg_param,
                             l1_ratio=pen.l1_ratio, penalty_factor=v_total,
                             **path_kwargs(request, sp))
        out.append(_path_tables(total, res, grids[e], request.penalty.elastic_net_params[e],
                                request.penalty.gammas()))
    return out


def _fit_cv(stats_result: Any, request: FitRequest, timings: dict[str, float], spark: Any
            ) -> FitOutcome:
    folds = list(stats_result.folds)
    total = stats_result.total
    names = list(stats_result.feature_names)
    trains, heldouts = _splits(folds, request)
    t_solve = time.perf_counter()
    enps = list(request.penalty.elastic_net_params)
    pens = cv_penalties(total, request)
    v_total = penalty_vector(request, total, names)
    sp = structure_of(request, names)
    grids = []
    for pen in pens:
        a_max = core.alpha_max(total, pen.l1_ratio, v_total,
                               fit_intercept=request.solver.fit_intercept,
                               standardize=request.solver.standardize, structure=sp)
        grids.append(reg_param_grid(request.grid, pen, a_max, total.n_rows, total.n_features))
    fits = _fold_fits(request, trains, heldouts, pens, grids, v_total, names)
    # the full-data paths first: their solve time is the estimate of a fold path's cost (same
    # p and grid, about the same active sets) that parallelism="auto" decides from
    with timed(f"lasso_spark LassoCV: full-data path x {len(enps)}", timings, "final_path",
               logger):
        paths = _full_paths(total, request, pens, grids, v_total, sp)
    per_fit = timings["final_path"] / len(enps)
    tasks = choose_parallelism(request.solver.parallelism, n_features=total.n_features,
                               n_fits=len(fits),
                               max_tasks=session_max_tasks(spark) if spark is not None else None,
                               seconds_per_fit=per_fit,
                               bytes_per_fit=2 * 8 * total.packed_size(total.n_features))
    where = "driver" if tasks <= 1 else f"{tasks} Spark tasks"
    m = len(grids[0])
    with timed(f"lasso_spark LassoCV: fold paths, {len(fits)} fits x {m} regParams on {where}",
               timings, "fold_paths", logger):
        options = path_kwargs(request, sp)
        gammas = request.penalty.gammas()
        if request.penalty.relax:
            options["relax_gammas"] = gammas
        results = run_fold_fits(fits, options, spark=spark,
                                parallelism=tasks,
                                job_description=f"lasso_spark: fold paths, {len(fits)} fits")
    mse = np.stack([r.mse for r in results]).reshape(len(enps), len(heldouts),
                                                     len(gammas) * m)
    validation = request.split.kind == "validation"
    cv = cv_table(enps, grids, mse, paths, request.selection_rule, validation, gammas)
    stability, stability_summary = None, {}
    if request.stability is not None:  # on the 1se regParam's elasticNetParam (the min's)
        e = enps.index(float(cv.elastic_net_params[cv.index_1se]))
        stability, stability_summary = stability_table(
            stats_result.buckets, request, pens[e], grids[e], enps[e],
            float(cv.reg_params[cv.index_1se]), v_total, names, spark=spark,
            timings=timings, seconds_per_path=float(np.mean([r.seconds for r in results])),
            options=path_kwargs(request, sp))
    timings["solve"] = time.perf_counter() - t_solve
    _log_choice(cv)
    summary = _summary(
        stats_result, timings, num_folds=None if validation else len(heldouts),
        **_split_summary(folds, request), numFits=len(fits), foldPathTasks=tasks,
        foldPathsWhere="driver" if tasks <= 1 else "spark tasks",
        foldPathSeconds=float(timings.get("fold_paths", 0.0)),
        foldPathSolveSeconds=[float(r.seconds) for r in results],
        foldPathEstimateSeconds=float(per_fit),
        fullPathSeconds=float(timings["final_path"]),
        foldPathsConverged=bool(all(r.converged for r in results)),
        selectionRule=request.selection_rule,
        regParamMin=float(cv.reg_params[cv.index_min]),
        regParam1se=float(cv.reg_params[cv.index_1se]),
        **({"relaxGamma": float(cv.relax_gammas[cv.index_chosen]),
            "relaxGammaMin": float(cv.relax_gammas[cv.index_min]),
            "relaxGamma1se": float(cv.relax_gammas[cv.index_1se])}
           if request.penalty.relax else {}),
        **_groups_summary(request, names),
        **stability_summary,
        **({"stabilitySeconds": float(timings["stability"])} if stability else {}),
    )
    return FitOutcome(PathTable.concat(paths), cv.index_chosen, names, total.std_x, summary, cv,
                      stability)


def _groups_summary(request: FitRequest, names: list[str]) -> dict[str, Any]:
    """``featureGroups`` resolved to feature indices (for plots and group norms)."""
    sp = structure_of(request, names)
    if sp is None or not sp.groups:
        return {}
    return {"featureGroups": [list(g) for g in sp.groups]}


def _log_choice(cv: Any) -> None:
    i = cv.index_chosen
    logger.info(
        "lasso_spark LassoCV: chose regParam=%.6g, elasticNetParam=%g (rule %s; min at %.6g, "
        "1se at %.6g), mean CV MSE %.6g ± %.3g",
        cv.reg_params[i], cv.elastic_net_params[i], cv.selection_rule,
        cv.reg_params[cv.index_min], cv.reg_params[cv.index_1se], cv.mse_mean[i], cv.mse_se[i],
    )


def _split_summary(folds: list[core.SuffStats], request: FitRequest) -> dict[str, Any]:
    if request.split.kind == "validation":
        return {"validationCol": request.split.column, "trainRows": int(folds[0].n_rows),
                "validationRows": int(folds[1].n_rows),
                "trainWeight": float(folds[0].weight_sum),
                "validationWeight": float(folds[1].weight_sum)}
    return {"foldRows": [int(f.n_rows) for f in folds],
            "foldWeights": [float(f.weight_sum) for f in folds]}


def _summary(stats_result: Any, timings: dict[str, float], num_folds: int | None = None,
             **extra: Any) -> LassoSummary:
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
