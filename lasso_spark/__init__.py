"""lasso_spark: Lasso and elastic-net paths with K-fold CV on Spark, from one pass over the data.

``lasso_spark.core`` is the numeric core (numpy + numba, no Spark). The Spark-facing names
(``Lasso``, ``LassoCV``, ``LassoModel``, ``LogisticLasso``, ``LogisticLassoCV``,
``LogisticLassoModel``, ``compute_stats``) are imported lazily so that ``import
lasso_spark.core`` never imports pyspark.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "Lasso": "lasso_spark.ml",
    "LassoCV": "lasso_spark.ml",
    "LassoModel": "lasso_spark.ml",
    "LogisticLasso": "lasso_spark.ml",
    "LogisticLassoCV": "lasso_spark.ml",
    "LogisticLassoModel": "lasso_spark.ml",
    "compute_stats": "lasso_spark.spark",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lasso_spark' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
