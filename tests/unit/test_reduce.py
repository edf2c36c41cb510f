"""Executor-side reduction of partition statistics (merge_partials, choose_groups), no Spark."""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pytest

from lasso_spark.core import SuffStats
from lasso_spark.spark.batch import BatchLayout, partition_stats
from lasso_spark.spark.reduce import (
    ASSUMED_PARTITIONS,
    DRIVER_BUDGET_BYTES,
    MAX_GROUPS,
    choose_groups,
    merge_partials,
)
from tests.unit.test_batch import _batch

P = 4


def _partitions(X, y, fold, n_parts, K):
    """The pass's records of each of ``n_parts`` contiguous partitions of the rows."""
    lay = BatchLayout(
        n_features=P,
        feature_columns=tuple(f"x{j}" for j in range(P)),
        label_column="y",
        num_folds=K,
        fold_column="f",
    )
    out = []
    for rows in np.array_split(np.arange(len(y)), n_parts):
        batch = _batch(X[rows], y[rows], fold=fold[rows])
        out.extend(partition_stats(iter([batch]), layout=lay))
    return out


def _decode(records):
    folds, counts, peak = {}, None, 0
    for rb in records:
        d = rb.to_pydict()
        for k, s, c, r in zip(d["fold"], d["stats"], d["counts"], d["peak_rss_bytes"]):
            if k < 0:
                v = np.frombuffer(c, dtype=np.int64)
                counts = v.copy() if counts is None else counts + v
                peak = max(peak, r)
            else:
                assert k not in folds, "one record per fold"
                folds[k] = SuffStats.unpack(np.frombuffer(s, dtype=np.float64))
    return folds, counts, peak


def test_merge_partials_equals_numpy_on_large_means():
    """Means 1e6, spreads 1e-2, 40 partitions merged by one reducer: per-fold stats exact."""
    rng = np.random.default_rng(5)
    n, K = 6000, 3
    Z = rng.normal(size=(n, P))
    X = 1e6 + 1e-2 * Z
    y = Z @ np.arange(1.0, P + 1) + rng.normal(size=n)
    fold = rng.integers(0, K, n)
    records = _partitions(X, y, fold, 40, K)
    # the reducer sees its input in several Arrow batches
    out = list(merge_partials(iter([records[0], pa.concat_batches(records[1:25])] + records[25:])))
    assert len(out) == 1 and out[0].num_rows == K + 1
    folds, counts, peak = _decode(out)
    assert counts[0] == n and counts[1] == 0
    assert peak > 0
    for k in range(K):
        m = fold == k
        ref = SuffStats.from_arrays(X[m], y[m])
        assert folds[k].n_rows == int(m.sum())
        assert folds[k].allclose(ref, rtol=1e-10)
        got = folds[k].cxx / np.outer(folds[k].std_x, folds[k].std_x) / folds[k].weight_sum
        want = ref.cxx / np.outer(ref.std_x, ref.std_x) / ref.weight_sum
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_merge_partials_two_levels_equal_one_level():
    rng = np.random.default_rng(8)
    n, K = 3000, 4
    X = rng.normal(size=(n, P)) * 3 + 7
    y = rng.normal(size=n)
    fold = rng.integers(0, K, n)
    records = _partitions(X, y, fold, 12, K)
    direct, counts1, _ = _decode(merge_partials(iter(records)))
    # reducers over groups of partitions, then a merge of their outputs
    level1 = [rb for g in range(3) for rb in merge_partials(iter(records[g::3]))]
    assert sum(rb.num_rows for rb in level1) == 3 * (K + 1)
    two, counts2, _ = _decode(merge_partials(iter(level1)))
    np.testing.assert_array_equal(counts1, counts2)
    for k in range(K):
        assert direct[k].n_rows == two[k].n_rows
        assert direct[k].allclose(two[k], rtol=1e-12)


def test_merge_partials_of_nothing_emits_nothing():
    assert list(merge_partials(iter([]))) == []


