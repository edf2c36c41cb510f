"""Numeric core: sufficient statistics, elastic-net path solver and CV arithmetic.

numpy + numba only; this package never imports pyspark.

``SuffStats`` and ``merge_all`` need numpy alone and are imported eagerly. The solver names are
imported on first use, so an executor that only computes statistics never loads numba / LLVM
(about 250 MiB of address space per Python worker, which matters under
``spark.executor.pyspark.memory``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lasso_spark.core.stats import SuffStats, merge_all
from lasso_spark.lazy import lazy_names

_LAZY = {
    "adaptive_penalty_factors": "adaptive",
    "initial_estimate": "adaptive",
    "CVResult": "cv",
    "cv_path": "cv",
    "fold_fit": "cv",
    "fold_path": "cv",
    "heldout_mse": "cv",
    "heldout_sse": "cv",
    "select_alphas": "cv",
    "ConvergenceWarning": "path",
    "Design": "quadratic",
    "PathResult": "path",
    "alpha_grid": "grid",
    "alpha_max": "grid",
    "design": "quadratic",
    "duality_gap": "objective",
    "enet_path": "path",
    "kfold_splits": "cv",
    "primal_objective": "objective",
    "select_min_1se": "cv",
    "validation_split": "cv",
    "warmup": "path",
}

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
    "duality_gap",
    "enet_path",
    "fold_fit",
    "fold_path",
    "heldout_mse",
    "heldout_sse",
    "initial_estimate",
    "kfold_splits",
    "merge_all",
    "primal_objective",
    "select_alphas",
    "select_min_1se",
    "validation_split",
    "warmup",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from lasso_spark.core.adaptive import adaptive_penalty_factors, initial_estimate
    from lasso_spark.core.cv import (
        CVResult,
        cv_path,
        fold_fit,
        fold_path,
        heldout_mse,
        heldout_sse,
        kfold_splits,
        select_alphas,
        select_min_1se,
        validation_split,
    )
    from lasso_spark.core.grid import alpha_grid, alpha_max
    from lasso_spark.core.objective import duality_gap, primal_objective
    from lasso_spark.core.path import ConvergenceWarning, PathResult, enet_path, warmup
    from lasso_spark.core.quadratic import Design, design


__getattr__, __dir__ = lazy_names("lasso_spark.core", _LAZY, globals())
