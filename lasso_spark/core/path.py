"""Elastic-net regularization path on sufficient statistics: :func:`enet_path`.

Solves the problem of :mod:`lasso_spark.core.objective` (the objective, its standardization,
intercept and penalty-factor semantics and the duality-gap stopping rule are stated there) along a
decreasing alpha grid with warm starts, by the coordinate-descent kernels of
:mod:`lasso_spark.core._cd` on the standardized Gram of :func:`lasso_spark.core.quadratic.design`.
The default grid is :func:`lasso_spark.core.grid.alpha_grid`'s.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core import _cd
from lasso_spark.core.grid import (
    alpha_max_of_design,
    decreasing_alphas,
    default_grid,
)
from lasso_spark.core.penalty import check_l1_ratio, check_penalty_factor
from lasso_spark.core.quadratic import design, unpenalized_fit
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = ["ConvergenceWarning", "PathResult", "enet_path", "warmup"]


# kernel ablation switches (bit 0: no Anderson, bit 1: no extrapolated warm start, bit 2: no
# float32 passes, bit 3: plain cyclic instead of block passes); for benchmarks and tests only
_solver_flags = 0
# from this many features on, active-set passes read a float32 copy of the Gram (memory bound)
_MIXED_MIN_P = 256


class ConvergenceWarning(UserWarning):
    """Coordinate descent stopped at ``max_iter`` before the duality gap reached ``tol``."""


@dataclass(frozen=True)
class PathResult:
    """An elastic-net path. Arrays are indexed by alpha (decreasing), then feature.

    ``coef`` is on the original feature scale, ``coef_std`` on the standardized scale the
    penalty applies to. ``dual_gap`` is the certified duality gap in objective units,
    ``converged`` says ``dual_gap ≤ tol_abs = tol · yy``. ``n_iter`` counts passes over the
    KKT violators or the active set. ``alpha_max`` is the exact edge of the all-zero region;
    ``solver_counters`` are kernel diagnostics (see :func:`lasso_spark.core._cd.cd_path`).
    """

    alphas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    dual_gap: np.ndarray
    n_iter: np.ndarray
    n_nonzero: np.ndarray
    converged: np.ndarray
    coef_std: np.ndarray
    alpha_max: float
    l1_ratio: float
    tol: float
    tol_abs: float
    penalty_factor: np.ndarray
    feature_scale: np.ndarray
    fit_intercept: bool
    standardize: bool
    solver_counters: np.ndarray | None = None

    @property
    def n_alphas(self) -> int:
        return int(self.alphas.shape[0])


def warmup() -> float:
    """Compile (or load from the on-disk cache) the numba kernels; returns seconds spent."""
    t0 = time.perf_counter()
    G = np.array([[1.0, 0.5], [0.5, 1.0]])
    c = np.array([0.3, -0.2])
    alphas = np.array([0.2, 0.1])
    coefs = np.zeros((2, 2))
    _cd.cd_path(G, G.astype(np.float32), c, 1.0, np.ones(2), alphas, 1.0, 1.0, 1e-10, 100,
                np.zeros(2), np.zeros(0, dtype=np.int64), np.zeros((0, 0)), coefs, np.zeros(2),
                np.zeros(2, dtype=np.int64), 0, np.zeros(10, dtype=np.int64))
    return time.perf_counter() - t0


def enet_path(
    stats: SuffStats,
    *,
    alphas: Sequence[float] | np.ndarray | None = None,
    n_alphas: int = 100,
    alpha_min_ratio: float | None = None,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    tol: float = 1e-7,
    max_iter: int = 100_000,
) -> PathResult:
    """Solve the elastic net (module docstring) along a decreasing alpha grid with warm starts.

    ``alphas``: explicit values (sorted decreasing, must be > 0), else the automatic grid of
    :func:`lasso_spark.core.grid.alpha_grid`. ``tol``: relative duality-gap tolerance
    (gap ≤ tol · yy). ``max_iter``: passes per alpha; reaching it emits
    :class:`ConvergenceWarning` with the alpha and gap.
    """
    rho = check_l1_ratio(l1_ratio)
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    d = design(
        stats, penalty_factor=penalty_factor, fit_intercept=fit_intercept, standardize=standardize
    )
    beta0 = unpenalized_fit(d)
    a_max = alpha_max_of_design(d, rho, beta0)
    if alphas is None:
        grid = default_grid(a_max, n_alphas, alpha_min_ratio, stats.n_rows, stats.n_features)
    else:
        grid = decreasing_alphas(alphas)
    m, p, q = grid.shape[0], d.n_features, d.index.shape[0]
    tol_abs = float(tol) * d.yy
    coefs_r = np.zeros((m, q))
    counters = np.zeros(10, dtype=np.int64)
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    if q > 0 and m > 0:
        # alpha_zero: at and above it the penalized coefficients are exactly 0
        alpha_zero = a_max if a_max > 0.0 else np.inf
        U = np.flatnonzero(d.v == 0.0).astype(np.int64)
        Ginv = np.ascontiguousarray(np.linalg.pinv(d.G[np.ix_(U, U)], hermitian=True))
        G32 = d.G.astype(np.float32) if q >= _MIXED_MIN_P else np.zeros((0, 0), np.float32)
        _cd.cd_path(d.G, G32, d.c, d.yy, d.v, grid, rho, alpha_zero, tol_abs, int(max_iter),
                    beta0, U, Ginv, coefs_r, gaps, n_iter, int(_solver_flags), counters)
        logger.debug("cd_path counters %s", counters.tolist())
    else:
        gaps[:] = 0.0
    converged = gaps <= tol_abs
    for i in np.flatnonzero(~converged):
        warnings.warn(
            f"coordinate descent did not converge at alpha={grid[i]:.6g} (index {i}): duality "
            f"gap {gaps[i]:.3e} > tol·yy = {tol_abs:.3e} after {n_iter[i]} iterations; raise "
            f"max_iter or tol",
            ConvergenceWarning,
            stacklevel=2,
        )
    coef_std = np.zeros((m, p))
    coef_std[:, d.index] = coefs_r
    coef = np.zeros((m, p))
    coef[:, d.index] = coefs_r / d.scale[d.index]
    if fit_intercept:
        mx = stats.mean_x + stats.mean_x_lo
        intercept = (stats.mean_y + stats.mean_y_lo) - coef @ mx
    else:
        intercept = np.zeros(m)
    return PathResult(
        alphas=grid,
        coef=coef,
        intercept=intercept,
        dual_gap=gaps,
        n_iter=n_iter,
        n_nonzero=np.count_nonzero(coef, axis=1),
        converged=converged,
        coef_std=coef_std,
        alpha_max=a_max,
        l1_ratio=rho,
        tol=float(tol),
        tol_abs=tol_abs,
        penalty_factor=check_penalty_factor(penalty_factor, p),
        feature_scale=d.scale,
        fit_intercept=bool(fit_intercept),
        standardize=bool(standardize),
        solver_counters=counters,
    )
