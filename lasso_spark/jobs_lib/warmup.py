"""Background warm-ups for a short job on a new session (the demo).

A new Spark application pays for its first Python workers (process start, pyspark's and our
imports) inside its first ``mapInArrow``: for the demo, the statistics pass. The driver pays
for the solver's and matplotlib's imports inside the fit and the plots. These warm-ups pay
those costs in a background thread while the driver does other work (generating the data,
waiting on the JVM). They compute nothing a job uses and change no result or output: a warm-up
that fails or is not finished only leaves the cost where it was; its failure is logged at DEBUG.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

logger = logging.getLogger(__name__)

#: what a statistics-pass task imports in a Python worker (``mapInArrow`` of
#: ``lasso_spark.spark.batch.partition_stats``)
WORKER_MODULES: tuple[str, ...] = ("lasso_spark.spark.batch",)
#: what the demo's fit imports on the driver after the session is up: the estimators, the
#: statistics pass, the solver (scipy.linalg), the plots (matplotlib), and IPython with ipykernel,
#: which pyspark's call-site capture imports in the first DataFrame call when they are installed
DRIVER_MODULES: tuple[str, ...] = (
    "lasso_spark.ml", "lasso_spark.spark.stats", "lasso_spark.core.path",
    "lasso_spark.plotting", "matplotlib.pyplot", "IPython", "ipykernel",
)


def import_in_worker(batches: Iterator[Any], modules: Sequence[str] = WORKER_MODULES
                     ) -> Iterator[Any]:
    """A ``mapInArrow`` function that imports ``modules`` in the Python worker, then passes
    its batches through (a reused worker keeps the imports for the next job's tasks)."""
    for name in modules:
        importlib.import_module(name)
    yield from batches


class Warmup:
    """One background warm-up: ``work`` runs in a daemon thread; ``join`` waits for it."""

    def __init__(self, name: str, work: Callable[[], None]) -> None:
        self.name = name
        self.seconds: float | None = None
        self.error: BaseException | None = None
        self._work = work
        self._thread = threading.Thread(target=self._run, name=f"lasso_spark-{name}",
                                        daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            self._work()
        except Exception as exc:  # a warm-up never fails the job
            self.error = exc
            logger.debug("warm-up %s failed (changes nothing): %s", self.name, exc,
                         exc_info=True)
            return
        self.seconds = time.perf_counter() - t0
        logger.debug("warm-up %s done in %.2f s", self.name, self.seconds)

    def join(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds; True when the warm-up has ended (done or failed)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def start_worker_warmup(spark: Any, modules: Sequence[str] = WORKER_MODULES) -> Warmup:
    """Start one task per default-parallelism slot that imports ``modules`` in its Python
    worker, so the next ``mapInArrow`` finds workers already started and imported."""
    from functools import partial

    def work() -> None:
        n = max(1, int(spark.sparkContext.defaultParallelism))
        spark.sparkContext.setJobDescription("lasso_spark: warm-up of the Python workers")
        spark.range(0, n, 1, n).mapInArrow(partial(import_in_worker, modules=tuple(modules)),
                                           "id long").collect()

    return Warmup("python workers", work).start()


def start_import_warmup(modules: Sequence[str] = DRIVER_MODULES) -> Warmup:
    """Import ``modules`` on the driver in the background; a module that is not installed is
    skipped (e.g. matplotlib without the plots extra). Meant to overlap the JVM's start (the
    driver's Python only waits then), and to be joined before the driver imports anything else,
    so two threads never import the same modules at once."""

    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                logger.debug("warm-up: %s not importable, skipped", name)

    return Warmup("driver imports", work).start()
