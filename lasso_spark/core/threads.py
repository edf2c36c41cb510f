"""One BLAS thread while a path is solved, so that its answers do not depend on the BLAS
thread count of the process that solves it.

OpenBLAS's threaded level-2/3 routines split a call among threads by sizes that depend on
the thread count, and the pieces do not round alike: ``dsymv`` sums per-thread partial
vectors; ``dgemv`` hands each thread a block of outputs whose last ones may fall to a
remainder kernel with another summation order (``G @ β`` at ``p = 998`` or ``1001`` differs
in the last bits between 1 and 2 threads, at ``p = 1000`` it does not); ``dtrsm`` (and
LAPACK ``dtrtrs`` on it) partitions its right-hand sides likewise. Spark gives a Python
worker ``OMP_NUM_THREADS`` = its executor's cores, the driver has its own count, and a fold
path solved on an executor must equal the driver's bit for bit (tests/cluster). So the
solvers run under :func:`one_blas_thread`: OpenBLAS's single-threaded code paths, whatever
the process's setting. The path's BLAS calls are level-2 (or level-3 on a few columns) on
at most ``p × p``; measured in benchmarks/README.md ("Solver, session H12") against two
threads.

The limit is process-wide (OpenBLAS has one thread count): while any thread of the process
is inside :func:`one_blas_thread`, every BLAS call of the process runs on one thread. Nested
and concurrent uses are counted; the first entry sets the limit, the last exit restores the
previous counts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["one_blas_thread"]

_lock = threading.Lock()
_depth = 0
_controller: Any = None  # threadpoolctl.ThreadpoolController, built at the first use
_restore: Any = None  # the limiter of the outermost entry


def _get_controller() -> Any:
    """The BLAS libraries loaded now (numpy's and scipy's OpenBLAS), scanned once: the
    solvers' modules import numpy and scipy.linalg before any solve."""
    global _controller
    if _controller is None:
        import scipy.linalg  # noqa: F401  (scipy's BLAS loaded before the scan)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
        logger.debug("BLAS libraries pinned by one_blas_thread: %s",
                     [lib.filepath for lib in _controller.select(user_api="blas").lib_controllers])
    return _controller


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with every loaded BLAS library limited to one thread (module
    docstring); restores the previous thread counts afterwards."""
    global _depth, _restore
    with _lock:
        if _depth == 0:
            _restore = _get_controller().limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _restore.restore_original_limits()
                _restore = None
