"""Modules imported in a background thread while the process waits on something else.

A fit's first moments in a new driver process import what its solve needs (``scipy.linalg``
and the Newton path, 0.1–0.3 s). The driver spends the statistics pass waiting on the JVM's
socket with the GIL released, so the same imports started in a thread at the start of the fit
cost nothing on the critical path (benchmarks/README.md, issue 19). (Doing the same in the
pass's Python workers for fold-path tasks was measured and dropped: in a new application the
imports competed with the first pass, whose workers and JVM were busy starting up.) A module
whose import fails here is left for the step that needs it to import, and fail, in the open.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Sequence

logger = logging.getLogger(__name__)

__all__ = ["SOLVER_MODULES", "import_in_background"]

#: what a fold path or a full-data path imports on its first solve
SOLVER_MODULES = ("lasso_spark.core.path", "lasso_spark.core.newton", "lasso_spark.core.cv",
                  "lasso_spark.core.threads")

_started: set[str] = set()
_lock = threading.Lock()


def import_in_background(modules: Sequence[str]) -> threading.Thread | None:
    """Import ``modules`` in a daemon thread; None when all are imported or already started
    (once per process whatever the number of calls)."""
    with _lock:
        todo = [m for m in modules if m not in sys.modules and m not in _started]
        _started.update(todo)
    if not todo:
        return None
    thread = threading.Thread(target=_import_all, args=(todo,), daemon=True,
                              name="lasso_spark-prefetch")
    thread.start()
    return thread


def _import_all(modules: list[str]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - the step that needs it raises it
            logger.debug("background import of %s failed: %s", name, exc)
