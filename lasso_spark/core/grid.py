"""The alpha grid: its edge ``alpha_max``, glmnet's log-spaced grid and the warm-start grid.

One copy for Gram mode, wide mode and cross-validation. ``alpha_max`` is the smallest alpha at
which every penalized coefficient is 0: ``max_j |g_j| / (ρ v_j)`` over penalized features, where
``g`` is the correlation of the residual at the least-squares fit of the unpenalized features
(``g = c`` when there are none). Wide mode gets ``g`` from a distributed pass and calls
:func:`alpha_max_from_gradient` directly.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from lasso_spark.core.penalty import check_l1_ratio
from lasso_spark.core.quadratic import Design, design, unpenalized_fit
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = [
    "WARM_PATH_MAX",
    "WARM_PATH_PER_DECADE",
    "alpha_grid",
    "alpha_max",
    "alpha_max_from_gradient",
    "alpha_max_of_design",
    "decreasing_alphas",
    "default_grid",
    "default_min_ratio",
    "log_grid",
    "warm_grid",
]

#: grid points per decade of a warm-start path down to one target alpha
WARM_PATH_PER_DECADE = 10
#: bound on the warm-start path length
WARM_PATH_MAX = 60


def alpha_max_from_gradient(g: np.ndarray, v: np.ndarray, l1_ratio: float) -> float:
    """``max_j |g_j| / (ρ v_j)`` over features with ``v_j > 0`` (0 when none is penalized)."""
    pen = v > 0.0
    if not pen.any():
        return 0.0
    return float(np.max(np.abs(g[pen]) / v[pen]) / l1_ratio)


def alpha_max_of_design(d: Design, l1_ratio: float, beta0: np.ndarray) -> float:
    """``alpha_max`` of a design, with ``beta0`` its :func:`unpenalized_fit`."""
    if not (d.v > 0.0).any():
        return 0.0
    g = d.c - d.G @ beta0 if np.any(beta0) else d.c
    return alpha_max_from_gradient(g, d.v, l1_ratio)


def alpha_max(
    stats: SuffStats,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
) -> float:
    """Smallest alpha at which every penalized coefficient of ``stats``' problem is 0."""
    rho = check_l1_ratio(l1_ratio)
    d = design(
        stats, penalty_factor=penalty_factor, fit_intercept=fit_intercept, standardize=standardize
    )
    return alpha_max_of_design(d, rho, unpenalized_fit(d))


def default_min_ratio(n_rows: int, n_features: int) -> float:
    """glmnet's ``lambda.min.ratio``: 1e-4 when there are more rows than features, else 1e-2."""
    return 1e-4 if n_rows > n_features else 1e-2


def log_grid(a_max: float, n_alphas: int, ratio: float) -> np.ndarray:
    """``n_alphas`` values log-spaced from ``a_max`` down to ``a_max · ratio``.

    Without signal (``a_max`` 0 or not finite) every alpha gives the same fit: a constant grid at
    float resolution.
    """
    if n_alphas < 1:
        raise ValueError(f"n_alphas must be >= 1, got {n_alphas}")
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"alpha_min_ratio must be in (0, 1), got {ratio}")
    if not (np.isfinite(a_max) and a_max > 0.0):
        logger.info("alpha_max is %r; using a constant grid at float resolution", a_max)
        return np.full(n_alphas, np.finfo(np.float64).resolution)
    return a_max * np.logspace(0.0, np.log10(ratio), n_alphas)


def default_grid(a_max: float, n_alphas: int, alpha_min_ratio: float | None, n_rows: int,
                 n_features: int) -> np.ndarray:
    """:func:`log_grid` from ``a_max`` with the ratio given, or glmnet's default for the data's
    shape (:func:`default_min_ratio`)."""
    ratio = (default_min_ratio(n_rows, n_features) if alpha_min_ratio is None
             else float(alpha_min_ratio))
    return log_grid(a_max, int(n_alphas), ratio)


def alpha_grid(
    stats: SuffStats,
    n_alphas: int = 100,
    alpha_min_ratio: float | None = None,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
) -> np.ndarray:
    """``n_alphas`` values log-spaced from :func:`alpha_max` down to ``alpha_max · ratio``;
    ``ratio`` defaults to :func:`default_min_ratio` (glmnet's rule)."""
    a = alpha_max(stats, l1_ratio, penalty_factor, fit_intercept, standardize)
    return default_grid(a, n_alphas, alpha_min_ratio, stats.n_rows, stats.n_features)


def decreasing_alphas(alphas: Sequence[float] | np.ndarray) -> np.ndarray:
    """An explicit grid checked (finite, > 0) and sorted in decreasing order (a new array)."""
    grid = np.asarray(alphas, dtype=np.float64).ravel()
    bad = ~np.isfinite(grid) | (grid <= 0.0)
    if bad.any():
        raise ValueError(f"alphas must be finite and > 0; {int(bad.sum())} values are not")
    return np.sort(grid)[::-1].copy()


def warm_grid(a_max: float, alpha: float) -> np.ndarray:
    """Decreasing grid from ``a_max`` to ``alpha`` (inclusive, exactly), ~10 points per decade:
    the warm-start path a single-alpha fit solves (robust and cheap)."""
    if not (np.isfinite(a_max) and a_max > alpha):
        return np.array([alpha], dtype=np.float64)
    decades = math.log10(a_max / alpha)
    n = int(min(WARM_PATH_MAX, max(2, math.ceil(decades * WARM_PATH_PER_DECADE) + 1)))
    grid = np.geomspace(a_max, alpha, n)
    grid[-1] = alpha  # exactly the target
    return grid
