"""Label the Spark jobs lasso_spark starts, so the Spark UI says which pass is running.

One helper for every pass (statistics, wide-mode passes, scoring, fold paths): a job tag and,
in classic sessions, the job description shown in the UI, restored afterwards. Labelling never
fails a fit.

The tag is the SparkContext's (``SparkContext.addJobTag``) in classic sessions and the
session's (``SparkSession.addTag``) on Spark Connect only: a classic ``SparkSession.addTag``
creates the session's ``threadUuid`` thread-local, its one non-transient field that cannot be
serialized, and from then on every task whose closure reaches the session fails with
``Task not serializable`` — e.g. MLlib's ``LogisticRegressionModel.transform`` (its training
summary holds the session) inside ``BinaryClassificationEvaluator``, so a ``CrossValidator``
over MLlib's ``LogisticRegression`` after any lasso_spark fit in the same session.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["classic_context", "job_label"]

_DESCRIPTION = "spark.job.description"


def classic_context(spark: Any) -> Any:
    """The session's SparkContext, or None on Spark Connect (which has none)."""
    if type(spark).__module__.startswith("pyspark.sql.connect"):
        return None
    try:
        return spark.sparkContext
    except Exception:  # noqa: BLE001 - no SparkContext
        return None


@contextlib.contextmanager
def job_label(spark: Any, description: str) -> Iterator[None]:
    """Label the Spark jobs started inside the block with ``description``."""
    tag = f"lasso_spark-{uuid.uuid4().hex[:12]}"
    previous = None
    sc = classic_context(spark)
    if sc is not None:
        try:
            previous = sc.getLocalProperty(_DESCRIPTION)
            sc.setLocalProperty(_DESCRIPTION, description)
        except Exception:  # noqa: BLE001 - unusable SparkContext: the session's tag is the label
            sc = None
    # classic: the SparkContext's tag, never SparkSession.addTag (module docstring)
    holder, add, remove = ((sc, "addJobTag", "removeJobTag") if sc is not None
                           else (spark, "addTag", "removeTag"))
    tagged = False
    try:
        getattr(holder, add)(tag)
        tagged = True
    except Exception:  # noqa: BLE001 - labelling must never fail a fit
        logger.debug("%s.%s unavailable", type(holder).__name__, add, exc_info=True)
    try:
        yield
    finally:
        if sc is not None:
            sc.setLocalProperty(_DESCRIPTION, previous)  # type: ignore[arg-type]
        if tagged:
            with contextlib.suppress(Exception):
                getattr(holder, remove)(tag)
