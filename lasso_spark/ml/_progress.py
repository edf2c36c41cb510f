"""Tell the user where a long fit is: Spark job descriptions and timed log lines."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["job_description", "timed"]

_DESCRIPTION = "spark.job.description"


@contextlib.contextmanager
def job_description(spark: Any, text: str) -> Iterator[None]:
    """Label the Spark jobs started inside the block with ``text`` (shown in the Spark UI).

    The previous description is restored afterwards. On Spark Connect (no SparkContext) the
    label is a session tag instead, when the client supports tags.
    """
    sc = None
    try:
        sc = spark.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect sessions have no SparkContext
        sc = None
    if sc is not None:
        previous = sc.getLocalProperty(_DESCRIPTION)
        sc.setLocalProperty(_DESCRIPTION, text)
        try:
            yield
        finally:
            sc.setLocalProperty(_DESCRIPTION, previous)  # type: ignore[arg-type]
        return
    tag = "lasso_spark-" + "".join(c if c.isalnum() else "-" for c in text)[:60]
    added = False
    try:
        spark.addTag(tag)
        added = True
    except Exception:  # noqa: BLE001 - tags are a nicety
        added = False
    try:
        yield
    finally:
        if added:
            spark.removeTag(tag)


@contextlib.contextmanager
def timed(
    what: str,
    sink: dict[str, float] | None = None,
    key: str | None = None,
    log: logging.Logger = logger,
) -> Iterator[None]:
    """Log ``what`` with its wall time when the block ends; store seconds in ``sink[key]``."""
    t0 = time.perf_counter()
    log.info("%s ...", what)
    try:
        yield
    finally:
        seconds = time.perf_counter() - t0
        if sink is not None and key is not None:
            sink[key] = seconds
        log.info("%s: %.3f s", what, seconds)
