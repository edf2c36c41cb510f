"""DataFrame → sufficient statistics in one pass, fold assignment, scoring, session helpers.

The names below are imported on first use: a Python worker that unpickles one executor-side
function (say ``spark.fold_paths``'s) imports that module and what it needs, not every module
of the package (``spark.inputs`` alone pulls in ``pyspark.ml`` and pandas, ≈ 1 s in a new
worker).
"""

from __future__ import annotations

from lasso_spark.lazy import lazy_names

_LAZY = {
    "InvalidInputError": "errors",
    "StatsResult": "stats",
    "assign_folds": "folds",
    "compute_stats": "stats",
}

__all__ = list(_LAZY)

__getattr__, __dir__ = lazy_names("lasso_spark.spark", _LAZY, globals())
