"""spark.sums: pass results (wide mode's Gram blocks, Xᵀr, pass-1 statistics) received as Arrow,
never as pickled rows, summed the same as before."""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pytest

from lasso_spark.spark import sums

pytestmark = pytest.mark.spark


def _body(batches, n: int, slice_len: int = 0):
    total = 0
    for b in batches:
        total += int(np.asarray(b.column(0)).sum())
    yield from sums.emit(np.arange(n, dtype=np.float64) * (1.0 + total), slice_len)


def _no_collect(self, *a, **k):
    raise AssertionError("collect() used: results should come as Arrow")


@pytest.mark.parametrize("sliced", [False, True])
def test_sum_pass_receives_arrow_not_rows(spark, monkeypatch, sliced):
    df = spark.range(0, 100, numPartitions=4)
    ids = np.arange(100).reshape(4, 25)
    want = sum(np.arange(1000.0) * (1.0 + s) for s in ids.sum(axis=1))
    monkeypatch.setattr(type(df), "collect", _no_collect)  # Spark 4: the classic subclass
    if sliced:  # the shuffle stage that sums slices on the executors
        monkeypatch.setattr(sums, "TREE_MIN_BYTES", 8)
        monkeypatch.setattr(sums, "SLICE_VALUES", 300)
    got = sums.sum_pass(df, partial(_body, n=1000), 1000, "test sum_pass")
    np.testing.assert_array_equal(got, want)


def test_collect_records_falls_back_to_collect_for_huge_partitions(spark, monkeypatch):
    df = spark.range(0, 10, numPartitions=2)
    called = []
    orig = type(df).collect

    def spy(self, *a, **k):
        called.append(1)
        return orig(self, *a, **k)

    monkeypatch.setattr(type(df), "collect", spy)
    recs = sums.collect_records(df, partial(_body, n=3), "test", partition_bytes=(1 << 30) + 1)
    assert called and len(recs) == 2
    assert sum(np.frombuffer(d, dtype=np.float64) for _, d in recs).tolist() == [0.0, 47.0, 94.0]
    called.clear()
    recs = sums.collect_records(df, partial(_body, n=3), "test", partition_bytes=24)
    assert not called and all(isinstance(d, pa.Buffer) for _, d in recs)
