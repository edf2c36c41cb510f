"""One pass over a Spark DataFrame → weighted sufficient statistics for every CV fold.

The input is projected to float64 features (numeric columns or one ``VectorUDT`` column), the
label, the optional weight and the fold id, then reduced partition by partition with
``mapInArrow`` (see :mod:`lasso_spark.spark.batch`): no RDD API, no row objects, no ``count()``
first and no cache. Each partition returns ``O(K·p²)`` bytes. When all partitions' results
together are small they are collected and merged on the driver per fold with Chan's formula
(:func:`lasso_spark.core.merge_all`); otherwise a shuffle of those partial statistics (never of
the input) merges them on the executors first (:mod:`lasso_spark.spark.reduce`), so the driver
receives ``O(K·G·p²)`` bytes with ``G ≤ √partitions`` groups within a byte budget. The input
is scanned exactly once either way.

Fold ids come from ``fold_col`` (values in ``[0, K)``) or are hashed from each row's values inside
the Arrow batches (:mod:`lasso_spark.spark.fold_hash`: features, label and weight as doubles; a
vector by its values, so a dense and a sparse encoding of one vector share a fold): a function of
the seed and the row's content, hence the same whatever the partitioning, on task retries and in
wide mode. :func:`lasso_spark.spark.assign_folds` adds them to a DataFrame as a column.
Up to ``PACKED_MAX_FEATURES`` numeric feature columns reach Python packed with the label in one
``array<double>`` column, which Spark converts to Arrow about twice as fast as ``p + 1`` separate
columns at p = 50 and still faster at p = 1500 and 4000 on Spark 4.0 (the ``p + 1`` double
fields of one struct column remain for widths :mod:`lasso_spark.spark.batch` gives them: none
by default; ``benchmarks/README.md``). Each
fold's rows of a chunk are one BLAS ``syrk`` into that fold's running co-moment
(:mod:`lasso_spark.spark.moments`). The pass's jobs run with Arrow batches of about 16 MiB
(:mod:`lasso_spark.spark.arrow_batches`: fewer rows than Spark's default 10,000 once rows are
wider than ~200 doubles), so that the JVM writes the next batch while Python reduces this one.

For stability selection the same pass also hashes every row into one of ``B`` buckets
(``num_buckets``; the fold hash modulo ``B``) and returns each bucket's statistics: the
statistics of any half of the data are then the merge of half the buckets
(:mod:`lasso_spark.core.stability`), with no further pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from pyspark.sql import DataFrame

from lasso_spark.core.errors import DataError
from lasso_spark.core.stability import DEFAULT_BUCKET_MEMORY_BYTES, check_bucket_memory
from lasso_spark.core.stats import PackedStats, SuffStats, merge_all, merge_tree
from lasso_spark.spark.arrow_batches import batch_rows_at_most, rows_per_batch
from lasso_spark.spark.batch import (
    KIND_BINARY,
    KIND_CLASS,
    KIND_NEGATIVE,
    KIND_NONFINITE,
    KIND_RANGE,
    KIND_SIZE,
    N_HEAD_COUNTERS,
    OUTPUT_DDL,
    BatchLayout,
    partition_stats,
)
from lasso_spark.spark.collect import receive_records
from lasso_spark.spark.errors import InvalidInputError
from lasso_spark.spark.inputs import ResolvedInput, resolve_input
from lasso_spark.spark.progress import job_label
from lasso_spark.spark.reduce import (
    choose_groups,
    driver_memory_bytes,
    max_result_bytes,
    num_partitions,
    reduce_partials,
)

logger = logging.getLogger(__name__)

__all__ = ["StatsResult", "compute_stats"]


@dataclass(frozen=True)
class StatsResult:
    """What one statistics pass returns.

    ``folds[k]`` are the statistics of the rows of fold ``k`` (``[total]`` when ``num_folds``
    is 0); ``total`` is their merge. ``n_rows_read`` counts every input row, ``n_rows_skipped``
    the rows dropped as invalid (``handle_invalid="skip"``), ``invalid_counts`` the bad rows per
    column (a row bad in two columns counts in both). ``peak_worker_rss_bytes`` is the largest
    resident memory a Python worker had while accumulating (sampled after each chunk).
    ``reduce_groups`` is the number of groups per fold of the executor-side reduction (0: the
    partitions' results were collected as they are); ``driver_result_bytes`` is the size of
    the packed statistics the driver received. ``buckets[b]`` are the statistics of the rows
    hashed into bucket ``b`` (``num_buckets > 0``, for stability selection; ``None`` without).
    """

    folds: list[SuffStats]
    total: SuffStats
    feature_names: list[str]
    n_rows_read: int
    n_rows_skipped: int
    invalid_counts: dict[str, int]
    elapsed_seconds: float
    num_folds: int
    peak_worker_rss_bytes: int = 0
    reduce_groups: int = 0
    driver_result_bytes: int = 0
    buckets: list[SuffStats] | None = None
    num_buckets: int = 0

    @property
    def n_features(self) -> int:
        return len(self.feature_names)


def compute_stats(
    df: DataFrame,
    *,
    features_col: str | None = None,
    input_cols: Sequence[str] | None = None,
    label_col: str = "label",
    weight_col: str | None = None,
    num_folds: int = 0,
    fold_col: str | None = None,
    seed: int = 0,
    handle_invalid: str = "error",
    job_description: str | None = None,
    num_features: int | None = None,
    reduce_groups: int | None = None,
    num_buckets: int = 0,
    bucket_memory_limit: int | None = None,
    binary_label: bool = False,
    class_labels: int = 0,
) -> StatsResult:
    """Weighted means and centered co-moments of ``(X, y)`` per fold, in one pass over ``df``.

    Exactly one of ``features_col`` (a ``pyspark.ml.linalg`` vector column, dense or sparse)
    and ``input_cols`` (numeric columns) gives the features. Feature names come from the column
    names, or from the vector column's ML attribute metadata, else ``f"{col}[{i}]"``. The
    vector size is taken from that metadata or ``num_features``; without either, a one-row
    probe job reads the first vector (pass ``num_features`` to keep to the single pass).

    ``num_folds = K ≥ 2`` returns ``K`` per-fold statistics; fold ids come from ``fold_col`` (an
    integer column with values in ``[0, K)``) or from a hash of each row's values and ``seed``
    (:mod:`lasso_spark.spark.fold_hash`; :func:`assign_folds` reproduces them). Invalid rows —
    null/NaN/±inf in a feature, the label or the weight, negative weights, vectors of the wrong
    size, fold ids outside ``[0, K)`` — are counted in the same pass; ``handle_invalid="error"``
    then raises one :class:`InvalidInputError` naming every bad column with its count, ``"skip"``
    drops them and reports the counts.

    Raises ``ValueError`` for bad arguments, missing or non-numeric columns before any job
    runs, and :class:`InvalidInputError` when no valid rows (or zero total weight) remain.

    ``reduce_groups`` tunes how partition results reach the driver: ``None`` (default) chooses
    from the partition count and ``p`` (:func:`lasso_spark.spark.reduce.choose_groups`), 0
    collects them as they are, ``G ≥ 1`` merges them on the executors into ``G`` groups per
    fold first (a shuffle of the partial statistics only).

    ``num_buckets = B ≥ 2`` also returns ``B`` bucket statistics (``StatsResult.buckets``) from
    the same pass: each row's bucket is the fold hash of its values and ``seed`` modulo ``B``
    (so :func:`assign_folds` with ``num_folds=B`` reproduces the buckets). With hashed folds
    ``B`` must be a multiple of ``K`` and the folds are unions of buckets (the same folds as
    without buckets); with ``fold_col`` the pass keeps ``K · B`` fold × bucket cells. Before
    any job, :class:`~lasso_spark.core.stability.BucketMemoryError` refuses a pass whose cells
    would exceed ``bucket_memory_limit`` bytes (default
    :data:`~lasso_spark.core.stability.DEFAULT_BUCKET_MEMORY_BYTES`): each task and the driver
    hold them all.
    """
    started = time.perf_counter()
    resolved = resolve_input(
        df,
        features_col=features_col,
        input_cols=input_cols,
        label_col=label_col,
        weight_col=weight_col,
        num_folds=num_folds,
        fold_col=fold_col,
        seed=seed,
        handle_invalid=handle_invalid,
        num_features=num_features,
        num_buckets=num_buckets,
        binary_label=binary_label,
        class_labels=class_labels,
    )
    layout = resolved.layout
    p = layout.n_features
    if num_buckets:
        limit = DEFAULT_BUCKET_MEMORY_BYTES if bucket_memory_limit is None else bucket_memory_limit
        cells = "" if layout.n_stats == num_buckets else f" x {num_folds} folds"
        check_bucket_memory(layout.n_stats, p, int(limit),
                            f"the statistics of {num_buckets} buckets{cells}")
    description = job_description or (
        f"lasso_spark: statistics, {num_folds} folds, {p} features"
        if num_folds
        else f"lasso_spark: statistics, {p} features"
    )
    if num_buckets and not job_description:
        description += f", {num_buckets} buckets"
    if reduce_groups is not None and (isinstance(reduce_groups, bool) or reduce_groups < 0):
        raise ValueError(f"reduce_groups must be None or an integer >= 0, got {reduce_groups!r}")
    rows, groups = _run_pass(df, resolved, description, reduce_groups)
    cells, total, counts, peak_rss, driver_bytes = _gather(rows, layout)
    del rows
    folds, buckets = _folds_and_buckets(cells, layout)

    n_read, n_skipped, invalid_counts = check_counts(
        counts, layout, handle_invalid, total.n_rows, total.weight_sum, weight_col
    )
    check_finite(total, resolved.feature_names, label_col)
    for k, s in enumerate(folds if num_folds else []):
        if s.n_rows == 0:
            logger.warning("fold %d of %d has no valid rows", k, num_folds)
    elapsed = time.perf_counter() - started
    logger.info(
        "statistics of %d rows x %d features (%d folds) in %.2fs; %d rows skipped",
        n_read,
        p,
        num_folds,
        elapsed,
        n_skipped,
    )
    return StatsResult(
        folds=folds if num_folds else [total],
        total=total,
        feature_names=resolved.feature_names,
        n_rows_read=n_read,
        n_rows_skipped=n_skipped,
        invalid_counts=invalid_counts,
        elapsed_seconds=elapsed,
        num_folds=num_folds,
        peak_worker_rss_bytes=peak_rss,
        reduce_groups=groups,
        driver_result_bytes=driver_bytes,
        buckets=buckets,
        num_buckets=num_buckets,
    )


def _folds_and_buckets(cells: list[SuffStats], layout: BatchLayout
                       ) -> tuple[list[SuffStats], list[SuffStats] | None]:
    """Per-fold and per-bucket statistics from the pass's cells (``BatchLayout.n_stats``)."""
    if not layout.num_buckets:
        return cells, None
    p = layout.n_features
    buckets = [merge_all([cells[c] for c in layout.bucket_cells(b)], n_features=p)
               for b in range(layout.num_buckets)]
    folds = [merge_all([cells[c] for c in layout.fold_cells(k)], n_features=p)
             for k in range(layout.num_folds)]
    return folds, buckets


def check_finite(total: SuffStats, feature_names: Sequence[str], label_col: str) -> None:
    """Statistics that overflowed float64 (every value bounded, but their squares summed over
    many rows too large): a :class:`DataError` naming the columns, never a failure later."""
    if total.n_rows == 0:
        return
    x_bad = ~(np.isfinite(np.diagonal(total.cxx)) & np.isfinite(total.mean_x))
    y_bad = not (np.isfinite(total.cyy) and np.isfinite(total.mean_y))
    if not (x_bad.any() or y_bad or not np.isfinite(total.cxy).all()):
        return
    names = [n for n, b in zip(feature_names, x_bad) if b] + ([label_col] if y_bad else [])
    names = names or list(feature_names)
    raise DataError(
        f"the sums of squares of column(s) {names[:10]} over {total.n_rows} rows overflow "
        "float64: rescale them (values must stay far below 1e154)"
    )


def _run_pass(df: DataFrame, resolved: ResolvedInput, description: str,
              reduce_groups: int | None) -> tuple[list, int]:
    """The one Spark job: the projection reduced per partition, merged on the executors first
    when the partials would be large (``groups > 0``); its rows and the group count."""
    layout = resolved.layout
    projected = df.select(*resolved.columns)
    pass_df = projected.mapInArrow(partial(partition_stats, layout=layout), OUTPUT_DDL)
    if reduce_groups is None:
        n_parts = num_partitions(df)  # a projection keeps its input's partitions; the
        # input's plan is the cheaper one to build at thousands of columns
        groups = choose_groups(n_parts, layout.n_stats, layout.n_features,
                               max_result=max_result_bytes(df.sparkSession),
                               driver_memory=driver_memory_bytes(df.sparkSession))
        logger.debug("statistics pass: %s partitions -> %d reduce groups", n_parts, groups)
    else:
        groups = int(reduce_groups)
    if groups > 0:
        pass_df = reduce_partials(pass_df, layout.n_stats, groups)
        description += f" (executor merge in {groups} groups)"
    spark = df.sparkSession
    rows = rows_per_batch(layout.n_features + 1)  # wide rows: batches of ~16 MiB
    # at most one record per cell and one of counters per (reducer) partition
    partition_bytes = layout.n_stats * 8 * SuffStats.packed_size(layout.n_features)
    with job_label(spark, description), batch_rows_at_most(spark, rows):
        return receive_records(pass_df, partition_bytes), groups


def _gather(rows: list, layout: BatchLayout
            ) -> tuple[list[SuffStats], SuffStats, np.ndarray, int, int]:
    """``(per-cell statistics, their merge, summed counters, peak worker memory, bytes
    received)``. The merges run on the packed triangles and ``Cxx`` is rebuilt once per
    result: the same Chan arithmetic on the upper triangle as on the full matrices (whose
    lower triangle mirrors it exactly), so the total is ``merge_all(cells)`` bit for bit at
    half the flops and memory (1.5 s of a p = 4000 pass on the full matrices)."""
    packed: list[list[np.ndarray]] = [[] for _ in range(layout.n_stats)]
    counts = np.zeros(layout.n_counters, dtype=np.int64)
    peak_rss = 0
    driver_bytes = 0
    for row in rows:
        if row["fold"] < 0:
            counts += np.frombuffer(bytes(row["counts"]), dtype=np.int64)
            peak_rss = max(peak_rss, int(row["peak_rss_bytes"] or 0))
        else:
            vec = np.frombuffer(row["stats"], dtype=np.float64)  # a view: no copy of 4p² bytes
            driver_bytes += vec.nbytes
            packed[row["fold"]].append(vec)
    p = layout.n_features
    # merged in the packed form (half the memory and flops), Cxx rebuilt once per result
    merged = [merge_tree((PackedStats.from_vector(v) for v in vs), lambda: PackedStats.empty(p))
              for vs in packed]
    total = merge_tree(merged, lambda: PackedStats.empty(p)).suff_stats()
    return [m.suff_stats() for m in merged], total, counts, peak_rss, driver_bytes


def check_counts(
    counts: np.ndarray,
    layout: BatchLayout,
    handle_invalid: str,
    n_valid: int,
    weight_sum: float,
    weight_col: str | None,
    subject: str = "",
) -> tuple[int, int, dict[str, int]]:
    """``(rows read, rows skipped, bad rows by column)`` from a pass's summed counters.

    Raises :class:`InvalidInputError` for bad rows under ``handle_invalid="error"``, no rows,
    no valid rows, or a zero total weight. ``subject`` qualifies the rows in the messages
    (e.g. ``" to score"``).
    """
    n_read, n_skipped = int(counts[0]), int(counts[1])
    by_key = {key: int(c) for key, c in zip(layout.counter_keys, counts[N_HEAD_COUNTERS:])}
    invalid_counts: dict[str, int] = {}
    for (column, _kind), c in by_key.items():
        if c:
            invalid_counts[column] = invalid_counts.get(column, 0) + c
    if n_skipped and handle_invalid == "error":
        raise InvalidInputError(_invalid_message(by_key, layout, n_read), invalid_counts)
    if n_read == 0:
        raise InvalidInputError(f"invalid input: the DataFrame{subject} has no rows")
    if n_valid == 0:
        raise InvalidInputError(
            f"invalid input: no valid rows{subject} ({n_read} read, all {n_skipped} skipped: "
            f"{_invalid_message(by_key, layout, n_read, prefix='')})",
            invalid_counts,
        )
    if not weight_sum > 0.0:
        raise InvalidInputError(
            f"invalid input: the total weight in column {weight_col!r} of the "
            f"{n_valid} valid rows{subject} is zero",
            invalid_counts,
        )
    return n_read, n_skipped, invalid_counts


def _invalid_message(
    by_key: dict[tuple[str, str], int],
    layout: BatchLayout,
    n_read: int,
    prefix: str = "invalid input: ",
) -> str:
    """``"invalid input: 3 rows with null/NaN/inf in column 'x2'; ..."`` for the bad keys."""
    what = {
        KIND_NONFINITE: "null/NaN/inf",
        KIND_NEGATIVE: "negative weight",
        KIND_SIZE: f"wrong vector size (expected {layout.n_features}) or malformed vector",
        KIND_RANGE: f"fold id null or outside [0, {layout.num_folds})",
        KIND_BINARY: "a label other than 0 or 1",
        KIND_CLASS: f"a label that is not a class index 0, 1, …, {layout.class_labels - 1}",
    }
    parts = []
    for (column, kind), c in by_key.items():
        if c:
            rows = "row" if c == 1 else "rows"
            parts.append(f"{c} {rows} with {what[kind]} in column {column!r}")
    if not prefix:
        return "; ".join(parts)
    return (
        prefix
        + "; ".join(parts)
        + f" (of {n_read} rows read; handle_invalid='skip' drops them)"
    )
