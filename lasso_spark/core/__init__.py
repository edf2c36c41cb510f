"""Numeric core: sufficient statistics, elastic-net path solver and CV arithmetic.

numpy + numba only; this package never imports pyspark.
"""

from lasso_spark.core.adaptive import adaptive_penalty_factors, initial_estimate
from lasso_spark.core.cv import (
    CVResult,
    cv_path,
    fold_fit,
    fold_path,
    heldout_mse,
    heldout_sse,
    select_alphas,
)
from lasso_spark.core.path import (
    ConvergenceWarning,
    Design,
    PathResult,
    alpha_grid,
    alpha_max,
    design,
    enet_path,
    warmup,
)
from lasso_spark.core.stats import SuffStats, merge_all

__all__ = [
    "CVResult",
    "ConvergenceWarning",
    "Design",
    "PathResult",
    "SuffStats",
    "adaptive_penalty_factors",
    "alpha_grid",
    "alpha_max",
    "cv_path",
    "design",
    "enet_path",
    "fold_fit",
    "fold_path",
    "heldout_mse",
    "heldout_sse",
    "initial_estimate",
    "merge_all",
    "select_alphas",
    "warmup",
]