def test_choose_groups():
    record = 8 * SuffStats.packed_size(1000)
    # small results: collected as they are, however many partitions
    assert choose_groups(10_000, 5, 5) == 0
    assert choose_groups(1, 5, 1000) == 0  # 40 MB from one partition fits the budget
    # p = 1000, K = 5, 200 partitions: 7.5 GiB → G bounded by sqrt(P) and by the budget
    g = choose_groups(200, 5, 1000)
    assert 1 <= g <= min(15, DRIVER_BUDGET_BYTES // (5 * record))
    assert g * 5 * record <= DRIVER_BUDGET_BYTES
    # p = 200, K = 5 (1.6 MB per partition): sqrt rule within the budget
    assert choose_groups(400, 5, 200) == 20
    assert choose_groups(10**6, 1, 100) == MAX_GROUPS
    # unknown partition count: the assumed one
    assert choose_groups(None, 5, 200) == choose_groups(ASSUMED_PARTITIONS, 5, 200)
    # a single partial above the budget still reduces (one group per fold)
    assert choose_groups(50, 10, 3000) == 1


@pytest.mark.parametrize("groups", [0, -1])
def test_reduce_partials_rejects_bad_groups(groups):
    from lasso_spark.spark.reduce import reduce_partials

    with pytest.raises(ValueError, match="groups must be at least 1"):
        reduce_partials(None, 3, groups)


def test_few_partitions_collect_directly_up_to_their_byte_cap():
    """Two to four partitions: an executor merge would at best halve the bytes for a second
    job and a shuffle of all of them, so the partials are collected as they are up to
    FEW_PARTITIONS_BYTES (issue 13: p = 1500, K = 5, 2 partitions, 86 MiB); above that cap, or
    with an unknown partition count, the merge as before."""
    from lasso_spark.spark.reduce import FEW_PARTITIONS, FEW_PARTITIONS_BYTES

    record = 8 * SuffStats.packed_size(1500)
    assert 2 * 5 * record > DRIVER_BUDGET_BYTES
    assert choose_groups(2, 5, 1500) == 0
    assert choose_groups(FEW_PARTITIONS, 5, 1500) == 0
    assert choose_groups(FEW_PARTITIONS + 1, 5, 1500) >= 1
    assert choose_groups(None, 5, 1500) >= 1  # unknown: ASSUMED_PARTITIONS
    big = 8 * SuffStats.packed_size(4000)  # 61 MiB: 2 x 5 of them (611 MiB) within the cap
    assert 2 * 5 * big <= FEW_PARTITIONS_BYTES < 4 * 5 * big
    heap = 8 << 30  # a driver heap that does not bound it (test_direct_collect_bounded_by_heap)
    assert choose_groups(2, 5, 4000, driver_memory=heap) == 0
    assert choose_groups(4, 5, 4000, driver_memory=heap) >= 1  # 1.2 GiB: above the cap, merged
    # an explicit budget above the cap still bounds what is collected directly
    assert choose_groups(4, 5, 4000, budget_bytes=4 * 5 * big) == 0


def test_few_partitions_direct_collect_bounded_by_max_result_size():
    """The partials of few partitions are collected directly only within RESULT_SIZE_SHARE of
    spark.driver.maxResultSize (issue 13: 611 MiB at p = 4000, K = 5, 2 partitions): a smaller
    limit takes the executor merge; 0 (unlimited) or unknown keeps the byte cap alone."""
    from lasso_spark.spark.reduce import RESULT_SIZE_SHARE

    total = 2 * 5 * 8 * SuffStats.packed_size(4000)
    choose = functools.partial(choose_groups, driver_memory=8 << 30)
    assert choose(2, 5, 4000, max_result=1 << 30) == 0  # Spark's default 1g
    # bench_cv's old 10,000 × 4000 file: 2 files of 5,000 rows read as 3 partitions (one
    # empty): 917 MiB at most
    assert choose(3, 5, 4000, max_result=1 << 30) == 0
    assert choose(2, 5, 4000, max_result=512 << 20) == 1
    assert choose(2, 5, 4000, max_result=int(total / RESULT_SIZE_SHARE) - 1) == 1
    assert choose(2, 5, 4000, max_result=int(total / RESULT_SIZE_SHARE) + 8) == 0
    assert choose(2, 5, 4000, max_result=0) == 0
    assert choose(2, 5, 4000, max_result=None) == 0
    assert choose(2, 5, 1500, max_result=16 << 20) == 1  # the cluster test's 16m


def test_direct_collect_bounded_by_the_driver_heap():
    """The driver JVM holds every partial collected directly while the job's results are
    served: within DRIVER_HEAP_SHARE of spark.driver.memory, so that Spark's default 1g heap
    keeps the 256 MiB of before (p = 4000, K = 5, 2 partitions, 611 MiB: merged) and an 8g
    driver takes them directly; an unreadable setting counts as the default."""
    from lasso_spark.spark.reduce import DRIVER_HEAP_SHARE

    total = 2 * 5 * 8 * SuffStats.packed_size(4000)
    assert choose_groups(2, 5, 4000, max_result=0, driver_memory=1 << 30) == 1
    assert choose_groups(2, 5, 4000, max_result=0, driver_memory=None) == 1
    assert choose_groups(2, 5, 4000, max_result=0, driver_memory=8 << 30) == 0
    assert choose_groups(2, 5, 4000, max_result=0,
                         driver_memory=int(total / DRIVER_HEAP_SHARE) - 1) == 1
    assert choose_groups(2, 5, 4000, max_result=0,
                         driver_memory=int(total / DRIVER_HEAP_SHARE) + 8) == 0
    # p = 1500, K = 5, 2 partitions (86 MiB): direct under the default heap, as before
    assert choose_groups(2, 5, 1500, max_result=1 << 30, driver_memory=1 << 30) == 0


class _Conf:
    def __init__(self, key: str, value: str | None) -> None:
        self.key, self.value = key, value

    def get(self, key: str, default: str) -> str:
        assert key == self.key
        return default if self.value is None else self.value


class _Session:
    def __init__(self, value: str | None, key: str = "spark.driver.maxResultSize") -> None:
        self.conf = _Conf(key, value)


@pytest.mark.parametrize(
    "value, expected",
    [(None, 1 << 30), ("1g", 1 << 30), ("512m", 512 << 20), ("16m", 16 << 20), ("0", 0),
     ("2048", 2048), ("2GB", 2 << 30), ("1.5g", None), ("lots", None)],
)
def test_max_result_bytes_parses_spark_sizes(value, expected):
    from lasso_spark.spark.reduce import max_result_bytes

    assert max_result_bytes(_Session(value)) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, 1 << 30), ("1g", 1 << 30), ("8g", 8 << 30), ("4096m", 4 << 30), ("2048", 2 << 30),
     ("lots", None)],
)
def test_driver_memory_bytes_reads_spark_sizes(value, expected):
    """spark.driver.memory: a plain number is MiB, as Spark reads it."""
    from lasso_spark.spark.reduce import driver_memory_bytes

    assert driver_memory_bytes(_Session(value, "spark.driver.memory")) == expected
