"""spark.collect: a job's records as Arrow, binary values read in place, collect() fallback."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lasso_spark.spark.collect import ARROW_MAX_BATCH_BYTES, receive_records, records_of_table


def _table() -> pa.Table:
    payload = np.arange(6, dtype=np.float64)
    schema = pa.schema([("fold", pa.int32()), ("stats", pa.binary()),
                        ("peak_rss_bytes", pa.int64())])
    b1 = pa.RecordBatch.from_arrays(
        [pa.array([0, -1], pa.int32()), pa.array([payload.tobytes(), None], pa.binary()),
         pa.array([None, 7], pa.int64())], schema=schema)
    b2 = pa.RecordBatch.from_arrays(
        [pa.array([1], pa.int32()), pa.array([(2 * payload).tobytes()], pa.binary()),
         pa.array([3], pa.int64())], schema=schema)
    return pa.Table.from_batches([b1, b2])


class _Row(dict):
    def asDict(self) -> dict:  # noqa: N802 - pyspark's name
        return dict(self)


class _ArrowFrame:
    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.collected = False

    def toArrow(self) -> pa.Table:  # noqa: N802 - pyspark's name
        return self.table

    def collect(self) -> list:
        self.collected = True
        return [_Row(r) for r in self.table.to_pylist()]


class _OldFrame:  # Spark 3.5: no toArrow
    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def collect(self) -> list:
        return [_Row(r) for r in self.table.to_pylist()]


def test_records_keep_order_values_and_nulls_across_batches():
    recs = records_of_table(_table())
    assert [r["fold"] for r in recs] == [0, -1, 1]
    assert recs[1]["stats"] is None and recs[0]["peak_rss_bytes"] is None
    assert recs[1]["peak_rss_bytes"] == 7
    np.testing.assert_array_equal(np.frombuffer(recs[2]["stats"], dtype=np.float64),
                                  2 * np.arange(6.0))
    assert bytes(recs[0]["stats"]) == np.arange(6, dtype=np.float64).tobytes()


def test_binary_values_are_views_of_the_received_batch_not_copies():
    table = _table()
    rec = records_of_table(table)[0]
    source = table.column("stats").chunk(0).buffers()[2]  # the batch's data buffer
    view = np.frombuffer(rec["stats"], dtype=np.float64)
    assert view.ctypes.data == source.address


def test_arrow_used_when_available_and_collect_when_not_or_too_large():
    frame = _ArrowFrame(_table())
    assert [r["fold"] for r in receive_records(frame)] == [0, -1, 1]
    assert not frame.collected
    big = receive_records(frame, partition_bytes=ARROW_MAX_BATCH_BYTES + 1)
    assert frame.collected and [r["fold"] for r in big] == [0, -1, 1]
    old = receive_records(_OldFrame(_table()))
    assert bytes(old[2]["stats"]) == (2 * np.arange(6.0)).tobytes()
    assert old[1]["stats"] is None


def test_sliced_tables_and_empty_values():
    recs = records_of_table(_table().slice(1))  # arrays with a non-zero offset
    assert [r["fold"] for r in recs] == [-1, 1] and recs[0]["stats"] is None
    assert bytes(recs[1]["stats"]) == (2 * np.arange(6.0)).tobytes()
    empty = pa.table({"stats": pa.array([b"", None], pa.binary())})
    assert [None if v is None else bytes(v) for v in
            (r["stats"] for r in records_of_table(empty))] == [b"", None]
