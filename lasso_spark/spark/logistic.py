"""Logistic (binomial) passes over a Spark DataFrame.

1. :func:`binomial_statistics` — the statistics pass (:func:`lasso_spark.spark.compute_stats`
   with ``binary_label``: a label other than 0 or 1 is an invalid row, named with its count) and
   the one-class check; it returns, per model (the model of all rows, then one per CV fold or
   the validation split), the training rows' statistics the logistic path starts from. With a
   weight column, MLlib's sample standard deviation also needs ``Σ w²`` of each training set:
   one more pass, over the same projection, reads it (without weights it is the row count).
2. :class:`LogisticPasses` — one ``mapInArrow`` pass per outer iteration of
   :func:`lasso_spark.core.logistic.logistic_path`: every chunk of valid rows
   (:class:`lasso_spark.spark.chunks.ChunkReader`, which counts and drops invalid rows exactly
   as the statistics pass does and hashes the same fold ids) goes through
   :func:`lasso_spark.core.binomial.accumulate_chunk` for all the points in flight; the
   partitions' float vectors are summed (:func:`lasso_spark.spark.sums.sum_pass`,
   sliced and summed on the executors when they are large, e.g. many Hessians at large p).

With ``cache=True`` (``cacheInput``) the passes read a persisted copy of what they need
(:func:`lasso_spark.spark.pass_cache.pass_cache`: the packed projection of an input that is
not persisted itself, filled by the statistics pass, which then reads the input once; the
features unpacked from a vector column into one ``array<double>``, persisted input or not,
filled by the first pass after the statistics pass). MLlib ``LogisticRegression`` caches its
instances when the input is not cached. :attr:`BinomialData.cached` holds the cached frame:
the caller releases it (:meth:`BinomialData.release`); a failure in this module releases it
here.

The executor side needs numpy and pyarrow only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pyarrow as pa

from lasso_spark.core.binomial import PassLayout, PassRequest, PassResult
from lasso_spark.core.cv import kfold_splits, validation_split
from lasso_spark.core.logistic import BinomialTraining
from lasso_spark.core.stats import SuffStats
from lasso_spark.spark.batch import BatchLayout
from lasso_spark.spark.chunks import Chunk, ChunkReader
from lasso_spark.spark.errors import InvalidInputError
from lasso_spark.spark.heap import keep_freed_memory
from lasso_spark.spark.inputs import ResolvedInput, resolve_input
from lasso_spark.spark.pass_cache import pass_cache
from lasso_spark.spark.stats import StatsResult, compute_stats
from lasso_spark.spark.sums import emit, sum_pass

logger = logging.getLogger(__name__)

__all__ = ["BinomialData", "LogisticPasses", "binomial_statistics", "logistic_pass_body"]


def _dense(ch: Chunk, p: int) -> np.ndarray:
    """The chunk's rows as a dense ``(m, p)`` matrix."""
    if ch.X is not None:
        return ch.X
    X = np.zeros((ch.n_rows, p))
    rows = np.repeat(np.arange(ch.n_rows), np.diff(ch.indptr))
    X[rows, ch.cols] = ch.vals
    return X


