"""Adaptive-lasso penalty factors from sufficient statistics (Zou, 2006), no data pass.

``v_j = 1 / |β̂_j|^γ`` where β̂ is an initial estimate on the scale the lasso penalizes (the
standardized scale when ``standardize``, so the procedure is invariant to feature units):

* ordinary least squares, ``G β̂ = c``, when ``n_rows > p`` and ``G`` is well conditioned
  (reciprocal condition number above ``rcond``);
* otherwise ridge, ``(G + λ I) β̂ = c``, i.e. ``argmin 1/(2W)‖y − X̃β‖²_w + λ/2 ‖β‖²`` with
  ``λ = ridge_alpha`` (default ``1e-3 · mean(diag G)``).

``G, c`` are the Gram and cross-moment of :func:`lasso_spark.core.quadratic.design`. A β̂_j that is 0
(or below ``1e-12 · max|β̂|``) is floored there, giving a large but finite factor; features with
zero variance get factor 1 (the solver leaves them at 0 anyway).
"""

from __future__ import annotations

import logging

import numpy as np

from lasso_spark.core.quadratic import design
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = ["adaptive_penalty_factors", "initial_estimate"]


def initial_estimate(
    stats: SuffStats,
    *,
    fit_intercept: bool = True,
    standardize: bool = True,
    ridge_alpha: float | None = None,
    rcond: float = 1e-8,
) -> tuple[np.ndarray, str]:
    """Initial β̂ ``(p,)`` on the penalized scale and the method used (``"ols"`` or ``"ridge"``)."""
    d = design(stats, fit_intercept=fit_intercept, standardize=standardize)
    beta = np.zeros(d.n_features)
    q = d.index.shape[0]
    if q == 0:
        return beta, "ols"
    G, c = d.G, d.c
    method = "ridge"
    if ridge_alpha is None and stats.n_rows > q:
        ev = np.linalg.eigvalsh(G)
        if ev[0] > rcond * ev[-1]:
            method = "ols"
    if method == "ols":
        sol = np.linalg.solve(G, c)
    else:
        lam = 1e-3 * float(np.mean(np.diag(G))) if ridge_alpha is None else float(ridge_alpha)
        if not lam > 0.0:
            raise ValueError(f"ridge_alpha must be > 0, got {ridge_alpha}")
        sol = np.linalg.solve(G + lam * np.eye(q), c)
    beta[d.index] = sol
    logger.debug("adaptive lasso initial estimate by %s over %d features", method, q)
    return beta, method


def adaptive_penalty_factors(
    stats: SuffStats,
    gamma: float = 1.0,
    *,
    fit_intercept: bool = True,
    standardize: bool = True,
    ridge_alpha: float | None = None,
    rcond: float = 1e-8,
) -> np.ndarray:
    """Penalty factors ``1/|β̂_j|^γ`` (see the module docstring) for :func:`enet_path`."""
    if not (np.isfinite(gamma) and gamma > 0.0):
        raise ValueError(f"gamma must be a positive number, got {gamma}")
    beta, _ = initial_estimate(
        stats, fit_intercept=fit_intercept, standardize=standardize,
        ridge_alpha=ridge_alpha, rcond=rcond,
    )
    d_index = design(stats, fit_intercept=fit_intercept, standardize=standardize).index
    v = np.ones(stats.n_features)
    b = np.abs(beta[d_index])
    if b.size:
        floor = 1e-12 * max(float(b.max()), np.finfo(np.float64).tiny)
        v[d_index] = 1.0 / np.maximum(b, floor) ** gamma
    return v
