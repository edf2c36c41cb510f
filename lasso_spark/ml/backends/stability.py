"""Stability selection in the Gram backend: half-sample paths on the bucket statistics.

After a cross-validated fit has chosen its elasticNetParam, :func:`stability_table` draws the
request's complementary pairs of bucket halves (:func:`lasso_spark.core.stability.
complementary_pairs`), merges each half's bucket statistics, fits its path on the chosen
elasticNetParam's regParam grid (the same alphas as the fold paths: the grid is converted once,
with the full data's label scale) and counts, per regParam and feature, the halves that select
it. The fits run on the driver or as Spark tasks like the fold paths
(:mod:`lasso_spark.spark.fold_paths`); no data pass. Half statistics are built in rounds that
stay within the request's bucket-memory budget, so the driver never holds all ``2N`` of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from lasso_spark import core
from lasso_spark.core.stability import SelectionTally, complementary_pairs, half_statistics
from lasso_spark.ml.backends.plan import penalty_vector
from lasso_spark.ml.backends.progress import timed
from lasso_spark.ml.backends.request import FitRequest
from lasso_spark.ml.mapping import CorePenalty
from lasso_spark.ml.stability import StabilityTable
from lasso_spark.spark.fold_paths import (
    FoldFit,
    choose_parallelism,
    run_fold_fits,
    session_max_tasks,
)

logger = logging.getLogger(__name__)

__all__ = ["stability_table"]


def _half_fits(buckets: Sequence[core.SuffStats], masks: Sequence[np.ndarray],
               ids: range, request: FitRequest, pen: CorePenalty, alphas: np.ndarray,
               v_total: np.ndarray | None, names: list[str]) -> list[FoldFit]:
    """The fits of the halves ``ids``: each half's merged bucket statistics, no held-out set;
    adaptive weights from the half's own statistics (as the folds take theirs)."""
    fits = []
    for h in ids:
        half = half_statistics(buckets, masks[h])
        v = penalty_vector(request, half, names) if request.penalty.adaptive else v_total
        fits.append(FoldFit(fit_id=h, fold=-1, enp_index=-1, train=half, heldout=None,
                            alphas=alphas, l1_ratio=pen.l1_ratio, penalty_factor=v))
    return fits


def stability_table(
    buckets: Sequence[core.SuffStats],
    request: FitRequest,
    pen: CorePenalty,
    reg_grid: np.ndarray,
    elastic_net_param: float,
    reg_param: float,
    v_total: np.ndarray | None,
    names: list[str],
    *,
    spark: Any = None,
    timings: dict[str, float] | None = None,
    seconds_per_path: float | None = None,
    options: dict[str, Any] | None = None,
) -> tuple[StabilityTable, dict[str, Any]]:
    """Selection probabilities of ``request.stability``'s half-samples along ``reg_grid`` (the
    regParams of ``elastic_net_param``, penalty ``pen`` at regParam 1), and summary entries.
    ``reg_param`` is the model's regParam: the default of the reports. ``seconds_per_path``
    (the measured solve time of one fold path on the same grid) lets ``parallelism="auto"``
    decide from the cost of the ``2N`` half paths (:func:`choose_parallelism`). ``options``:
    the keywords of :func:`lasso_spark.core.enet_path` the fold paths used (bounds and groups
    included), so the half paths solve the same problem; default the solver's."""
    spec = request.stability
    if spec is None:
        raise ValueError("the request asks for no stability selection")
    p = buckets[0].n_features
    pairs = complementary_pairs(spec.num_buckets, spec.num_pairs, spec.seed)
    masks = [m for pair in pairs for m in (pair, ~pair)]
    alphas = np.asarray(reg_grid, dtype=np.float64) * pen.alpha_per_reg_param
    # a round's half statistics are held in full on the driver, shipped packed to the tasks
    per_round = max(1, min(len(masks),
                           spec.memory_limit_bytes // core.SuffStats.memory_bytes(p)))
    tasks = choose_parallelism(request.solver.parallelism, n_features=p, n_fits=len(masks),
                               max_tasks=session_max_tasks(spark) if spark is not None else None,
                               seconds_per_fit=seconds_per_path,
                               bytes_per_fit=8 * core.SuffStats.packed_size(p),
                               fits_per_job=per_round)
    tally = SelectionTally(alphas.shape[0], p)
    converged = True
    where = "driver" if tasks <= 1 else f"{tasks} Spark tasks"
    text = (f"lasso_spark LassoCV: stability selection, {len(masks)} half-sample paths x "
            f"{alphas.shape[0]} regParams on {where}")
    with timed(text, timings if timings is not None else {}, "stability", logger):
        for start in range(0, len(masks), per_round):
            ids = range(start, min(start + per_round, len(masks)))
            fits = _half_fits(buckets, masks, ids, request, pen, alphas, v_total, names)
            results = run_fold_fits(
                fits, request.solver.enet_kwargs() if options is None else options,
                spark=spark, parallelism=tasks,
                job_description=f"lasso_spark: stability selection, {len(fits)} half paths")
            for r in results:
                tally.add(r.support)
                converged &= r.converged
    table = StabilityTable(
        reg_params=reg_grid, probabilities=tally.probabilities,
        elastic_net_param=elastic_net_param, num_pairs=spec.num_pairs,
        num_buckets=spec.num_buckets, threshold=spec.threshold, reg_param=reg_param,
        seed=spec.seed, converged=converged,
    )
    estimate = {} if seconds_per_path is None else {
        "stabilityEstimatedDriverSeconds": float(seconds_per_path) * len(masks)}
    summary = {"stabilityPairs": spec.num_pairs, "stabilityHalfFits": len(masks), **estimate,
               "numBuckets": spec.num_buckets, "stabilityTasks": tasks,
               "stabilityRounds": -(-len(masks) // per_round),
               "stabilityConverged": converged}
    return table, summary
