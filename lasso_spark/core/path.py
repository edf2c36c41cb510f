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

from lasso_spark.core import kernels as _kernels  # numba loaded; nothing compiled at import
from lasso_spark.core.gram import scaled_gram
from lasso_spark.core.newton import newton_path
from lasso_spark.core.stats import SuffStats

logger = logging.getLogger(__name__)

__all__ = [
    "ConvergenceWarning",
    "Design",
    "PathDiagnostics",
    "PathResult",
    "alpha_grid",
    "alpha_max",
    "design",
    "enet_path",
    "warmup",
]


# solver="cd": from this many features on, active-set passes read a float32 copy of the Gram
_MIXED_MIN_P = 256
SOLVERS = ("newton", "cd")


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
    G = scaled_gram(M, s, float(W))
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
class PathDiagnostics:
    """What the solver did along one path, by name (counts summed over the alphas).

    ``solver``: ``"newton"`` (active-set Newton, :mod:`lasso_spark.core.newton`) or ``"cd"``
    (coordinate descent, :mod:`lasso_spark.core._cd`). Newton: ``newton_steps`` linear solves
    with the Cholesky factor, ``newton_alphas`` alphas certified by them alone,
    ``fallback_alphas`` alphas that needed coordinate descent (``cd_passes`` passes),
    ``features_added`` / ``features_removed`` factor up/downdates, ``refactorizations``,
    ``dependent_refused`` joining features refused as linearly dependent, ``gradient_evals``
    products ``c − Gβ`` over all features. Coordinate descent, passes by kind:
    ``violator_passes`` (over KKT violators of the working set), ``active_passes`` (over the
    active set); ``anderson_attempts`` / ``anderson_accepted`` extrapolations,
    ``warm_starts_accepted`` extrapolated warm starts, ``gradient_evals`` (float64 rebuilds),
    ``certifications`` full KKT + gap checks, ``float32_switches`` (1 when float32 passes could
    not reach the tolerance and the rest of the path ran in float64), ``compact_gram_builds``
    and ``compact_gram_features`` (features copied into the working set's Gram).
    """

    solver: str
    newton_steps: int = 0
    newton_alphas: int = 0
    fallback_alphas: int = 0
    cd_passes: int = 0
    features_added: int = 0
    features_removed: int = 0
    refactorizations: int = 0
    dependent_refused: int = 0
    gradient_evals: int = 0
    violator_passes: int = 0
    active_passes: int = 0
    anderson_attempts: int = 0
    anderson_accepted: int = 0
    warm_starts_accepted: int = 0
    certifications: int = 0
    float32_switches: int = 0
    compact_gram_builds: int = 0
    compact_gram_features: int = 0

    @classmethod
    def from_cd_counters(cls, counters: np.ndarray) -> PathDiagnostics:
        """From the ``counters`` array of :func:`lasso_spark.core._cd.cd_path`."""
        c = [int(x) for x in counters]
        return cls(
            solver="cd", violator_passes=c[0], active_passes=c[1], cd_passes=c[0] + c[1],
            anderson_attempts=c[2], anderson_accepted=c[3], gradient_evals=c[4],
            warm_starts_accepted=c[5], certifications=c[6], float32_switches=c[7],
            compact_gram_builds=c[8], compact_gram_features=c[9],
        )


