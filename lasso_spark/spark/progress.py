"""Label the Spark jobs lasso_spark starts, so the Spark UI says which pass is running.

One helper for every pass (statistics, wide-mode passes, scoring, fold paths): a session tag
(``SparkSession.addTag``, classic and Spark Connect) and, in classic sessions, the job
description shown in the UI, restored afterwards. Labelling never fails a fit.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["job_label"]

_DESCRIPTION = "spark.job.description"


@contextlib.contextmanager
def job_label(spark: Any, description: str) -> Iterator[None]:
    """Label the Spark jobs started inside the block with ``description``."""
    tag = f"lasso_spark-{uuid.uuid4().hex[:12]}"
    tagged = False
    try:
        spark.addTag(tag)
        tagged = True
    except Exception:  # noqa: BLE001 - labelling must never fail a fit
        logger.debug("SparkSession.addTag unavailable", exc_info=True)
    sc = None
    previous = None
    if not type(spark).__module__.startswith("pyspark.sql.connect"):
        try:
            sc = spark.sparkContext
            previous = sc.getLocalProperty(_DESCRIPTION)
            sc.setLocalProperty(_DESCRIPTION, description)
        except Exception:  # noqa: BLE001 - no SparkContext (Connect): the tag is the label
            sc = None
    try:
        yield
    finally:
        if sc is not None:
            sc.setLocalProperty(_DESCRIPTION, previous)  # type: ignore[arg-type]
        if tagged:
            with contextlib.suppress(Exception):
                spark.removeTag(tag)