def logistic_pass_body(
    batches: Iterator[pa.RecordBatch],
    layout: BatchLayout,
    request: PassRequest,
    slice_len: int = 0,
) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` body: this partition's pass sums (:class:`PassLayout`) followed by its
    invalid-row counters, as one float64 vector (:func:`emit`). The worker keeps its freed
    memory for the chunks' temporaries (:func:`lasso_spark.spark.heap.keep_freed_memory`)."""
    keep_freed_memory()
    size = request.layout().size
    out = np.zeros(size + layout.n_counters)
    reader = ChunkReader(layout, dense=True)
    weighted = layout.weight_column is not None
    folds = layout.num_folds > 0
    for ch in reader.chunks(batches):
        request.accumulate(_dense(ch, layout.n_features), ch.y, ch.w if weighted else None,
                           ch.fold if folds else None, out[:size])
    out[size:] = reader.counts
    yield from emit(out, slice_len)


@dataclass
class LogisticPasses:
    """Runs the logistic passes over one resolved input (a callable ``request -> result``).

    ``expected_counts`` are the statistics pass's counters: every pass must read the same rows
    and drop the same invalid ones, else the input changed between passes (an error: the
    path would mix two data sets). ``seconds`` and ``points`` log each pass.
    """

    df: object
    resolved: ResolvedInput
    expected_counts: tuple[int, int] | None = None
    description: str = "lasso_spark: logistic pass"
    seconds: list[float] = field(default_factory=list)
    points: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._proj = self.df.select(*self.resolved.columns)

    @property
    def n_passes(self) -> int:
        return len(self.seconds)

    def raw(self, request: PassRequest) -> tuple[np.ndarray, np.ndarray]:
        """One pass: ``(sums, counters)``."""
        t0 = time.perf_counter()
        layout = self.resolved.layout
        lay: PassLayout = request.layout()
        body = partial(logistic_pass_body, layout=layout, request=request)
        n = len(self.seconds) + 1
        what = (f"{self.description} {n}: {request.n_points} models in flight, "
                f"{layout.n_features} features")
        total = sum_pass(self._proj, body, lay.size + layout.n_counters, what)
        counts = np.rint(total[lay.size :]).astype(np.int64)
        if self.expected_counts is not None:
            got = (int(counts[0]), int(counts[1]))
            if got != self.expected_counts:
                raise InvalidInputError(
                    f"the input changed between passes: the statistics pass read "
                    f"{self.expected_counts[0]} rows ({self.expected_counts[1]} invalid), "
                    f"logistic pass {n} read {got[0]} ({got[1]} invalid); cache the "
                    "DataFrame or make it deterministic"
                )
        self.seconds.append(time.perf_counter() - t0)
        self.points.append(request.n_points)
        logger.debug("%s in %.2fs", what, self.seconds[-1])
        return total[: lay.size], counts

    def __call__(self, request: PassRequest) -> PassResult:
        sums, _ = self.raw(request)
        return request.result(sums)


@dataclass(frozen=True)
class BinomialData:
    """What the first pass(es) found: the statistics, the resolved input of the passes, one
    :class:`BinomialTraining` per model (``[all rows, CV split 0, …]``), the pass coordinates
    (full-data mean and population std), the number of data passes so far, the frame the
    passes read (``source``: the input or its cached projection) and the cached projection
    (``cached``, None when nothing was cached)."""

    stats: StatsResult
    resolved: ResolvedInput
    trainings: list[BinomialTraining]
    center: np.ndarray
    scale: np.ndarray
    n_passes: int
    source: object
    cached: object

    def passes(self) -> LogisticPasses:
        """The logistic passes over :attr:`source` (the cache when there is one)."""
        return LogisticPasses(self.source, self.resolved,
                              (self.stats.n_rows_read, self.stats.n_rows_skipped))

    def release(self) -> None:
        """Unpersist the cached projection, if any (idempotent)."""
        if self.cached is not None:
            self.cached.unpersist()


def _class_check(stats: StatsResult, label_col: str, trains: Sequence[SuffStats],
                 split_ids: Sequence[int]) -> None:
    """One class only (in all rows or in a CV training set) is a data error, before the path."""
    total = stats.total
    ybar = float(total.mean_y + total.mean_y_lo)
    pos = ybar * total.weight_sum
    if not 0.0 < ybar < 1.0:
        raise InvalidInputError(
            f"invalid input: the label column {label_col!r} has one class only "
            f"({total.n_rows} valid rows, weight of label 1: {pos:g}, of label 0: "
            f"{total.weight_sum - pos:g}); a logistic model needs both 0 and 1",
            dict(stats.invalid_counts),
        )
    for k, tr in zip(split_ids, trains):
        yk = float(tr.mean_y + tr.mean_y_lo)
        if not 0.0 < yk < 1.0:
            raise InvalidInputError(
                f"invalid input: without fold {k}, the label column {label_col!r} has one "
                f"class only ({tr.n_rows} rows); use fewer folds or check the fold column",
                dict(stats.invalid_counts),
            )


def binomial_statistics(
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
    job_description: str | None = None,
    cache: bool = False,
) -> BinomialData:
    """The statistics pass and the trainings of every model (module docstring).

    ``validation``: ``fold_col`` is a boolean column; the one CV model trains on the false
    rows (fold 0) and is scored on the true ones (fold 1). ``cache``: the passes read a
    persisted copy (module docstring); the caller releases it.
    """
    kw = dict(features_col=features_col, input_cols=input_cols, label_col=label_col,
              weight_col=weight_col, num_folds=num_folds, fold_col=fold_col, seed=seed,
              handle_invalid=handle_invalid, num_features=num_features)
    resolved = resolve_input(df, binary_label=True, **kw)
    cached, source, pass_input = None, df, resolved
    if cache:
        cached, pass_input = pass_cache(df, resolved)
        source = df if cached is None else cached
    try:
        return _binomial_data(df, kw, source, pass_input, cached, validation, job_description)
    except BaseException:
        if cached is not None:
            cached.unpersist()
        raise


def _binomial_data(df: object, kw: dict, source: object, pass_input: ResolvedInput,
                   cached: object, validation: bool, job_description: str | None
                   ) -> BinomialData:
    """:func:`binomial_statistics` after the input is resolved (and its projection cached)."""
    num_folds, fold_col = kw["num_folds"], kw["fold_col"]
    label_col, weight_col = kw["label_col"], kw["weight_col"]
    stats = compute_stats(df, binary_label=True, job_description=job_description, **kw)
    if validation:  # fold 1 (the true rows) held out of two
        trains, held = validation_split(stats.folds, f"validationCol {fold_col!r}")
        splits = [1]
    elif num_folds:
        trains, held = kfold_splits(stats.folds)
        splits = list(range(num_folds))
    else:
        trains, held, splits = [], [], []
    _class_check(stats, label_col, trains, splits)
    n_passes = 1
    if weight_col is None:
        sq = np.array([float(s.n_rows) for s in stats.folds])
    else:  # Σ w² per fold: the pass arithmetic's per-fold sums, with no model in flight
        p = stats.n_features
        empty = PassRequest(np.zeros(p), np.ones(p), np.zeros(0, dtype=np.int64), np.zeros(0),
                            np.zeros((0, p)), np.zeros(0, dtype=bool), 1, None, num_folds)
        runner = LogisticPasses(source, pass_input, (stats.n_rows_read, stats.n_rows_skipped),
                                "lasso_spark: sum of squared weights")
        sq = runner(empty).fold_weight_sq
        n_passes += 1
    total = stats.total
    trainings = [BinomialTraining(total, float(sq.sum()))]
    for k, tr, ho in zip(splits, trains, held):
        trainings.append(BinomialTraining(tr, float(sq.sum() - sq[k]), ho, k))
    sd = total.std_x
    return BinomialData(stats, pass_input, trainings, total.mean_x + total.mean_x_lo,
                        np.where(sd > 0.0, sd, 1.0), n_passes, source, cached)
