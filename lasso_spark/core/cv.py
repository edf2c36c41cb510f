"""Held-out error from statistics and K-fold cross-validation along an alpha path.

The weighted SSE of any ``(b0, β)`` (original feature scale) on a fold with statistics
``(W, μx, μy, Cxx, cxy, cyy)`` is, exactly and with no data pass::

    SSE = cyy − 2 βᵀcxy + βᵀ Cxx β + W (μy − b0 − μxᵀβ)²

(expand ``Σ w (y − b0 − xᵀβ)²`` about the fold means). ``MSE = SSE / W``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lasso_spark.core.errors import DataError
from lasso_spark.core.stats import PackedStats, SuffStats, leave_one_out, merge_all

if TYPE_CHECKING:  # the solver (numba) is imported where a path is fitted, not with this module
    from lasso_spark.core.path import PathResult

logger = logging.getLogger(__name__)

__all__ = [
    "CVResult",
    "cv_path",
    "fold_mse_summary",
    "fold_path",
    "heldout_mse",
    "heldout_sse",
    "kfold_splits",
    "select_alphas",
    "select_min_1se",
    "validation_split",
]


def heldout_sse(stats_k: SuffStats, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Weighted SSE on the rows summarized by ``stats_k`` for each row of ``coef`` ``(m, p)``
    and ``intercept`` ``(m,)`` (1-d ``coef`` and scalar ``intercept`` give shape ``(1,)``).
    Rounding can only make an exact 0 slightly negative; results are clipped at 0."""
    B = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b0 = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    p = stats_k.n_features
    if B.shape[1] != p or b0.shape != (B.shape[0],):
        raise ValueError(
            f"coef must be (m, {p}) and intercept (m,); got {B.shape} and {b0.shape}"
        )
    quad = np.einsum("ij,ij->i", B @ stats_k.cxx, B)
    # mean residual with double-double means: μy − b0 − μxᵀβ
    shift = (stats_k.mean_y - b0 - B @ stats_k.mean_x) + (
        stats_k.mean_y_lo - B @ stats_k.mean_x_lo
    )
    sse = stats_k.cyy - 2.0 * (B @ stats_k.cxy) + quad + stats_k.weight_sum * shift * shift
    return np.maximum(sse, 0.0)


