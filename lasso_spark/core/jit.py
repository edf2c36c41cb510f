"""numba compilation policy of the package: where compiled kernels are cached, and kernels
compiled lazily for one concrete signature.

Cache location (decided once, before the first kernel is compiled):

1. the user's own ``NUMBA_CACHE_DIR`` (numba reads it itself) is never overridden;
2. else numba's default, the ``__pycache__`` beside the module, when that directory is writable
   and the module is a plain file;
3. else (a read-only install, the package in a ``--py-files`` zip): the first writable of
   ``$LASSO_SPARK_JIT_CACHE``, the user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``,
   sub-directory ``lasso_spark/numba``), Spark's local directory of an executor
   (``$SPARK_LOCAL_DIRS``, first entry) and the system temporary directory — all of which
   outlive the process, so the next Python worker or executor on the machine loads the
   kernels instead of compiling them. Only ``numba.config.CACHE_DIR`` of this process is set;
   the environment is not changed.

Kernels (:func:`kernel`) are compiled for one explicit signature on their first call only, so
a fit compiles (or loads from the cache) exactly the kernels it runs.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from typing import Any

import numba  # the kernels' compiler: loaded with the solver, used on the first call

logger = logging.getLogger(__name__)

__all__ = ["cache_dir", "configure_cache", "kernel"]

_configured = False
_CHOSEN: str | None = None


def _writable_dir(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def _in_tree_usable(module_file: str) -> bool:
    if ".zip" in module_file or not os.path.isfile(module_file):
        return False
    return _writable_dir(os.path.join(os.path.dirname(module_file), "__pycache__"))


def _candidates() -> list[str]:
    out = []
    own = os.environ.get("LASSO_SPARK_JIT_CACHE")
    if own:
        out.append(own)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    out.append(os.path.join(xdg, "lasso_spark", "numba"))
    local = os.environ.get("SPARK_LOCAL_DIRS")
    if local:
        out.append(os.path.join(local.split(",")[0], "lasso_spark-numba"))
    uid = os.getuid() if hasattr(os, "getuid") else 0
    out.append(os.path.join(tempfile.gettempdir(), f"lasso_spark-numba-{uid}"))
    return out


def configure_cache(module_file: str | None = None) -> str | None:
    """Choose the numba cache directory (module docstring) once per process; returns it
    (``None``: numba's default beside the modules). Called by :func:`kernel` before the first
    compile; ``module_file`` is a kernel module's ``__file__``."""
    global _configured, _CHOSEN
    if _configured:
        return _CHOSEN
    _configured = True
    if os.environ.get("NUMBA_CACHE_DIR"):
        _CHOSEN = os.environ["NUMBA_CACHE_DIR"]
        return _CHOSEN
    if module_file is None or _in_tree_usable(module_file):
        return None
    for path in _candidates():
        if _writable_dir(path):
            numba.config.CACHE_DIR = path
            _CHOSEN = path
            logger.debug("numba cache directory: %s", path)
            return path
    logger.warning("no writable directory for numba's cache: kernels compile in every process")
    return None


def cache_dir() -> str | None:
    """The cache directory chosen by :func:`configure_cache` (``None``: beside the modules)."""
    return _CHOSEN


class _Kernel:
    """A numba kernel compiled for ``signature`` (cached on disk) on its first call."""

    def __init__(self, func: Callable[..., Any], signature: str, options: dict[str, Any]):
        self.py_func = func
        self.signature = signature
        self.options = options
        self._compiled: Any = None
        self.__doc__ = func.__doc__
        self.__name__ = func.__name__

    def compiled(self) -> Any:
        if self._compiled is None:
            import sys

            configure_cache(getattr(sys.modules.get(self.py_func.__module__), "__file__", None))
            self._compiled = numba.njit(self.signature, cache=True, **self.options)(self.py_func)
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        return (self._compiled or self.compiled())(*args)


def kernel(signature: str, **options: Any) -> Callable[[Callable[..., Any]], _Kernel]:
    """Decorator: a numba kernel for one explicit ``signature``, compiled (or loaded from the
    disk cache) on its first call — never at import. ``options`` go to ``numba.njit``."""

    def wrap(func: Callable[..., Any]) -> _Kernel:
        return _Kernel(func, signature, options)

    return wrap
