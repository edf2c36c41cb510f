"""DataFrame → sufficient statistics in one pass, fold assignment, scoring, session helpers."""

from lasso_spark.spark.errors import InvalidInputError
from lasso_spark.spark.folds import assign_folds
from lasso_spark.spark.stats import StatsResult, compute_stats

__all__ = ["InvalidInputError", "StatsResult", "assign_folds", "compute_stats"]
