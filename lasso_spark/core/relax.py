"""The relaxed lasso (glmnet's ``relax=TRUE``) from the same statistics: no data pass.

For each alpha of a path with active set ``A`` (the non-zero coefficients), the refit is the
unpenalized least-squares fit on ``A`` in the standardized problem of
:mod:`lasso_spark.core.objective`::

    β_refit,A = argmin ½ yy − c_Aᵀβ + ½ βᵀ G_AA β  =  G_AA⁻¹ c_A      (minimum-norm if singular)

and the relaxed fit at ``γ ∈ [0, 1]`` is ``γ β_lasso + (1 − γ) β_refit`` (``γ = 1`` is the lasso,
``γ = 0`` the plain refit), on the standardized scale and so on the original one, with the
intercept ``μy − μxᵀβ`` of the mixed coefficients (also the mix of the two intercepts). One small
solve per distinct active set: consecutive alphas with the same set share it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from lasso_spark.core.quadratic import design
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = ["RelaxedPath", "check_gammas", "relaxed_path"]


@dataclass(frozen=True)
class RelaxedPath:
    """Relaxed fits of a path: ``coef`` ``(len(gammas), m, p)`` (original scale),
    ``intercept`` ``(len(gammas), m)``, ``refit_std`` ``(m, p)`` the refits (standardized)."""

    gammas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    refit_std: np.ndarray


def check_gammas(gammas: Sequence[float] | np.ndarray) -> np.ndarray:
    """``γ`` values as a float64 array, each in [0, 1], at least one."""
    g = np.asarray(gammas, dtype=np.float64).reshape(-1)
    if g.size == 0:
        raise ValueError("relax gammas must not be empty")
    bad = ~((g >= 0.0) & (g <= 1.0))
    if bad.any():
        raise ValueError(f"relax gammas must be in [0, 1]; {int(bad.sum())} are not, e.g. "
                         f"{g[bad][:3].tolist()}")
    return g


def _least_squares(G: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``G⁻¹ c`` by Cholesky; the minimum-norm least-squares solution when ``G`` is singular."""
    try:
        factor = cho_factor(G, lower=False, check_finite=False)
        sol = cho_solve(factor, c, check_finite=False)
        if np.all(np.isfinite(sol)) and np.min(np.abs(np.diag(factor[0]))) > 1e-7 * np.sqrt(
                np.max(np.diag(G))):
            return sol
    except np.linalg.LinAlgError:
        pass
    sol, *_ = np.linalg.lstsq(G, c, rcond=None)
    return sol


def relaxed_path(stats: SuffStats, path: object, gammas: Sequence[float] | np.ndarray
                 ) -> RelaxedPath:
    """The relaxed fits of ``path`` (a :class:`~lasso_spark.core.path.PathResult` solved on
    ``stats``) at every ``γ`` of ``gammas`` (module docstring)."""
    g = check_gammas(gammas)
    d = design(stats, penalty_factor=path.penalty_factor, fit_intercept=path.fit_intercept,
               standardize=path.standardize)
    coef_std = np.asarray(path.coef_std)[:, d.index]
    m, q = coef_std.shape
    refit = np.zeros((m, q))
    last_key: bytes | None = None
    last = np.zeros(q)
    for i in range(m):
        active = coef_std[i] != 0.0
        key = np.packbits(active).tobytes()
        if key != last_key:
            last = np.zeros(q)
            a = np.flatnonzero(active)
            if a.size:
                last[a] = _least_squares(d.G[np.ix_(a, a)], d.c[a])
            last_key = key
        refit[i] = last
    p = d.n_features
    scale = d.scale[d.index]
    coef = np.zeros((g.shape[0], m, p))
    for k, gam in enumerate(g):
        coef[k][:, d.index] = (gam * coef_std + (1.0 - gam) * refit) / scale
    if path.fit_intercept:
        mx = stats.mean_x + stats.mean_x_lo
        intercept = (stats.mean_y + stats.mean_y_lo) - coef @ mx
    else:
        intercept = np.zeros((g.shape[0], m))
    refit_full = np.zeros((m, p))
    refit_full[:, d.index] = refit
    return RelaxedPath(g, coef, intercept, refit_full)
