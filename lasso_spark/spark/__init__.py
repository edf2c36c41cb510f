"""DataFrame → sufficient statistics in one pass, fold assignment, scoring, session helpers."""

from lasso_spark.spark.errors import InvalidInputError
from lasso_spark.spark.inputs import fold_expression
from lasso_spark.spark.stats import StatsResult, compute_stats

__all__ = ["InvalidInputError", "StatsResult", "compute_stats", "fold_expression"]
