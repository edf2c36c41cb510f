"""lasso_spark: Lasso and elastic-net paths with K-fold CV on Spark, from one pass over the data.

``lasso_spark.core`` is the numeric core (numpy + numba, no Spark). The Spark-facing names
(``Lasso``, ``LassoCV``, ``LassoModel``, ``LogisticLasso``, ``LogisticLassoCV``,
``LogisticLassoModel``, ``MultinomialLassoModel``, ``compute_stats``) are imported lazily so
that ``import lasso_spark.core`` never imports pyspark.
"""

from __future__ import annotations

from lasso_spark.lazy import lazy_names

__version__ = "0.1.0"

_LAZY = {
    "Lasso": "lasso_spark.ml",
    "LassoCV": "lasso_spark.ml",
    "LassoModel": "lasso_spark.ml",
    "LogisticLasso": "lasso_spark.ml",
    "LogisticLassoCV": "lasso_spark.ml",
    "LogisticLassoModel": "lasso_spark.ml",
    "MultinomialLassoModel": "lasso_spark.ml",
    "compute_stats": "lasso_spark.spark",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_names("lasso_spark", _LAZY, globals())
