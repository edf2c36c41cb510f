"""The standardized quadratic problem of :mod:`lasso_spark.core.objective`, from statistics.

:func:`design` turns :class:`~lasso_spark.core.stats.SuffStats` into ``(G, c, yy)`` over the
features the solver can use (non-zero variance, finite penalty factor), with the scale that maps
standardized coefficients back to the original features.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core.gram import scaled_gram
from lasso_spark.core.penalty import check_penalty_factor
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = ["Design", "design", "unpenalized_fit"]


@dataclass(frozen=True)
class Design:
    """The standardized quadratic problem derived from statistics (included features only).

    ``G = X̃ᵀWX̃/W``, ``c = X̃ᵀWy/W``, ``yy = yᵀWy/W`` over the features ``index``;
    ``scale`` (p,) is σ (or 1) for every original feature; ``v`` the penalty factors of ``index``.
    """

    G: np.ndarray
    c: np.ndarray
    yy: float
    index: np.ndarray
    scale: np.ndarray
    v: np.ndarray
    n_features: int


def design(
    stats: SuffStats,
    *,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
) -> Design:
    """Standardized Gram, cross-moment and label moment of ``stats`` (see :class:`Design`)."""
    if not isinstance(stats, SuffStats):
        raise TypeError(f"stats must be a SuffStats, got {type(stats).__name__}")
    W = stats.weight_sum
    if not W > 0.0:
        raise ValueError(f"statistics have total weight {W} over {stats.n_rows} rows; need > 0")
    p = stats.n_features
    v = check_penalty_factor(penalty_factor, p)
    var = stats.var_x
    if fit_intercept:
        M, m_xy, m_yy = stats.cxx, stats.cxy, stats.cyy
    else:
        M, m_xy, m_yy = stats.uncentered()
    if standardize:
        scale = np.sqrt(var)
        usable = var > 0.0
    else:
        scale = np.ones(p)
        usable = var > 0.0 if fit_intercept else np.diag(M) > 0.0
    usable &= np.isfinite(v)
    index = np.flatnonzero(usable)
    s = scale[index]
    if index.shape[0] < p:
        M = M[np.ix_(index, index)]
    G = scaled_gram(M, s, float(W))
    c = np.ascontiguousarray(m_xy[index] / (W * s))
    return Design(G, c, float(m_yy / W), index, scale, np.ascontiguousarray(v[index]), p)


def unpenalized_fit(d: Design) -> np.ndarray:
    """β with the unpenalized features at their least-squares fit, others 0 (reduced index)."""
    beta = np.zeros(d.index.shape[0])
    u = np.flatnonzero(d.v == 0.0)
    if u.size:
        sol, *_ = np.linalg.lstsq(d.G[np.ix_(u, u)], d.c[u], rcond=None)
        beta[u] = sol
    return beta
