"""The Arrow batch size of a pass: rows per batch bounded by bytes for wide rows.

Spark hands a ``mapInArrow`` body its input in batches of at most
``spark.sql.execution.arrow.maxRecordsPerBatch`` rows (10,000 by default), whatever their
width: at p = 1500 one batch is 120 MB, so a task's JVM side (Parquet → rows → Arrow) and its
Python side (one ``syrk`` per fold and chunk) take turns instead of overlapping. The JVM writes
the next batch while Python reduces the current one, so batches of about
:data:`BATCH_BYTES` let the two run at once (issue 13: at p = 1500, 6000 rows, the K = 5 pass
2.65 s instead of 3.18 s; ``benchmarks/README.md``).

:func:`batch_rows_at_most` lowers the session's setting for the duration of one pass (the jobs
it starts in the block) and restores it afterwards; it never raises it. The setting only sizes
batches: it changes no result, and a query another thread runs in the same session meanwhile
is only batched more finely. Passes of concurrent fits on one session (threads) share the
lowering: the session's own value comes back when the last of them ends.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["BATCH_BYTES", "MAX_RECORDS_KEY", "batch_rows_at_most", "rows_per_batch"]

MAX_RECORDS_KEY = "spark.sql.execution.arrow.maxRecordsPerBatch"
#: target size of one input batch of float64 values
BATCH_BYTES = 16 * 1024 * 1024
#: never fewer rows than this per batch
MIN_ROWS = 64


def rows_per_batch(n_values: int, batch_bytes: int | None = None) -> int:
    """Rows of ``n_values`` float64 values that fill about ``batch_bytes`` (default
    :data:`BATCH_BYTES`), at least :data:`MIN_ROWS`."""
    target = BATCH_BYTES if batch_bytes is None else int(batch_bytes)
    return max(MIN_ROWS, target // (8 * max(int(n_values), 1)))


@dataclass
class _Lowered:
    """A session whose setting the passes in flight have lowered: how many, and its value
    before the first of them (None: unset)."""

    spark: Any
    count: int
    original: str | None


#: per session (``id``), while at least one pass keeps its setting lowered
_LOWERED: dict[int, _Lowered] = {}
_LOCK = threading.Lock()


@contextlib.contextmanager
def batch_rows_at_most(spark: Any, rows: int) -> Iterator[None]:
    """Within the block, the session's ``maxRecordsPerBatch`` is at most ``rows``: unchanged
    when it is already smaller (0 or negative, "no limit", is lowered too), or when the
    setting cannot be read or written. Blocks of several threads on one session (concurrent
    fits) may overlap in any order: the value before the first of them comes back when the
    last one ends, and meanwhile the smallest of their ``rows`` holds."""
    conf = getattr(spark, "conf", None)
    key = id(spark)
    entered = False
    with _LOCK:
        try:
            entry = _LOWERED.get(key)
            current_text = conf.get(MAX_RECORDS_KEY, None)
            current = int(current_text) if current_text is not None else 10_000
            if current <= 0 or current > rows:  # 0 or negative: no limit
                conf.set(MAX_RECORDS_KEY, str(int(rows)))
                if entry is None:
                    entry = _LOWERED[key] = _Lowered(spark, 0, current_text)
            if entry is not None:
                entry.count += 1
                entered = True
        except Exception:  # noqa: BLE001 - the batch size only tunes speed
            logger.debug("cannot read or set %s", MAX_RECORDS_KEY, exc_info=True)
    try:
        yield
    finally:
        if entered:
            with _LOCK:
                entry = _LOWERED[key]
                entry.count -= 1
                if entry.count == 0:
                    del _LOWERED[key]
                    try:
                        if entry.original is None:
                            conf.unset(MAX_RECORDS_KEY)
                        else:
                            conf.set(MAX_RECORDS_KEY, entry.original)
                    except Exception:  # noqa: BLE001
                        logger.debug("cannot restore %s", MAX_RECORDS_KEY, exc_info=True)
