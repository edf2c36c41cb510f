"""Tell the user where a long fit is: timed log lines (Spark jobs are labelled by
:func:`lasso_spark.spark.progress.job_label`)."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

logger = logging.getLogger(__name__)

__all__ = ["timed"]

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
