"""Numeric core: sufficient statistics, elastic-net path solver and CV arithmetic.

numpy + numba only; this package never imports pyspark.
"""

from lasso_spark.core.stats import SuffStats, merge_all

__all__ = ["SuffStats", "merge_all"]
