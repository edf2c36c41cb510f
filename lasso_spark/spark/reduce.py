"""Executor-side reduction of the per-partition statistics, so the driver memory stays O(K·p²).

The statistics pass (:func:`lasso_spark.spark.batch.partition_stats`) emits, per input partition,
one packed :class:`SuffStats` per non-empty fold (``8·(p(p+1)/2 + 3p + 5)`` bytes: the
co-moment's upper triangle, :class:`~lasso_spark.core.stats.PackedStats`) plus one counters
record. Collecting those directly costs the driver ``P · K · 4p²`` bytes for ``P`` partitions
(about 3.7 GiB at ``p = 1000, K = 5, P = 200``; Spark's ``spark.driver.maxResultSize`` stops it
first). When that product exceeds :data:`DRIVER_BUDGET_BYTES` (and, from at most
:data:`FEW_PARTITIONS` partitions, :data:`FEW_PARTITIONS_BYTES`: there the merge would at best
halve the bytes for a second job), a second level reduces the partials on the executors before
the collect:

    key   = (fold + 1) · G + pmod(spark_partition_id(), G)      (fold −1: the counters records)
    shuffle the partials by key into (K + 1) · G reducer partitions
    merge per fold with Chan's formula on the packed triangles (:meth:`PackedStats.merge`),
    streaming (:func:`merge_partials`)

so the driver receives at most ``(K + 1) · G`` records of which ``K · G`` carry statistics. The
extra stage reads only the shuffled partial statistics, never the input: the input is still
scanned exactly once. With stability-selection buckets the records are per cell
(:class:`~lasso_spark.spark.batch.BatchLayout`: ``B`` buckets, or ``K · B`` fold × bucket
cells) and ``K`` above reads as the number of cells: the same keys, merge and budget.

Why whole-statistics merges, not a sum of the packed vectors: centered co-moments about
different means do not add. A summable form about a common shift ``c`` (``Σw(x−c)(x−c)ᵀ``)
loses ``(|μ − c| / σ)²`` of relative precision when recentred, and no common ``c`` close to the
mean is known before the one pass ends (a feature with mean 1e6 and deviation 1e-2 would keep
nothing). Chan's merge with double-double means is exact to rounding whatever the order.

``G = min(ceil(√P), G_budget)`` with ``G_budget = DRIVER_BUDGET_BYTES // (K · 4p²)`` (at least
1); reducers then hold one or a few fold accumulators each (hash collisions of the keys).
When ``P`` cannot be known without running a job (Spark Connect, an unknown partitioning under
adaptive execution), :data:`ASSUMED_PARTITIONS` stands in for it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from lasso_spark.core.stats import PackedStats, SuffStats
from lasso_spark.spark.arrow_values import binary_array, int_array, numbers
from lasso_spark.spark.batch import OUTPUT_DDL, OUTPUT_SCHEMA, current_rss_bytes

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVER_BUDGET_BYTES",
    "MAX_GROUPS",
    "ASSUMED_PARTITIONS",
    "FEW_PARTITIONS",
    "FEW_PARTITIONS_BYTES",
    "RESULT_SIZE_SHARE",
    "choose_groups",
    "driver_memory_bytes",
    "max_result_bytes",
    "merge_partials",
    "num_partitions",
    "reduce_partials",
]

#: the per-partition results are collected as they are while they total at most this
DRIVER_BUDGET_BYTES = 64 * 1024 * 1024
#: upper bound on the groups per fold of the executor-side reduction
MAX_GROUPS = 64
#: partition count assumed when it cannot be read from the physical plan without a job
ASSUMED_PARTITIONS = 64
#: up to this many partitions the partials are collected directly while they total at most
#: :data:`FEW_PARTITIONS_BYTES`: merging 2–4 partials per fold on the executors saves at most
#: half of the bytes for a second job and a shuffle of all of them (at p = 1500, K = 5, two
#: partitions: 86 MiB, the merge job cost 0.9 s of a 4.0 s pass; at p = 4000, 611 MiB from 3
#: partitions, one empty (917 MiB at most), the merge job 4.0 s against ~2 s more of receiving
#: them all; ``benchmarks/README.md``)
FEW_PARTITIONS = 4
#: the most bytes of partials collected directly from :data:`FEW_PARTITIONS` partitions or
#: fewer (and at most :data:`RESULT_SIZE_SHARE` of ``spark.driver.maxResultSize``)
FEW_PARTITIONS_BYTES = 1024 * 1024 * 1024
#: the share of ``spark.driver.maxResultSize`` that partials collected directly may take
RESULT_SIZE_SHARE = 0.9
#: … and of the driver JVM's heap (``spark.driver.memory``), which holds them all while the
#: job's results are served: with Spark's default 1g heap, 256 MiB
DRIVER_HEAP_SHARE = 0.25
#: the driver heap assumed when ``spark.driver.memory`` cannot be read (Spark's default)
DEFAULT_DRIVER_MEMORY = 1 << 30


def choose_groups(
    n_partitions: int | None,
    n_stats: int,
    n_features: int,
    budget_bytes: int | None = None,
    max_result: int | None = None,
    driver_memory: int | None = None,
) -> int:
    """Groups per fold ``G`` of the executor-side reduction; 0 means collect the partials as is.

    0 when ``P · n_stats · 8·packed_size(p) ≤ budget_bytes`` (``P = n_partitions``, or
    :data:`ASSUMED_PARTITIONS` when unknown), or when a known ``P ≤`` :data:`FEW_PARTITIONS`
    sends at most ``max(budget_bytes,`` :data:`FEW_PARTITIONS_BYTES` ``)`` (and at most
    :data:`RESULT_SIZE_SHARE` of ``max_result``); else
    ``min(ceil(√P), budget // (n_stats · record), MAX_GROUPS)``, at least 1.
    ``budget_bytes`` defaults to :data:`DRIVER_BUDGET_BYTES`. ``max_result`` is the driver's
    ``spark.driver.maxResultSize`` in bytes (``None`` or 0: unlimited): the few partitions'
    partials are collected directly only within :data:`RESULT_SIZE_SHARE` of it, and within
    :data:`DRIVER_HEAP_SHARE` of ``driver_memory`` (``spark.driver.memory`` in bytes;
    ``None``: :data:`DEFAULT_DRIVER_MEMORY`).
    """
    if budget_bytes is None:
        budget_bytes = DRIVER_BUDGET_BYTES
    record = 8 * SuffStats.packed_size(n_features)
    per_partition = max(n_stats, 1) * record
    parts = ASSUMED_PARTITIONS if n_partitions is None else max(int(n_partitions), 1)
    if parts * per_partition <= budget_bytes:
        return 0
    few_cap = max(budget_bytes, FEW_PARTITIONS_BYTES)
    if max_result:
        few_cap = min(few_cap, int(RESULT_SIZE_SHARE * max_result))
    heap = driver_memory if driver_memory else DEFAULT_DRIVER_MEMORY
    few_cap = min(few_cap, max(budget_bytes, int(DRIVER_HEAP_SHARE * heap)))
    if (n_partitions is not None and parts <= FEW_PARTITIONS
            and parts * per_partition <= few_cap):
        return 0
    by_budget = max(1, budget_bytes // per_partition)
    return int(max(1, min(math.ceil(math.sqrt(parts)), by_budget, MAX_GROUPS)))


_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def _size_bytes(text: str) -> int | None:
    """A Spark size setting (``"1g"``, ``"512m"``, ``"1024"``, ``"2gb"``) in bytes."""
    text = text.strip().lower()
    text = text[:-1] if text.endswith("b") and len(text) > 1 and not text[-2].isdigit() else text
    number, unit = text.rstrip("bkmgt"), text[len(text.rstrip("bkmgt")):]
    if unit not in _SIZE_UNITS or not number.isdigit():
        return None
    return int(number) * _SIZE_UNITS[unit]


def _conf_bytes(spark, key: str, default: str) -> int | None:  # noqa: ANN001 - any session
    try:
        return _size_bytes(str(spark.conf.get(key, default)))
    except Exception:  # noqa: BLE001 - the setting only tunes the reduction
        return None


def max_result_bytes(spark) -> int | None:  # noqa: ANN001 - classic or Connect session
    """``spark.driver.maxResultSize`` in bytes (Spark's default 1g when unset; 0: unlimited;
    ``None`` when it cannot be read or parsed)."""
    return _conf_bytes(spark, "spark.driver.maxResultSize", "1g")


def driver_memory_bytes(spark) -> int | None:  # noqa: ANN001 - classic or Connect session
    """``spark.driver.memory`` in bytes (Spark's default 1g when unset; ``None`` when it cannot
    be read or parsed). A plain number is MiB there, as Spark reads it."""
    try:
        text = str(spark.conf.get("spark.driver.memory", "1g")).strip()
    except Exception:  # noqa: BLE001 - the setting only tunes the reduction
        return None
    return _size_bytes(text + "m" if text.isdigit() else text)


def num_partitions(df) -> int | None:  # noqa: ANN001 - classic or Connect DataFrame
    """Partitions of ``df`` read from its physical plan without running a job; ``None`` if unknown.

    Spark Connect exposes no plan, so ``None``. In classic sessions: the plan's output
    partitioning when it has a number (under adaptive execution, that of the plan before
    stage creation, e.g. ``repartition(n)``); otherwise, for a plan with no exchange and no
    subquery (a scan and narrow operators), the partitions of its RDD, which building the RDD
    does not run any job for. Anything else (an adaptive plan of unknown partitioning) ``None``.
    """
    jdf = getattr(df, "_jdf", None)
    if jdf is None:
        return None
    try:
        plan = jdf.queryExecution().executedPlan()
        if plan.getClass().getSimpleName() == "AdaptiveSparkPlanExec":
            n = int(plan.inputPlan().outputPartitioning().numPartitions())
            return n if n > 0 else None
        n = int(plan.outputPartitioning().numPartitions())
        if n > 0:
            return n
        tree = str(plan.treeString())
        if "Exchange" in tree or "Subquery" in tree:
            return None
        return int(plan.execute().getNumPartitions())
    except Exception:  # noqa: BLE001 - the count only tunes the reduction
        logger.debug("partition count unavailable", exc_info=True)
        return None


def merge_partials(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Reducer (``mapInArrow`` body): the partials of this task merged per fold, streaming.

    Input and output records have the pass's schema (:data:`OUTPUT_DDL`): ``fold ≥ 0`` with a
    packed :class:`SuffStats`, ``fold = −1`` with the int64 counters and a peak worker RSS.
    Output: one record per fold seen (Chan merge) and, if any counters came in, one counters
    record (their sum; RSS the largest of theirs and this reducer's). Memory: one accumulator
    per fold seen plus one input batch.
    """
    acc: dict[int, PackedStats] = {}
    counts: np.ndarray | None = None
    peak = current_rss_bytes()
    for rb in batches:
        folds = numbers(rb.column(0), np.int64, null=-1)
        stats = rb.column(1)
        cnts = rb.column(2)
        rss = numbers(rb.column(3), np.int64, null=0)
        for i, fold in enumerate(folds):
            k = int(fold)
            if k < 0:
                c = np.frombuffer(cnts[i].as_buffer(), dtype=np.int64)
                counts = c.copy() if counts is None else counts + c
                peak = max(peak, int(rss[i]))
                continue
            s = PackedStats.from_vector(np.frombuffer(stats[i].as_buffer(), dtype=np.float64))
            acc[k] = s if k not in acc else acc[k].merge(s)
        peak = max(peak, current_rss_bytes())
    folds_out, stats_out, counts_out, rss_out = [], [], [], []
    for k in sorted(acc):
        folds_out.append(k)
        stats_out.append(acc[k].vector().tobytes())
        counts_out.append(b"")
        rss_out.append(0)
    if counts is not None:
        folds_out.append(-1)
        stats_out.append(b"")
        counts_out.append(counts.tobytes())
        rss_out.append(peak)
    if not folds_out:
        return
    yield pa.RecordBatch.from_arrays(
        [
            int_array(folds_out, pa.int32()),
            binary_array(stats_out),
            binary_array(counts_out),
            int_array(rss_out),
        ],
        schema=OUTPUT_SCHEMA,
    )


def reduce_partials(partials, n_stats: int, groups: int):  # noqa: ANN001, ANN201 - DataFrames
    """The partials DataFrame (schema :data:`OUTPUT_DDL`) reduced to ≤ ``(n_stats+1)·groups``
    records by a shuffle on ``(fold, partition mod groups)`` and :func:`merge_partials`."""
    from pyspark.sql import functions as F

    g = int(groups)
    if g < 1:
        raise ValueError(f"groups must be at least 1, got {groups}")
    key = (F.col("fold") + 1) * F.lit(g) + F.pmod(F.spark_partition_id(), F.lit(g))
    return (
        partials.withColumn("_reduce_key", key)
        .repartition((n_stats + 1) * g, "_reduce_key")
        .drop("_reduce_key")
        .mapInArrow(merge_partials, OUTPUT_DDL)
    )
