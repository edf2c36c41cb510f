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

__all__ = ["attach_cache", "cache_dir", "cached_jit", "configure_cache", "kernel"]

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


def _source_hash(module: str) -> bytes:
    """sha256 of a module's source, wherever it is loaded from (a file, a zip)."""
    import hashlib
    import importlib
    import sys

    mod = sys.modules.get(module) or importlib.import_module(module)
    loader = getattr(mod, "__loader__", None)
    src = loader.get_source(module) if loader is not None else None
    if src is None:
        with open(mod.__file__, "rb") as f:
            return hashlib.sha256(f.read()).digest()
    return hashlib.sha256(src.encode()).digest()


_FUNCTION_CACHE: Any = None


def _package_function_cache() -> Any:
    """A numba ``FunctionCache`` whose files live in :func:`cache_dir` under the module's
    name, stamped with the hash of the module's source: the same entries serve the package
    from any location (a zip unpacked in a new container directory, a read-only install)."""
    global _FUNCTION_CACHE
    if _FUNCTION_CACHE is not None:
        return _FUNCTION_CACHE
    from numba.core.caching import (
        CacheImpl,
        CompileResultCacheImpl,
        FunctionCache,
        _CacheLocator,
    )

    class PackageCacheLocator(_CacheLocator):
        def __init__(self, py_func: Any, py_file: str) -> None:
            self._lineno = py_func.__code__.co_firstlineno
            self._module = py_func.__module__
            self._cache_path = os.path.join(str(_CHOSEN), self._module)

        def get_cache_path(self) -> str:
            return self._cache_path

        def get_source_stamp(self) -> bytes:
            return _source_hash(self._module)

        def get_disambiguator(self) -> str:
            return str(self._lineno)

        @classmethod
        def from_function(cls, py_func: Any, py_file: str) -> Any:
            if _CHOSEN is None:
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError:
                return None
            return self

    class PackageCacheImpl(CompileResultCacheImpl):
        _locator_classes = [PackageCacheLocator, *CacheImpl._locator_classes]

    class PackageFunctionCache(FunctionCache):
        _impl_class = PackageCacheImpl

    _FUNCTION_CACHE = PackageFunctionCache
    return PackageFunctionCache


def attach_cache(dispatcher: Any) -> Any:
    """Give a numba dispatcher (made with ``cache=False``) its on-disk cache at the location
    of :func:`configure_cache`; returns the dispatcher."""
    import sys

    module = sys.modules.get(dispatcher.py_func.__module__)
    where = configure_cache(getattr(module, "__file__", None))
    if where is not None and not os.environ.get("NUMBA_CACHE_DIR"):
        try:
            dispatcher._cache = _package_function_cache()(dispatcher.py_func)
            return dispatcher
        except Exception as exc:  # noqa: BLE001 - numba internals moved: numba's own cache
            logger.debug("package cache locator unavailable (%s); numba's default", exc)
    dispatcher.enable_caching()
    return dispatcher


def cached_jit(**options: Any) -> Callable[[Callable[..., Any]], Any]:
    """``numba.njit(cache=True, **options)`` with the cache location of this module: a lazy
    dispatcher (compiled on its first call, for the types of that call)."""

    def wrap(func: Callable[..., Any]) -> Any:
        return attach_cache(numba.njit(cache=False, **options)(func))

    return wrap


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
        """The dispatcher, compiled or loaded from the cache for the one signature."""
        if self._compiled is None:
            disp = attach_cache(numba.njit(cache=False, **self.options)(self.py_func))
            disp.compile(self.signature)
            disp.disable_compile()  # other argument types are an error, not a new compile
            self._compiled = disp
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        return (self._compiled or self.compiled())(*args)


def kernel(signature: str, **options: Any) -> Callable[[Callable[..., Any]], _Kernel]:
    """Decorator: a numba kernel for one explicit ``signature``, compiled (or loaded from the
    disk cache) on its first call — never at import. ``options`` go to ``numba.njit``."""

    def wrap(func: Callable[..., Any]) -> _Kernel:
        return _Kernel(func, signature, options)

    return wrap
