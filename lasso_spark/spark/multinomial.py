"""Multinomial passes over a Spark DataFrame: the statistics pass, the class pass, then the
logistic passes (:class:`lasso_spark.spark.logistic.LogisticPasses` runs any request with
``accumulate``/``result``, here :class:`lasso_spark.core.multinomial.MultinomialPassRequest`).

1. The statistics pass (:func:`lasso_spark.spark.compute_stats` with ``class_labels``: a label
   that is not an integer in ``[0, MAX_CLASSES)`` is an invalid row, named with its count).
2. The class pass: per fold, the weight of every class and the class sums of the pass
   coordinates ``z`` (and ``Σ w²``, for MLlib's sample standard deviation). The number of
   classes ``K`` is the largest label seen plus one (MLlib's rule without label metadata); a
   class without weight in a training set is a data error, before the path.

The executor side needs numpy and pyarrow only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.cv import kfold_splits, validation_split
from lasso_spark.core.multinomial import MAX_CLASSES, MultinomialPassRequest
from lasso_spark.core.multinomial_path import MultinomialTraining
from lasso_spark.spark.errors import InvalidInputError
from lasso_spark.spark.inputs import ResolvedInput, resolve_input
from lasso_spark.spark.logistic import LogisticPasses
from lasso_spark.spark.pass_cache import pass_cache
from lasso_spark.spark.stats import StatsResult, compute_stats

logger = logging.getLogger(__name__)

__all__ = ["MultinomialData", "multinomial_statistics"]


@dataclass(frozen=True)
class MultinomialData:
    """The statistics, the resolved input, one :class:`MultinomialTraining` per model
    (``[all rows, CV split 0, …]``), the pass coordinates, ``K`` and the passes so far."""

    stats: StatsResult
    resolved: ResolvedInput
    trainings: list[MultinomialTraining]
    center: np.ndarray
    scale: np.ndarray
    n_classes: int
    n_passes: int
    source: object
    cached: object = None  #: the passes' persisted copy (``cache``), None when none

    def passes(self) -> LogisticPasses:
        return LogisticPasses(self.source, self.resolved,
                              (self.stats.n_rows_read, self.stats.n_rows_skipped),
                              "lasso_spark: multinomial pass")

    def release(self) -> None:
        """Unpersist the passes' cached copy, if any (idempotent)."""
        if self.cached is not None:
            self.cached.unpersist()


def multinomial_statistics(
    df: object,
    *,
    features_col: str | None,
    input_cols: Sequence[str] | None,
    label_col: str,
    weight_col: str | None,
    num_folds: int,
    fold_col: str | None,
    seed: int,
    handle_invalid: str,
    num_features: int | None = None,
    validation: bool = False,
    cache: bool = False,
) -> MultinomialData:
    """The statistics pass, the class pass and the trainings of every model (module
    docstring); ``validation`` and ``cache`` as
    :func:`lasso_spark.spark.logistic.binomial_statistics` (the caller releases the cache,
    :meth:`MultinomialData.release`; a failure here releases it)."""
    kw = dict(features_col=features_col, input_cols=input_cols, label_col=label_col,
              weight_col=weight_col, num_folds=num_folds, fold_col=fold_col, seed=seed,
              handle_invalid=handle_invalid, num_features=num_features)
    resolved = resolve_input(df, class_labels=MAX_CLASSES, **kw)
    cached, pass_input = pass_cache(df, resolved) if cache else (None, resolved)
    try:
        return _multinomial_data(df, kw, pass_input, cached, validation)
    except BaseException:
        if cached is not None:
            cached.unpersist()
        raise


def _multinomial_data(df: object, kw: dict, pass_input: ResolvedInput, cached: object,
                      validation: bool) -> MultinomialData:
    """:func:`multinomial_statistics` after the input is resolved (``pass_input``: how the
    passes read ``cached``, or ``df`` without a cache)."""
    label_col, num_folds, fold_col = kw["label_col"], kw["num_folds"], kw["fold_col"]
    source = df if cached is None else cached
    stats = compute_stats(df, class_labels=MAX_CLASSES,
                          job_description="lasso_spark: multinomial statistics pass", **kw)
    total = stats.total
    p = stats.n_features
    center = total.mean_x + total.mean_x_lo
    sd = total.std_x
    scale = np.where(sd > 0.0, sd, 1.0)
    req = MultinomialPassRequest(center, scale, MAX_CLASSES, np.zeros(0, dtype=np.int64),
                                 np.zeros((0, MAX_CLASSES)), np.zeros((0, MAX_CLASSES, p)),
                                 np.zeros(0, dtype=bool), 1, num_folds, class_sums=True)
    runner = LogisticPasses(source, pass_input, (stats.n_rows_read, stats.n_rows_skipped),
                            "lasso_spark: multinomial class pass")
    res = runner(req)
    seen = np.flatnonzero(res.fold_class_weight.sum(axis=0) > 0.0)
    K = int(seen.max()) + 1 if seen.size else 0
    if K < 2:
        raise InvalidInputError(
            f"invalid input: the label column {label_col!r} has one class only "
            f"({total.n_rows} valid rows); a multinomial model needs at least 2",
            dict(stats.invalid_counts))
    cw = res.fold_class_weight[:, :K]  # (F, K)
    cz = res.class_sum_z[:, :K, :]  # (F, K, p)
    sq = res.fold_weight_sq

    def training(folds: list[int], st, held: int) -> MultinomialTraining:
        w_k = cw[folds].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            zbar = np.where(w_k[:, None] > 0, cz[folds].sum(axis=0) / w_k[:, None], 0.0)
        return MultinomialTraining(st, float(sq[folds].sum()), w_k, center + scale * zbar,
                                   None if held < 0 else cw[held].copy(), held)

    F = cw.shape[0]
    trainings = [training(list(range(F)), total, -1)]
    if validation:
        trains, _ = validation_split(stats.folds, f"validationCol {fold_col!r}")
        trainings.append(training([0], trains[0], 1))
    elif num_folds:
        trains, _ = kfold_splits(stats.folds)
        for k in range(num_folds):
            trainings.append(training([f for f in range(F) if f != k], trains[k], k))
    for tr in trainings:
        missing = np.flatnonzero(~(tr.class_weight > 0.0))
        if missing.size:
            what = "the data" if tr.fold < 0 else f"the training rows without fold {tr.fold}"
            raise InvalidInputError(
                f"invalid input: label class(es) {missing.tolist()[:10]} of 0..{K - 1} have no "
                f"rows in {what} (column {label_col!r}); labels must be 0, 1, …, K-1 with "
                "every class present", dict(stats.invalid_counts))
    return MultinomialData(stats, pass_input, trainings, center, scale, K, 2, source, cached)
