"""Names of a package imported on first use (PEP 562), so that importing the package stays cheap.

``lasso_spark.core`` keeps numba (and ``lasso_spark`` keeps pyspark) out of processes that only
need the statistics; ``lasso_spark.wide`` keeps both out until a wide fit runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, names: Mapping[str, str], namespace: dict[str, Any]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each name to the module that
    defines it (relative to the package, or absolute). A resolved name is cached in the
    package's ``namespace``."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full = module if module.startswith("lasso_spark") else f"{package}.{module}"
        value = getattr(importlib.import_module(full), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace.get("__all__", ())) | set(names))

    return __getattr__, __dir__
