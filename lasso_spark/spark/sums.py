"""Sums of per-partition float64 vectors, for passes whose partitions' results add up.

A pass body (a ``mapInArrow`` function) yields its partition's result as records
``(kind INT, data BINARY)`` (:func:`records`, :func:`emit`). :func:`sum_pass` runs it and returns
the sum over partitions of a flat float64 result of known length: wide mode's Gram blocks and
``Xᵀr`` products, and any multi-pass method (IRLS for logistic models) whose per-pass
quantities are sums over rows.

Small results are collected and summed on the
driver. A result above :data:`TREE_MIN_BYTES` would make the driver's JVM hold one copy per
partition (the ``OutOfMemoryError`` of a plain ``collect``), so it is cut into slices of
:data:`SLICE_VALUES` keyed by slice id, shuffled by that id and summed per slice in a second
``mapInArrow`` (streaming: one accumulator per slice); the driver then receives each slice's
total once: memory ``O(result)`` whatever the number of partitions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from functools import partial

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame

from lasso_spark.spark.arrow_values import binary_array, int_array
from lasso_spark.spark.collect import receive_records
from lasso_spark.spark.progress import job_label

logger = logging.getLogger(__name__)

__all__ = [
    "COLLECT_MAX_BYTES",
    "EMIT_BATCH_BYTES",
    "MAX_REDUCERS",
    "OUTPUT_DDL",
    "SLICE_VALUES",
    "TREE_MIN_BYTES",
    "collect_records",
    "emit",
    "records",
    "sum_pass",
]

OUTPUT_DDL = "kind INT, data BINARY"
_SCHEMA = pa.schema([("kind", pa.int32()), ("data", pa.binary())])
#: per-partition results larger than this are summed by a shuffle stage before the collect
TREE_MIN_BYTES = 16 * 1024 * 1024
#: float64 values per slice in that stage (8 MB)
SLICE_VALUES = 1 << 20
#: upper bound on the reducer tasks of that stage
MAX_REDUCERS = 64
#: a larger result is still collected as is when it comes from few partitions: at most this
#: many bytes over all of them (what the driver's JVM then holds at once)
COLLECT_MAX_BYTES = 256 * 1024 * 1024
#: bytes of a result in one emitted Arrow batch (binary offsets are 32-bit)
EMIT_BATCH_BYTES = 1 << 30


def records(items: list[tuple[int, bytes]]) -> pa.RecordBatch:
    """One Arrow batch of ``(kind, data)`` records."""
    kinds, data = zip(*items) if items else ((), ())
    return pa.RecordBatch.from_arrays(
        [int_array(list(kinds), pa.int32()), binary_array(list(data))], schema=_SCHEMA
    )


def collect_records(proj: DataFrame, body: Callable, description: str,
                    partition_bytes: int = 0) -> list[tuple[int, pa.Buffer | bytes]]:
    """Run ``body`` on every partition of ``proj`` and collect its records (one Spark job).

    Received as Arrow (:func:`lasso_spark.spark.collect.receive_records`: the data are buffers
    read in place by ``np.frombuffer``, no pickled rows) when one partition's records, at most
    ``partition_bytes`` (0: unknown, small), fit one Arrow batch; else by ``collect()``."""
    out = proj.mapInArrow(body, OUTPUT_DDL)
    with job_label(proj.sparkSession, description):
        rows = receive_records(out, partition_bytes)
    return [(int(r["kind"]), r["data"]) for r in rows]


def emit(payload: np.ndarray, slice_len: int) -> Iterator[pa.RecordBatch]:
    """One record ``(0, payload)``, or with ``slice_len > 0`` one ``(slice id, slice)`` each.

    The records' bytes are the payload's own memory (no copy): one batch per at most
    :data:`EMIT_BATCH_BYTES` of it."""
    data = np.ascontiguousarray(payload, dtype=np.float64).ravel()
    n = data.shape[0]
    step = n if slice_len <= 0 else int(slice_len)
    starts = np.arange(0, max(n, 1), max(step, 1), dtype=np.int64)
    per_batch = max(1, EMIT_BATCH_BYTES // max(8 * step, 1))
    buf = pa.py_buffer(data)
    for b0 in range(0, starts.shape[0], per_batch):
        ks = starts[b0 : b0 + per_batch]
        ends = np.minimum(ks + step, n)
        offsets = np.append(ks, ends[-1:]) - ks[0]
        arr = pa.Array.from_buffers(
            pa.binary(), ks.shape[0],
            [None, pa.py_buffer((offsets * 8).astype(np.int32)),
             buf.slice(int(ks[0]) * 8, int(ends[-1] - ks[0]) * 8)])
        kinds = np.arange(b0, b0 + ks.shape[0], dtype=np.int32) if slice_len > 0 \
            else np.zeros(1, dtype=np.int32)
        yield pa.RecordBatch.from_arrays([int_array(kinds, pa.int32()), arr], schema=_SCHEMA)


def _sum_slices(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Reducer of :func:`sum_pass`: the sum of every slice id's vectors in this partition."""
    acc: dict[int, np.ndarray] = {}
    for rb in batches:
        kinds = rb.column(0).to_pylist()
        data = rb.column(1)
        for i, k in enumerate(kinds):
            v = np.frombuffer(data[i].as_py(), dtype=np.float64)
            if k in acc:
                acc[k] += v
            else:
                acc[k] = v.copy()
    for k, v in acc.items():
        yield records([(k, v.tobytes())])


def sum_pass(proj: DataFrame, body: Callable, n_values: int, description: str,
             n_partitions: int = 0) -> np.ndarray:
    """Sum over partitions of ``body``'s float64 result of length ``n_values`` (module doc).

    ``body(batches, slice_len=…)`` must yield its result through :func:`emit`. With
    ``n_partitions`` known (e.g. counted by an earlier pass over ``proj``), results of up to
    :data:`COLLECT_MAX_BYTES` in all are collected without the shuffle stage.
    """
    few = 0 < n_partitions and n_partitions * n_values * 8 <= COLLECT_MAX_BYTES
    if n_values * 8 <= TREE_MIN_BYTES or few:
        total = None
        for _, data in collect_records(proj, partial(body, slice_len=0), description,
                                       n_values * 8):
            v = np.frombuffer(data, dtype=np.float64)
            total = v.copy() if total is None else total + v
        if total is None:
            raise RuntimeError(f"{description}: no partition results")
        return total
    n_slices = -(-n_values // SLICE_VALUES)
    out = (
        proj.mapInArrow(partial(body, slice_len=SLICE_VALUES), OUTPUT_DDL)
        .repartition(min(n_slices, MAX_REDUCERS), "kind")
        .mapInArrow(_sum_slices, OUTPUT_DDL)
    )
    total = np.zeros(n_values)
    seen = np.zeros(n_slices, dtype=bool)
    with job_label(proj.sparkSession, description + " (sliced reduction)"):
        # a reducer's records: at most the whole result (one Arrow batch up to 1 GiB)
        for r in receive_records(out, n_values * 8):
            k = int(r["kind"])
            v = np.frombuffer(r["data"], dtype=np.float64)
            start = k * SLICE_VALUES
            total[start : start + v.shape[0]] += v
            seen[k] = True
    if not seen.all():
        raise RuntimeError(f"{description}: {int((~seen).sum())} result slices missing")
    return total