@dataclass(frozen=True)
class PathResult:
    """An elastic-net path. Arrays are indexed by alpha (decreasing), then feature.

    ``coef`` is on the original feature scale, ``coef_std`` on the standardized scale the
    penalty applies to. ``dual_gap`` is the certified duality gap in objective units,
    ``converged`` says ``dual_gap ≤ tol_abs = tol · yy``. ``n_iter`` counts, per alpha, the
    solver's steps: Newton solves plus coordinate-descent passes (``solver="newton"``), or
    passes over the KKT violators or the active set (``solver="cd"``). ``alpha_max`` is the
    exact edge of the all-zero region; ``diagnostics`` says what the solver did
    (:class:`PathDiagnostics`).
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
    diagnostics: PathDiagnostics | None = None

    @property
    def n_alphas(self) -> int:
        return int(self.alphas.shape[0])


def warmup(solver: str = "newton") -> float:
    """Compile (or load from the on-disk cache, see :mod:`lasso_spark.core.jit`) the numba
    kernels ``solver`` may run; returns seconds spent. A fit compiles what it uses by itself:
    this only moves that cost out of a timed region (``"newton"``: the coordinate-descent sweep
    of its fallback, the one kernel it may need)."""
    t0 = time.perf_counter()
    if solver == "newton":
        _kernels.cd_sweep.compiled()
        return time.perf_counter() - t0
    if solver != "cd":
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
    from lasso_spark.core import _cd

    G = np.array([[1.0, 0.5], [0.5, 1.0]])
    c = np.array([0.3, -0.2])
    alphas = np.array([0.2, 0.1])
    coefs = np.zeros((2, 2))
    for G32 in (G.astype(np.float32), np.zeros((0, 0), np.float32)):
        _cd.cd_path(G, G32, c, 1.0, np.ones(2), alphas, 1.0, 1.0, 1e-10, 100, np.zeros(2),
                    np.zeros(0, dtype=np.int64), np.zeros((0, 0)), coefs, np.zeros(2),
                    np.zeros(2, dtype=np.int64), 0, np.zeros(10, dtype=np.int64))
    return time.perf_counter() - t0


def _cd_flags(anderson: bool, extrapolate: bool, float32: bool | None, block_passes: bool,
              q: int) -> tuple[int, bool]:
    """The coordinate-descent kernel's switches from enet_path's keywords."""
    low = q >= _MIXED_MIN_P if float32 is None else bool(float32)
    flags = (0 if anderson else 1) | (0 if extrapolate else 2) | (0 if low else 4) | (
        0 if block_passes else 8)
    return flags, low


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
    solver: str = "newton",
    anderson: bool = True,
    extrapolate: bool = True,
    float32: bool | None = None,
    block_passes: bool = True,
) -> PathResult:
    """Solve the elastic net (module docstring) along a decreasing alpha grid with warm starts.

    ``alphas``: explicit values (sorted decreasing, must be > 0), else the automatic grid of
    :func:`alpha_grid`. ``tol``: relative duality-gap tolerance (gap ≤ tol · yy). ``max_iter``:
    solver steps per alpha; reaching it emits :class:`ConvergenceWarning` with the alpha and gap.

    ``solver``: ``"newton"`` (default) — active-set Newton steps on a Cholesky factor updated
    along the path, coordinate descent as fallback (:mod:`lasso_spark.core.newton`); ``"cd"`` —
    Gram coordinate descent (:mod:`lasso_spark.core._cd`), whose switches are the remaining
    keywords (for ablation and comparison): ``anderson`` extrapolation of the iterates,
    ``extrapolate`` the warm start linearly in alpha, ``float32`` passes on a float32 copy of
    the Gram (None: from 256 features on), ``block_passes`` (else plain cyclic passes).
    """
    if solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
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
    gaps = np.zeros(m)
    n_iter = np.zeros(m, dtype=np.int64)
    diagnostics = PathDiagnostics(solver=solver)
    # alpha_zero: at and above it the penalized coefficients are exactly 0
    alpha_zero = a_max if a_max > 0.0 else np.inf
    if q > 0 and m > 0 and solver == "newton":
        coefs_r, gaps, n_iter, nd = newton_path(d.G, d.c, d.yy, d.v, grid, rho, tol_abs,
                                                int(max_iter), alpha_zero)
        diagnostics = PathDiagnostics(
            solver="newton", newton_steps=nd.newton_steps, newton_alphas=nd.newton_alphas,
            fallback_alphas=nd.fallback_alphas, cd_passes=nd.cd_passes,
            features_added=nd.features_added, features_removed=nd.features_removed,
            refactorizations=nd.refactorizations, dependent_refused=nd.dependent_refused,
            gradient_evals=nd.gradient_evals,
        )
        logger.debug("newton_path %s", diagnostics)
    elif q > 0 and m > 0:
        from lasso_spark.core import _cd

        counters = np.zeros(10, dtype=np.int64)
        U = np.flatnonzero(d.v == 0.0).astype(np.int64)
        Ginv = np.ascontiguousarray(np.linalg.pinv(d.G[np.ix_(U, U)], hermitian=True))
        flags, low = _cd_flags(anderson, extrapolate, float32, block_passes, q)
        G32 = d.G.astype(np.float32) if low else np.zeros((0, 0), np.float32)
        _cd.cd_path(d.G, G32, d.c, d.yy, d.v, grid, rho, alpha_zero, tol_abs, int(max_iter),
                    beta0, U, Ginv, coefs_r, gaps, n_iter, flags, counters)
        diagnostics = PathDiagnostics.from_cd_counters(counters)
        logger.debug("cd_path %s", diagnostics)
    else:
        gaps[:] = 0.0
    converged = gaps <= tol_abs
    for i in np.flatnonzero(~converged):
        warnings.warn(
            f"the {solver} solver did not converge at alpha={grid[i]:.6g} (index {i}): duality "
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
        diagnostics=diagnostics,
    )
