"""Keep freed memory in the Python worker's heap during the logistic passes (glibc only).

A logistic pass's chunk arithmetic (:func:`lasso_spark.core.binomial.accumulate_chunk`, and the
multinomial family's, which runs in the same pass body) makes a few temporaries of ``rows ×
points`` doubles per fold block (``η``, ``Q``, the losses, the residuals: 2–20 MB each). glibc's
``malloc`` serves blocks that large with ``mmap``, or from the heap and then gives the freed top
of the heap back to the kernel (``M_TRIM_THRESHOLD``) — so every new temporary touches fresh
pages, and a page fault costs about 1–2 µs in this machine's virtual machine: an ``exp`` over a
fresh ``2000 × 144`` array took 1.5–2 ms instead of 0.2 ms, and a 10k-row chunk with 144 points
in flight 48 ms instead of 26 ms (benchmarks/README.md, issue 15, branch ``s15d``).
:func:`keep_freed_memory` sets, once per process, the mmap threshold to its maximum (32 MiB on
64-bit glibc: smaller blocks come from the heap) and the trim threshold to
:data:`TRIM_THRESHOLD_BYTES` (freed memory up to that size stays in the heap and is reused). The
process's resident memory then stays at its peak, up to that much above what it holds.

Elsewhere (musl, macOS, Windows: no ``mallopt``) it does nothing. stdlib only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

__all__ = ["MMAP_THRESHOLD_BYTES", "TRIM_THRESHOLD_BYTES", "keep_freed_memory"]

#: glibc's ``mallopt`` parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: blocks below this come from the heap (glibc's largest allowed value on 64-bit)
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
#: freed memory at the top of the heap up to this size is kept, not returned to the kernel
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024

_state: dict[str, bool] = {}


def keep_freed_memory() -> bool:
    """Set the two thresholds (module docstring) once per process; True when they are set."""
    if "done" in _state:
        return _state["done"]
    ok = False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is not None:
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            mallopt.restype = ctypes.c_int
            ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    except OSError:  # no C library to load: nothing to tune
        ok = False
    _state["done"] = ok
    logger.debug("malloc thresholds kept: %s", ok)
    return ok
