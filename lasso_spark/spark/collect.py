"""A job's few, large result records brought to the driver as Arrow, not as pickled rows.

The statistics pass returns a handful of records whose binary column holds megabytes each
(one packed Gram per fold: 64 MB at p = 4000). ``DataFrame.collect()`` turns every record into
a pickled ``Row`` on the JVM and unpickles it in Python; ``DataFrame.toArrow()`` (Spark 4.0 and
newer, classic and Connect) ships the same bytes as Arrow record batches, read in Python without
a per-value copy. Measured on ``local[2]`` (benchmarks/README.md, issue 13): 320 MiB in five
64 MiB records, 4.25 s by ``collect()`` against 2.01 s by ``toArrow()``, of which 0.72 s is the
job itself. Older Spark falls back to ``collect()``.

:func:`receive_records` returns plain dicts, one per record, whose binary values are
``pyarrow.Buffer`` views into the received batches (``np.frombuffer`` reads them in place;
``bytes(value)`` copies) and whose other values are Python scalars (``None`` for nulls) — the
same access as ``Row[...]`` for the callers.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame

from lasso_spark.spark.arrow_values import is_valid

logger = logging.getLogger(__name__)

__all__ = ["ARROW_MAX_BATCH_BYTES", "receive_records", "records_of_table"]

#: the largest result (bytes) one Arrow batch may carry: binary values have 32-bit offsets, and
#: a batch holds up to ``maxRecordsPerBatch`` records of one partition
ARROW_MAX_BATCH_BYTES = 1 << 30


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t)


def _column_values(col: pa.Array) -> list[Any]:
    if not _is_binary(col.type):
        return col.to_pylist()
    # slices of the array's data buffer by its offsets (a scalar's ``as_buffer`` copies)
    width = np.int64 if pa.types.is_large_binary(col.type) else np.int32
    _, offsets_buf, data = col.buffers()
    if data is None:  # no value has a byte
        data = pa.py_buffer(b"")
    offsets = np.frombuffer(offsets_buf, dtype=width)[col.offset : col.offset + len(col) + 1]
    valid = is_valid(col)
    return [data.slice(int(offsets[i]), int(offsets[i + 1] - offsets[i])) if valid[i] else None
            for i in range(len(col))]


def records_of_table(table: pa.Table) -> list[dict[str, Any]]:
    """The records of an Arrow table as dicts (binary values as zero-copy buffers)."""
    names = table.schema.names
    out: list[dict[str, Any]] = []
    for batch in table.to_batches():
        columns = [_column_values(batch.column(i)) for i in range(batch.num_columns)]
        for i in range(batch.num_rows):
            out.append({name: values[i] for name, values in zip(names, columns)})
    return out


def receive_records(df: DataFrame, partition_bytes: int = 0) -> list[dict[str, Any]]:
    """All records of ``df`` on the driver (one job), by ``toArrow()`` where Spark has it and
    one partition's records (at most ``partition_bytes``, when known) fit one Arrow batch."""
    to_arrow = getattr(df, "toArrow", None)
    if to_arrow is None or partition_bytes > ARROW_MAX_BATCH_BYTES:  # Spark 3.5; huge records
        return [row.asDict() for row in df.collect()]
    return records_of_table(to_arrow())