def heldout_mse(stats_k: SuffStats, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    """Weighted mean squared error ``SSE / W_k`` (see :func:`heldout_sse`)."""
    if not stats_k.weight_sum > 0.0:
        raise ValueError(
            f"held-out fold has total weight {stats_k.weight_sum} over {stats_k.n_rows} rows; "
            "cannot compute a mean squared error"
        )
    return heldout_sse(stats_k, coef, intercept) / stats_k.weight_sum


def kfold_splits(folds: Sequence[SuffStats]) -> tuple[list[SuffStats], list[SuffStats]]:
    """``(train, held-out)`` statistics of each K-fold split: fold k's own statistics are held
    out, the merge of the others trains. Raises :class:`DataError` for fewer than 2 folds or a
    fold without rows (or with zero total weight)."""
    folds = list(folds)
    K = len(folds)
    if K < 2:
        raise DataError(f"cross-validation needs at least 2 folds, got {K}")
    empty = [k for k, f in enumerate(folds) if not f.weight_sum > 0.0]
    if empty:
        rows = sum(f.n_rows for f in folds)
        raise DataError(
            f"folds {empty} of {K} have no rows (or zero total weight) among the {rows} valid "
            "rows; use fewer folds or check the fold column"
        )
    # merged as packed triangles (half the flops and memory), by prefix and suffix merges
    # (3K − 6 merges, not K(K − 2)): 1.9 s → 0.8 s at p = 4000, K = 5
    trains = [t.suff_stats() for t in leave_one_out([PackedStats.of(f) for f in folds])]
    return trains, folds


def validation_split(
    folds: Sequence[SuffStats], what: str = "validation split"
) -> tuple[list[SuffStats], list[SuffStats]]:
    """The one split of a boolean split column: rows where it is false (``folds[0]``) train,
    rows where it is true (``folds[1]``) are held out. ``what`` names the column in errors."""
    names = ("training (false)", "validation (true)")
    empty = [n for n, f in zip(names, folds) if not f.weight_sum > 0.0]
    if empty:
        raise DataError(
            f"{what} leaves no {' and no '.join(empty)} rows (or zero total weight)"
        )
    return [folds[0]], [folds[1]]


def fold_fit(
    fold_stats: Sequence[SuffStats], k: int, alphas: np.ndarray, **enet_kwargs
) -> tuple[np.ndarray, PathResult]:
    """Path trained on all folds but ``k`` (standardized with THAT training set's statistics)
    and its held-out MSE on fold ``k``: ``(mse (m,), path)``."""
    if not 0 <= k < len(fold_stats):
        raise ValueError(f"fold index {k} out of range for {len(fold_stats)} folds")
    from lasso_spark.core.path import enet_path

    train = merge_all([s for i, s in enumerate(fold_stats) if i != k])
    path = enet_path(train, alphas=alphas, **enet_kwargs)
    return heldout_mse(fold_stats[k], path.coef, path.intercept), path


def fold_path(
    fold_stats: Sequence[SuffStats], k: int, alphas: np.ndarray, **enet_kwargs
) -> np.ndarray:
    """Held-out MSE ``(m,)`` on fold ``k`` of the path trained on the other folds."""
    return fold_fit(fold_stats, k, alphas, **enet_kwargs)[0]


@dataclass(frozen=True)
class CVResult:
    """K-fold cross-validation of an elastic-net path.

    ``mse_path (K, m)`` held-out MSE per fold and alpha; ``mean_mse`` its unweighted mean over
    folds (as scikit-learn's LassoCV); ``se_mse`` = std over folds (ddof=1) / sqrt(K) (glmnet's
    cvsd with equal fold weights); ``index_min`` the largest alpha of minimal mean;
    ``index_1se`` the largest alpha with ``mean ≤ mean[index_min] + se[index_min]``. ``path`` is
    the path on all folds merged, on the same grid; ``fold_converged (K, m)``.
    """

    alphas: np.ndarray
    mse_path: np.ndarray
    mean_mse: np.ndarray
    se_mse: np.ndarray
    index_min: int
    index_1se: int
    alpha_min: float
    alpha_1se: float
    fold_converged: np.ndarray
    path: PathResult

    @property
    def n_folds(self) -> int:
        return int(self.mse_path.shape[0])


def fold_mse_summary(mse_path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, se)`` over the folds of a ``(K, m)`` held-out MSE table: the unweighted mean
    (scikit-learn's ``mse_path_.mean``) and ``std(ddof=1)/sqrt(K)`` (glmnet's cvsd with equal fold
    weights; 0 for one fold)."""
    mse_path = np.atleast_2d(np.asarray(mse_path, dtype=np.float64))
    K = mse_path.shape[0]
    mean = mse_path.mean(axis=0)
    se = mse_path.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.zeros(mse_path.shape[1])
    return mean, se


def select_min_1se(
    mean: np.ndarray,
    se: np.ndarray,
    penalty: np.ndarray,
    group: np.ndarray | None = None,
) -> tuple[int, int]:
    """glmnet's two choices over a table of candidate fits (rows), e.g. (elasticNetParam,
    regParam) pairs: ``min`` has the lowest mean CV error (ties: the largest ``penalty``);
    ``1se``, within the min's ``group`` (all rows when ``None``), has the largest ``penalty``
    whose mean is at most the min's mean plus its standard error (a NaN error counts as 0).
    NaN means (failed fits) are never chosen."""
    mean = np.where(np.isfinite(mean), mean, np.inf)
    if not np.any(np.isfinite(mean)):
        raise ValueError("no finite cross-validation error to select from")
    penalty = np.asarray(penalty, dtype=np.float64)
    best = float(mean.min())
    ties = np.flatnonzero(mean == best)
    i_min = int(ties[np.argmax(penalty[ties])])
    bound = best + (se[i_min] if np.isfinite(se[i_min]) else 0.0)
    same = mean <= bound
    if group is not None:
        same &= np.asarray(group) == group[i_min]
    cand = np.flatnonzero(same)
    return i_min, int(cand[np.argmax(penalty[cand])])


def select_alphas(mse_path: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """``(mean, se, index_min, index_1se)`` of a ``(K, m)`` MSE table over a decreasing grid
    (:func:`fold_mse_summary`, :func:`select_min_1se`)."""
    mean, se = fold_mse_summary(mse_path)
    m = mean.shape[0]
    i_min, i_1se = select_min_1se(mean, se, -np.arange(m, dtype=np.float64))
    return mean, se, i_min, i_1se


def cv_path(
    fold_stats: Sequence[SuffStats],
    *,
    alphas: Sequence[float] | np.ndarray | None = None,
    n_alphas: int = 100,
    alpha_min_ratio: float | None = None,
    **enet_kwargs,
) -> CVResult:
    """K-fold CV from per-fold statistics. The grid comes from the merge of all folds (as
    glmnet / LassoCV do); fold k's model is trained on the merge of the others."""
    from lasso_spark.core.grid import alpha_grid, decreasing_alphas
    from lasso_spark.core.path import enet_path

    trains, folds = kfold_splits(fold_stats)
    full = merge_all(folds)
    if alphas is None:
        grid_keys = ("l1_ratio", "penalty_factor", "fit_intercept", "standardize")
        grid = alpha_grid(
            full, n_alphas, alpha_min_ratio, **{k: enet_kwargs[k] for k in grid_keys
                                                if k in enet_kwargs}
        )
    else:
        grid = decreasing_alphas(alphas)
    path = enet_path(full, alphas=grid, **enet_kwargs)
    grid = path.alphas
    mse = np.empty((len(folds), grid.shape[0]))
    conv = np.empty((len(folds), grid.shape[0]), dtype=bool)
    for k, train in enumerate(trains):
        fp = enet_path(train, alphas=grid, **enet_kwargs)
        mse[k] = heldout_mse(folds[k], fp.coef, fp.intercept)
        conv[k] = fp.converged
    mean, se, i_min, i_1se = select_alphas(mse)
    logger.info(
        "cv_path: %d folds, %d alphas, alpha_min=%.4g, alpha_1se=%.4g",
        len(folds), grid.shape[0], grid[i_min], grid[i_1se],
    )
    return CVResult(
        alphas=grid,
        mse_path=mse,
        mean_mse=mean,
        se_mse=se,
        index_min=i_min,
        index_1se=i_1se,
        alpha_min=float(grid[i_min]),
        alpha_1se=float(grid[i_1se]),
        fold_converged=conv,
        path=path,
    )
