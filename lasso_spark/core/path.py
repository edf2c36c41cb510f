"""Elastic-net regularization path on sufficient statistics.

Objective (glmnet / scikit-learn semantics; weights w, W = Σ w)::

    min_{b0, β}  1/(2W) Σ_i w_i (y_i − b0 − x̃_iᵀβ)²  +  α Σ_j v_j ( ρ|β_j| + (1−ρ)/2 β_j² )

with ``ρ = l1_ratio`` in (0, 1] and per-feature penalty factors ``v_j ≥ 0`` (0 = unpenalized,
``inf`` = excluded; they are used as given, NOT rescaled to sum to p as glmnet does — multiply
them by ``p / Σv`` yourself for glmnet's alphas). ``x̃ = (x − μ)/σ`` (weighted mean, population
std) when ``standardize``, ``x − μ`` otherwise. With ``fit_intercept=False`` there is no centering
(``b0 = 0``, uncentered moments) but ``standardize`` still divides by the centered σ, as glmnet and
Spark MLlib do. Coefficients are reported on the original feature scale (``β/σ``) with
``b0 = μy − μxᵀβ``. Features with zero variance (or ``v_j = inf``) get coefficient exactly 0.

Convergence: each alpha stops when its duality gap (in objective units) is at most
``tol · yy``, ``yy = cyy/W`` (weighted variance of y; ``Σwy²/W`` without intercept) — the
criterion of scikit-learn, whose gap and ``‖y‖²`` are both W times ours.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lasso_spark.core import _cd
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = [
    "ConvergenceWarning",
    "Design",
    "PathResult",
    "alpha_grid",
    "alpha_max",
    "design",
    "enet_path",
    "warmup",
]


# kernel ablation switches (bit 0: no Anderson, bit 1: no extrapolated warm start, bit 2: no
# float32 passes, bit 3: plain cyclic instead of block passes); for benchmarks and tests only
_solver_flags = 0
# from this many features on, active-set passes read a float32 copy of the Gram (memory bound)
_MIXED_MIN_P = 256


class ConvergenceWarning(UserWarning):
    """Coordinate descent stopped at ``max_iter`` before the duality gap reached ``tol``."""


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


def _check_penalty_factor(
    penalty_factor: Sequence[float] | np.ndarray | None, p: int
) -> np.ndarray:
    if penalty_factor is None:
        return np.ones(p)
    v = np.asarray(penalty_factor, dtype=np.float64)
    if v.shape != (p,):
        raise ValueError(f"penalty_factor must have shape ({p},), got {v.shape}")
    bad = np.isnan(v) | (v < 0)
    if bad.any():
        raise ValueError(
            f"penalty_factor must be >= 0 (inf allowed); {int(bad.sum())} entries are negative "
            f"or NaN, first at index {int(np.flatnonzero(bad)[0])}"
        )
    return v


def _check_l1_ratio(l1_ratio: float) -> float:
    rho = float(l1_ratio)
    if not 0.0 < rho <= 1.0:
        raise ValueError(f"l1_ratio must be in (0, 1], got {l1_ratio}")
    return rho


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
    v = _check_penalty_factor(penalty_factor, p)
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
    G = _cd.scaled_gram(np.ascontiguousarray(M, dtype=np.float64),
                        np.ascontiguousarray(s, dtype=np.float64), float(W))
    c = np.ascontiguousarray(m_xy[index] / (W * s))
    return Design(G, c, float(m_yy / W), index, scale, np.ascontiguousarray(v[index]), p)


def _unpenalized_fit(d: Design) -> np.ndarray:
    """β with the unpenalized features at their least-squares fit, others 0 (reduced index)."""
    beta = np.zeros(d.index.shape[0])
    u = np.flatnonzero(d.v == 0.0)
    if u.size:
        sol, *_ = np.linalg.lstsq(d.G[np.ix_(u, u)], d.c[u], rcond=None)
        beta[u] = sol
    return beta


def _alpha_max_design(d: Design, rho: float, beta0: np.ndarray) -> float:
    pen = d.v > 0.0
    if not pen.any():
        return 0.0
    g = d.c - d.G @ beta0 if np.any(beta0) else d.c
    return float(np.max(np.abs(g[pen]) / d.v[pen]) / rho)


def alpha_max(
    stats: SuffStats,
    l1_ratio: float = 1.0,
    penalty_factor: Sequence[float] | np.ndarray | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
) -> float:
    """Smallest alpha at which every penalized coefficient is 0: ``max_j |g_j| / (ρ v_j)`` over
    penalized features, with ``g = c − Gβ_U`` at the least-squares fit ``β_U`` of the
    unpenalized features (``g = X̃ᵀWy/W`` when there are none). 0 if nothing is penalized."""
    rho = _check_l1_ratio(l1_ratio)
    d = design(
        stats, penalty_factor=penalty_factor, fit_intercept=fit_intercept, standardize=standardize
    )
    return _alpha_max_design(d, rho, _unpenalized_fit(d))


def _grid(a_max: float, n_alphas: int, ratio: float) -> np.ndarray:
    if n_alphas < 1:
        raise ValueError(f"n_alphas must be >= 1, got {n_alphas}")
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"alpha_min_ratio must be in (0, 1), got {ratio}")
    if not (np.isfinite(a_max) and a_max > 0.0):
        # no penalized feature carries signal: every alpha gives the same fit
        logger.info("alpha_max is %r; using a constant grid at float resolution", a_max)
        return np.full(n_alphas, np.finfo(np.float64).resolution)
    return a_max * np.logspace(0.0, np.log10(ratio), n_alphas)


def _default_ratio(stats: SuffStats) -> float:
    return 1e-4 if stats.n_rows > stats.n_features else 1e-2


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
    ``ratio`` defaults to 1e-4 when ``n_rows > p`` else 1e-2 (glmnet's rule)."""
    ratio = _default_ratio(stats) if alpha_min_ratio is None else float(alpha_min_ratio)
    a = alpha_max(stats, l1_ratio, penalty_factor, fit_intercept, standardize)
    return _grid(a, n_alphas, ratio)


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
    :func:`alpha_grid`. ``tol``: relative duality-gap tolerance (gap ≤ tol · yy). ``max_iter``:
    passes per alpha; reaching it emits :class:`ConvergenceWarning` with the alpha and gap.
    """
    rho = _check_l1_ratio(l1_ratio)
    if not (np.isfinite(tol) and tol > 0.0):
        raise ValueError(f"tol must be a positive number, got {tol}")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    d = design(
        stats, penalty_factor=penalty_factor, fit_intercept=fit_intercept, standardize=standardize
    )
    beta0 = _unpenalized_fit(d)
    a_max = _alpha_max_design(d, rho, beta0)
    if alphas is None:
        ratio = _default_ratio(stats) if alpha_min_ratio is None else float(alpha_min_ratio)
        grid = _grid(a_max, int(n_alphas), ratio)
    else:
        grid = np.asarray(alphas, dtype=np.float64).ravel()
        bad = ~np.isfinite(grid) | (grid <= 0.0)
        if bad.any():
            raise ValueError(f"alphas must be finite and > 0; {int(bad.sum())} values are not")
        grid = np.sort(grid)[::-1].copy()
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
        penalty_factor=_check_penalty_factor(penalty_factor, p),
        feature_scale=d.scale,
        fit_intercept=bool(fit_intercept),
        standardize=bool(standardize),
        solver_counters=counters,
    )
